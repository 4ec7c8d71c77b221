"""The main journeys in a real Chromium: staff publish, the public find and read, not-found."""

import re

import pytest
from playwright.sync_api import expect

from accessions.models import Language, Record, Subject
from tests.browser.support import (
    BROWSER_MARKS,
    assert_accessible,
    save_screenshot,
    sign_in,
    sign_out,
)

pytestmark = BROWSER_MARKS


def choose_autocomplete(page, field: str, text: str) -> None:
    """Pick TEXT in the admin's select2 autocomplete for FIELD, as a person does."""
    page.locator(f"#id_{field} + .select2").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def narrow_results(page, *, facet: str, value: str) -> None:
    """Tick VALUE in the facet headed FACET and apply, as a reader does."""
    group = page.locator("fieldset.facet", has=page.locator("legend", has_text=facet))
    group.get_by_role("checkbox", name=re.compile(rf"^{re.escape(value)} \d+$")).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()


def test_cataloguer_creates_and_submits_a_record_and_an_editor_publishes_it(
    page, cataloguer, editor, rights_statement
):
    Subject.objects.create(name="Nuclear arms control")

    sign_in(page, cataloguer.username)
    page.goto("/admin/accessions/accession/add/")
    page.get_by_label("Title").fill("Papers of the 1963 test-ban negotiators")
    page.get_by_label("Date received").fill("2024-03-01")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.get_by_role("checkbox", name=re.compile("Select this object")).first.check()
    page.locator("select[name=action]").select_option("start_record")
    page.locator("button[name=index]").click()
    expect(page.locator(".messagelist")).to_contain_text("Created draft record")
    page.locator(".messagelist a").first.click()
    page.wait_for_url(re.compile(r"/admin/accessions/record/\d+/change/"))
    pk = int(re.search(r"/record/(\d+)/change/", page.url).group(1))

    page.locator("#id_date_text").fill("1963-07-25")
    page.locator("#id_summary").fill("Minutes of the final session of the test-ban talks.")
    page.locator("#id_source").fill("Presidential Library, box 12")
    choose_autocomplete(page, "rights", "Research reuse")
    choose_autocomplete(page, "languages", "English")
    choose_autocomplete(page, "subjects", "Nuclear arms control")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("is now in review")
    assert Record.objects.get(pk=pk).status == Record.Status.IN_REVIEW
    # A cataloguer cannot publish: the workflow offers no Publish button.
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    sign_out(page)

    sign_in(page, editor.username)
    page.goto(f"/admin/accessions/record/{pk}/change/")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".messagelist")).to_contain_text("is now published")

    record = Record.objects.get(pk=pk)
    assert record.status == Record.Status.PUBLISHED
    page.goto(record.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Papers of the 1963 test-ban negotiators"
    )
    expect(page.locator(".document-information")).to_contain_text("Presidential Library, box 12")


def test_public_finds_a_document_by_keyword_narrows_reads_it_and_follows_a_subject(
    page, make_record
):
    english = Language.objects.get(code="en")
    arms = Subject.objects.create(name="Nuclear arms control")
    trade = Subject.objects.create(name="Grain trade")
    target = make_record(
        title="Telegram on the test-ban treaty",
        summary="The ambassador reports on the treaty talks.",
        source="Foreign Ministry Archive",
        subjects=[arms],
        languages=[english],
    )
    make_record(title="Telegram on grain deliveries", subjects=[trade], languages=[english])
    make_record(title="Telegram on an untranslated matter", subjects=[arms])
    make_record(status="draft", title="Telegram still in draft", subjects=[arms])
    make_record(status="withdrawn", title="Telegram withdrawn from view", subjects=[arms])

    page.goto("/")
    page.locator("#home-q").fill("telegram")
    page.locator("#home-q").press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=telegram"))
    results = page.locator(".result-title")
    expect(results).to_have_count(3)
    expect(page.locator("main")).not_to_contain_text("still in draft")
    expect(page.locator("main")).not_to_contain_text("withdrawn from view")

    narrow_results(page, facet="Subject", value="Nuclear arms control")
    expect(results).to_have_count(2)
    narrow_results(page, facet="Language", value="English")
    expect(results).to_have_text(["Telegram on the test-ban treaty"])

    results.get_by_role("link").click()
    page.wait_for_url(f"**{target.get_absolute_url()}")
    info = page.get_by_role("region", name="Document Information")
    expect(info.locator("dt")).to_contain_text(["Source", "Rights", "Record ID", "Subjects"])
    record_id_row = info.locator("dt", has_text="Record ID")
    record_id_value = record_id_row.locator("xpath=following-sibling::dd[1]")
    expect(record_id_value).to_have_text(str(target.record_id))
    expect(info).to_contain_text("Foreign Ministry Archive")

    info.get_by_role("link", name="Nuclear arms control").click()
    page.wait_for_url(f"**/search/?subject={arms.slug}")
    expect(results).to_have_text(
        ["Telegram on the test-ban treaty", "Telegram on an untranslated matter"]
    )


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_unpublished_record_url_shows_the_not_found_page(page, make_record, status):
    record = make_record(status=status, title="Secret draft telegram", summary="Hidden summary")
    response = page.goto(record.get_absolute_url())
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.locator("body")).not_to_contain_text("Secret draft telegram")
    expect(page.locator("body")).not_to_contain_text("Hidden summary")
    assert_accessible(page)


def test_withdrawn_record_url_says_gone_without_its_content(page, make_record):
    record = make_record(status="withdrawn", title="Withdrawn telegram", summary="Gone summary")
    response = page.goto(record.get_absolute_url())
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This document has been withdrawn")
    expect(page.locator("body")).not_to_contain_text("Withdrawn telegram")
    save_screenshot(page, "withdrawn")
