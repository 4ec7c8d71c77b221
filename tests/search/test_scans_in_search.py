"""Scans in the search: the has_scan filter and count, thumbnails on results, OCR text."""

import io
import shutil

import pytest
from django.urls import reverse
from PIL import Image, ImageDraw, ImageFont

from accessions.catalogue.workflow import transition_record
from accessions.models import Language
from accessions.scans.ingest import delete_scan, ingest_scan, ingest_scans
from accessions.scans.models import ScanPage
from accessions.search.filters import search_parameters
from accessions.search.indexing import update_search_index
from tests.scan_files import image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ocr_off(settings):
    """OCR costs a second a page; only the test about Tesseract switches it on."""
    settings.TESSERACT_COMMAND = ""


def attach(record, name: str = "page.jpg", text: str = "Page"):
    return ingest_scan(record=record, upload=upload(image_bytes(text=text), name), name=name)


def search(client, query: str = ""):
    return client.get(reverse("accessions:search") + ("?" + query if query else ""))


def titles(response) -> list[str]:
    return [hit.record.title for hit in response.context["result"].hits]


def scan_count(response) -> int:
    return response.context["result"].with_scans.count


def set_ocr_text(record, text: str) -> None:
    ScanPage.objects.filter(scan__record=record).update(ocr_text=text)
    update_search_index(record_pks=[record.pk])


def test_has_scan_lists_and_counts_published_records_with_scans_only(client, make_record, editor):
    scanned = make_record(title="Scanned telegram")
    make_record(title="Telegram without scans")
    draft = make_record(status="draft", title="Scanned draft telegram")
    withdrawn = make_record(title="Scanned telegram later withdrawn")
    for record in (scanned, draft, withdrawn):
        attach(record)
    transition_record(record=withdrawn, action="withdraw", user=editor)

    unfiltered = search(client)
    assert scan_count(unfiltered) == 1
    html = unfiltered.content.decode()
    assert 'name="has_scan" value="1"' in html and 'id="facet-has-scan"' in html

    filtered = search(client, "has_scan=1")
    assert filtered.status_code == 200
    assert titles(filtered) == ["Scanned telegram"]
    assert scan_count(filtered) == 1
    assert 'name="has_scan" value="1" checked' in filtered.content.decode()
    assert "Has scans" in [chip.label for chip in filtered.context["result"].active]


def test_has_scan_count_reflects_the_other_filters(client, make_record):
    attach(make_record(title="Telegram on wheat", summary="Grain for Cuba."))
    attach(make_record(title="Telegram on oil", summary="Oil for Cuba."))
    make_record(title="Telegram on sugar", summary="Sugar from Cuba.")
    assert scan_count(search(client, "q=cuba")) == 2
    assert scan_count(search(client, "q=wheat")) == 1
    assert scan_count(search(client, "q=sugar")) == 0
    # The count ignores has_scan itself, as every facet ignores its own filter.
    assert scan_count(search(client, "q=cuba&has_scan=1")) == 2
    assert titles(search(client, "q=sugar&has_scan=1")) == []


def test_has_scan_with_a_bad_value_says_what_it_takes(client, make_record):
    attach(make_record())
    response = search(client, "has_scan=yes-please")
    assert response.status_code == 400
    assert "has_scan takes 1" in response.content.decode()


def test_api_documents_and_applies_has_scan(client, make_record):
    assert "has_scan" in search_parameters()
    attach(make_record(title="Scanned telegram"))
    make_record(title="Plain telegram")
    answer = client.get("/api/records/?has_scan=1").json()
    assert [result["title"] for result in answer["results"]] == ["Scanned telegram"]


def test_index_follows_scans_being_attached_and_deleted(client, make_record):
    record = make_record(title="Telegram soon scanned")
    assert scan_count(search(client)) == 0
    first, second = ingest_scans(
        record=record,
        uploads=[
            (upload(image_bytes(text="One"), "one.jpg"), "one.jpg"),
            (upload(image_bytes(text="Two"), "two.jpg"), "two.jpg"),
        ],
    )
    assert scan_count(search(client)) == 1
    assert titles(search(client, "has_scan=1")) == ["Telegram soon scanned"]
    delete_scan(scan=first)
    assert scan_count(search(client)) == 1
    delete_scan(scan=second)
    unfiltered = search(client)
    assert scan_count(unfiltered) == 0
    assert titles(search(client, "has_scan=1")) == []
    assert titles(unfiltered) == ["Telegram soon scanned"]


def test_results_show_the_first_page_thumbnail_sized_and_lazy(
    client, make_record, django_capture_on_commit_callbacks
):
    scanned = make_record(title="Scanned telegram")
    make_record(title="Plain telegram")
    with django_capture_on_commit_callbacks(execute=True):
        attach(scanned, "front.jpg")
        attach(scanned, "back.jpg", text="Back")
    first = ScanPage.objects.get(scan__record=scanned, scan__original_filename="front.jpg")
    response = search(client)
    by_title = {hit.record.title: hit for hit in response.context["result"].hits}
    assert by_title["Scanned telegram"].thumbnail == first
    assert by_title["Plain telegram"].thumbnail is None
    html = response.content.decode()
    width, height = first.thumbnail_size
    assert (
        f'<img class="result-thumbnail" src="{first.image_url("thumb")}"\n'
        f'         width="{width}" height="{height}"\n'
        f'         alt="First page of the scan of “Scanned telegram”" loading="lazy"'
    ) in html
    assert html.count('class="result-thumbnail"') == 1
    assert client.get(first.image_url("thumb")).status_code == 200


def test_ocr_text_is_found_but_ranks_below_a_title_with_the_word(client, make_record):
    titled = make_record(title="Report on Zanzibar", date_text="1970-01-01")
    ocred = make_record(title="Unlabelled carbon copy", date_text="1950-01-01")
    draft = make_record(status="draft", title="Draft carbon copy")
    for record in (ocred, draft):
        attach(record)
        set_ocr_text(record, "Cable from the embassy in Zanzibar, received at noon.")
    assert titled.pk and draft.pk
    # The OCRed record is older, so it would come first if relevance were not used.
    response = search(client, "q=zanzibar")
    assert titles(response) == ["Report on Zanzibar", "Unlabelled carbon copy"]
    assert titles(search(client, "q=embassy")) == ["Unlabelled carbon copy"]


def test_ocr_text_leaves_the_index_with_its_scan(client, make_record):
    record = make_record(title="Unlabelled carbon copy")
    scan = attach(record)
    set_ocr_text(record, "Cable from the embassy in Zanzibar.")
    assert titles(search(client, "q=zanzibar")) == ["Unlabelled carbon copy"]
    delete_scan(scan=scan)
    assert titles(search(client, "q=zanzibar")) == []


@pytest.mark.skipif(not shutil.which("tesseract"), reason="Tesseract is not installed here")
def test_index_is_updated_when_ocr_finishes(
    client, make_record, settings, django_capture_on_commit_callbacks
):
    settings.TESSERACT_COMMAND = "tesseract"
    record = make_record(title="Unlabelled carbon copy")
    record.languages.set([Language.objects.get(code="en")])
    image = Image.new("L", (1600, 600), 255)
    font = ImageFont.load_default(size=72)
    ImageDraw.Draw(image).text((60, 200), "DECLASSIFIED TELEGRAM", fill=0, font=font)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    assert titles(search(client, "q=declassified")) == []
    with django_capture_on_commit_callbacks(execute=True):
        ingest_scan(record=record, upload=upload(buffer.getvalue(), "copy.png"), name="copy.png")
    assert "DECLASSIFIED" in ScanPage.objects.get(scan__record=record).ocr_text.upper()
    assert titles(search(client, "q=declassified")) == ["Unlabelled carbon copy"]
