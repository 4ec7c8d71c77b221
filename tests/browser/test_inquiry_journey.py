"""Journey 4: a reader asks about reuse and sees the acknowledgement; mail reaches real SMTP."""

import re

from playwright.sync_api import expect

from accessions.inquiries.models import RightsInquiry
from tests.browser.support import BROWSER_MARKS, assert_accessible, save_screenshot

pytestmark = BROWSER_MARKS


def test_reader_submits_a_rights_inquiry_and_sees_the_acknowledgement(
    page, make_record, smtp_server
):
    record = make_record(title="Cable on the grain agreement")
    page.goto(record.get_absolute_url())
    page.get_by_role("link", name=re.compile("Ask about rights and reuse")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("rights")
    assert_accessible(page)

    page.get_by_label("Your name").fill("Dana Historian")
    page.get_by_label("Your email address").fill("dana@example.org")
    page.get_by_label("Intended use").select_option("publication")
    page.get_by_label("Your question").fill("May I reproduce the first page in a book?")
    page.get_by_role("button", name=re.compile("Send")).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("your inquiry has been received")
    inquiry = RightsInquiry.objects.get(email="dana@example.org")
    expect(page.locator("main")).to_contain_text(inquiry.reference)
    assert_accessible(page)
    save_screenshot(page, "rights-inquiry-sent")
    recipients = sorted(address for email in smtp_server.received for address in email.rcpt_tos)
    assert recipients == sorted(["dana@example.org", record.rights.inquiry_email])
