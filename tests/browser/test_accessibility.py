"""WCAG 2.2 A/AA checked by axe-core in Chromium on every public page type, at two widths."""

import pytest
from playwright.sync_api import expect

from accessions.models import (
    Agent,
    Collection,
    DocumentType,
    Language,
    Place,
    RecordText,
    Repository,
    Subject,
)
from accessions.scans.ingest import ingest_scan
from tests.browser.support import (
    BROWSER_MARKS,
    WIDTHS,
    assert_accessible,
    axe_violations,
    save_screenshot,
    set_width,
)
from tests.scan_files import pdf_bytes, upload

pytestmark = BROWSER_MARKS


@pytest.fixture
def catalogue(make_record, funder, settings):
    """A small published catalogue that fills every part of every public page type."""
    parent = Collection.objects.create(
        name="Cold War diplomacy", description="Cables and minutes between the blocs."
    )
    child = Collection.objects.create(name="Test-ban talks", parent=parent)
    russian = Language.objects.get(code="ru")
    english = Language.objects.get(code="en")
    record = make_record(
        title="Telegram from the ambassador on the test-ban treaty",
        summary="The ambassador reports the mood of the final session.",
        source="Foreign Policy Archive, fond 5, opis 30, delo 335",
        donors=[funder],
        languages=[english, russian],
        subjects=[Subject.objects.create(name="Nuclear arms control")],
        places=[Place.objects.create(name="Moscow")],
        authors=[Agent.objects.create(name="A. Dobrynin", kind=Agent.Kind.PERSON)],
        collections=[parent, child],
        original_archive=Repository.objects.create(name="Foreign Policy Archive"),
        document_type=DocumentType.objects.create(name="Telegram"),
    )
    RecordText.objects.create(
        record=record, kind=RecordText.Kind.TRANSCRIPT, language=russian, body="Телеграмма."
    )
    make_record(title="Memorandum of a conversation on grain", collections=[parent])
    make_record(status="draft", title="Draft telegram")
    make_record(status="withdrawn", title="Withdrawn telegram")
    # Scans put the viewer on its record page and a thumbnail among the search results.
    settings.TESSERACT_COMMAND = ""
    scanned = make_record(title="Telegram on the test-ban treaty, with its scans")
    ingest_scan(record=scanned, upload=upload(pdf_bytes(pages=2), "t.pdf"), name="t.pdf")
    return {"record": record, "parent": parent, "child": child, "scanned": scanned}


PAGE_TYPES = {
    "home": lambda c: "/",
    "search-results": lambda c: "/search/?q=telegram",
    "search-empty": lambda c: "/search/?q=nothingmatchesthis",
    "record": lambda c: c["record"].get_absolute_url(),
    "record-with-scans": lambda c: c["scanned"].get_absolute_url(),
    "collection-list": lambda c: "/collections/",
    "collection-detail": lambda c: c["parent"].get_absolute_url(),
    "not-found": lambda c: "/document/999999/",
    "withdrawn": lambda c: "/document/{}/".format(
        c["record"].__class__.objects.get(title="Withdrawn telegram").record_id
    ),
    "staff-login": lambda c: "/admin/login/",
    "rights-inquiry-form": lambda c: c["record"].get_absolute_url() + "rights-inquiry/",
}


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("page_type", list(PAGE_TYPES))
def test_public_page_type_has_no_wcag_violations_and_loads_only_its_own_assets(
    page, live_server, catalogue, page_type, width
):
    requested, broken = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and response.request.resource_type != "document"
            and broken.append(response.url)
        ),
    )
    set_width(page, width)
    page.goto(PAGE_TYPES[page_type](catalogue))
    assert_accessible(page)
    # axe skips what is folded away; check the filters and other versions unfolded as well.
    if page.evaluate("() => document.querySelectorAll('details:not([open])').length"):
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true })")
        assert_accessible(page)
    assert broken == [], f"{page_type} fails to load: {broken}"
    off_site = [url for url in requested if not url.startswith((live_server.url, "data:"))]
    assert off_site == [], f"{page_type} loads assets from elsewhere: {off_site}"
    # OpenSeadragon draws its own button icons; the first scan page is fetched with priority.
    unsized = page.eval_on_selector_all(
        "img:not(.openseadragon-container img)",
        "imgs => imgs.filter(i => !i.getAttribute('width') || !i.getAttribute('height')"
        " || (i.loading !== 'lazy' && i.fetchPriority !== 'high')).map(i => i.outerHTML)",
    )
    assert unsized == [], (
        f"images must carry width, height and loading=lazy (or fetchpriority=high): {unsized}"
    )
    save_screenshot(page, page_type)


def test_axe_reports_a_form_field_that_loses_its_label(page):
    page.goto("/search/")
    assert axe_violations(page, include="form.search-layout") == []
    page.evaluate("document.querySelector('label[for=search-q]').remove()")
    violations = axe_violations(page, include="form.search-layout")
    assert [v["id"] for v in violations] == ["label"]
    assert violations[0]["targets"] == ["#search-q"]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_keyboard_alone_reaches_a_record_and_a_subject_with_visible_focus(page, catalogue, width):
    record = catalogue["record"]
    set_width(page, width)
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    tab_to(page, "#home-q")
    page.keyboard.type("test-ban")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=test-ban")

    tab_to(page, f".result-title a[href='{record.get_absolute_url()}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{record.get_absolute_url()}")

    # The transcript folds away in a <details>; the keyboard opens it.
    tab_to(page, ".other-texts summary")
    page.keyboard.press("Enter")
    expect(page.locator(".other-texts details")).to_have_attribute("open", "")

    tab_to(page, ".document-information a[href='/search/?subject=nuclear-arms-control']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?subject=nuclear-arms-control")
    expect(page.locator(".result-title")).to_have_text([record.title])


def assert_focus_visible(page) -> None:
    """The focused element shows a solid outline at least 2px wide, on screen."""
    style = page.evaluate(
        """() => {
            const el = document.activeElement, s = getComputedStyle(el);
            const r = el.getBoundingClientRect();
            return {outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
                    onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight,
                    tag: el.outerHTML.slice(0, 80)};
        }"""
    )
    assert style["outline"] != "none" and style["width"] >= 2, style
    assert style["onScreen"], style


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until SELECTOR has focus, checking every stop on the way shows its focus."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} was not reached in {limit} presses of Tab")
