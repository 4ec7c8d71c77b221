"""Layout promises checked in the browser: the filter panel folds on a phone, the record prints."""

from playwright.sync_api import expect

from accessions.models import Language, RecordText
from tests.browser.support import BROWSER_MARKS, save_screenshot, set_width

pytestmark = BROWSER_MARKS


def test_search_filters_fold_away_on_a_phone_and_open_from_their_summary(page):
    set_width(page, "phone")
    page.goto("/search/?q=treaty")
    keywords, date_from = (
        page.get_by_label("Keywords", exact=True),
        page.get_by_label("From", exact=True),
    )
    expect(keywords).to_be_visible()
    expect(date_from).to_be_hidden()
    page.get_by_text("Refine results").click()
    expect(date_from).to_be_visible()


def test_search_filters_show_beside_the_results_on_a_desktop(page):
    set_width(page, "desktop")
    page.goto("/search/?q=treaty")
    expect(page.get_by_text("Refine results")).to_be_hidden()
    date_from = page.get_by_label("From", exact=True)
    expect(date_from).to_be_visible()
    results = page.locator(".search-results").bounding_box()
    # The filters sit in their own column beside the results.
    assert date_from.bounding_box()["x"] > results["x"] + results["width"]


def test_record_page_prints_the_document_and_its_information_without_the_site_around_it(
    page, make_record
):
    record = make_record(title="Telegram to print")
    RecordText.objects.create(
        record=record, language=Language.objects.get(code="ru"), body="Текст телеграммы."
    )
    page.goto(record.get_absolute_url())
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.get_by_role("heading", name="Telegram to print")).to_be_visible()
    expect(page.locator(".record-text")).to_contain_text("First paragraph.")
    expect(page.locator(".document-information")).to_be_visible()
    # The folded transcript prints in full: paper cannot be clicked open.
    expect(page.get_by_text("Текст телеграммы.")).to_be_visible()
    page.pdf(path=str(save_screenshot(page, "record-print").with_suffix(".pdf")))


def test_pages_with_their_own_search_form_hide_the_header_search(page):
    page.goto("/")
    expect(page.locator(".header-search")).to_be_hidden()
    page.goto("/collections/")
    expect(page.locator(".header-search")).to_be_visible()
