"""Citations: the three text styles, the three downloads, and what reference managers read."""

import json
from datetime import date

import pytest
import rispy
from citeproc import (
    Citation as ProcCitation,
)
from citeproc import (
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from pybtex.database import parse_string

from accessions.models import Agent, DocumentType, Language, Record, Repository
from accessions.standards.citations.citation import Citation
from accessions.standards.citations.formats import bibtex, csl_json, ris
from accessions.standards.citations.styles import plain_text, styled_citations
from tests.conftest import RECORD_QUERIES

pytestmark = pytest.mark.django_db

ACCESSED = date(2026, 11, 26)
URL = "https://archive.example.org/document/{}/"


def person(name):
    return Agent.objects.get_or_create(name=name, defaults={"kind": Agent.Kind.PERSON})[0]


def organisation(name):
    return Agent.objects.get_or_create(name=name, defaults={"kind": Agent.Kind.ORGANIZATION})[0]


def citation_of(record: Record) -> Citation:
    record = Record.objects.for_record_page().get(pk=record.pk)
    return Citation.from_record(record, url=URL.format(record.record_id), accessed=ACCESSED)


def styled(citation: Citation) -> dict[str, str]:
    """Each style's HTML, by key."""
    return {key: str(html) for key, _label, html in styled_citations(citation)}


def chicago(citation):
    return styled(citation)["chicago"]


def mla(citation):
    return styled(citation)["mla"]


def apa(citation):
    return styled(citation)["apa"]


@pytest.fixture
def letter(make_record):
    return make_record(
        title="Letter from Khrushchev to Kennedy",
        date_text="1962-10-26",
        authors=[person("Khrushchev, Nikita Sergeevich, 1894-1971")],
        document_type=DocumentType.objects.create(name="Letter"),
        original_archive=Repository.objects.create(name="Archive of Foreign Policy"),
        source="AVP RF, fond 0757, opis 7.",
        languages=[Language.objects.get(code="ru")],
    )


def test_three_styles_for_a_single_author_dated_letter(letter):
    citation = citation_of(letter)
    rid = letter.record_id
    # The official CSL styles' own wording: the record ID is the CSL item's number, shown
    # with the document type; full stops and commas go inside quotation marks (en-US).
    assert plain_text(chicago(citation)) == (
        "Khrushchev, Nikita Sergeevich. “Letter from Khrushchev to Kennedy.” "
        f"Letter No. {rid}. October 26, 1962. AVP RF, fond 0757, opis 7. "
        f"Archive of Foreign Policy. {URL.format(rid)}."
    )
    assert plain_text(mla(citation)) == (
        "Khrushchev, Nikita Sergeevich. “Letter from Khrushchev to Kennedy.” "
        f"Letter no. {rid}, 26 Oct. 1962, Archive of Foreign Policy, AVP RF, fond 0757, opis 7. "
        f"Declassified: International History Archive, {URL.format(rid)}."
    )
    assert plain_text(apa(citation)) == (
        f"Khrushchev, N. S. (1962). Letter from Khrushchev to Kennedy (Letter No. {rid}). "
        f"Archive of Foreign Policy (AVP RF, fond 0757, opis 7.). {URL.format(rid)}"
    )
    # Container and work titles are italic in the HTML the page shows.
    assert "<i>Declassified: International History Archive</i>" in str(mla(citation))
    assert "<i>Letter from Khrushchev to Kennedy</i>" in str(apa(citation))


def test_record_without_a_date_is_cited_as_no_date(make_record):
    record = make_record(title="Undated note", date_text="undated", authors=[person("Doe, Jane")])
    citation = citation_of(record)
    # Chicago and MLA title-case an English title (headline style); APA sentence-cases it.
    assert "“Undated Note.” No. " in plain_text(chicago(citation))
    assert f"n.d. Accessed November 26, 2026. {URL.format(record.record_id)}." in plain_text(
        chicago(citation)
    )
    assert plain_text(apa(citation)).startswith("Doe, J. (n.d.). Undated note (No. ")
    assert "Accessed 26 Nov. 2026." in plain_text(mla(citation))
    entry = parse_string(bibtex(citation), "bibtex").entries[f"record{record.record_id}"]
    assert "year" not in entry.fields and "date" not in entry.fields
    assert "PY" not in ris(citation) and "DA  -" not in ris(citation)
    assert "issued" not in json.loads(csl_json(citation))[0]


def test_month_and_approximate_dates_keep_their_precision(make_record):
    month = citation_of(make_record(title="Month", date_text="November 1967"))
    # APA dates an unpublished manuscript by its year only.
    assert "(1967)." in plain_text(apa(month))
    assert ", Nov. 1967." in plain_text(mla(month))
    assert "“Month.” November 1967." in plain_text(chicago(month))
    assert json.loads(csl_json(month))[0]["issued"] == {"date-parts": [[1967, 11]]}
    assert "DA  - 1967/11//" in ris(month)
    circa = citation_of(make_record(title="Circa", date_text="c. 1962"))
    assert "(ca. 1962)." in plain_text(apa(circa))
    assert "“Circa.” [1962?]." in plain_text(chicago(circa))
    assert json.loads(csl_json(circa))[0]["issued"] == {"date-parts": [[1962]], "circa": True}


def many_authors(count):
    return [person(f"Author{number:02d}, Given{number:02d} Middle") for number in range(count)]


def test_many_authors_follow_each_styles_truncation_rule(make_record):
    record = make_record(title="Joint statement", authors=many_authors(22))
    citation = citation_of(record)
    chicago_text = plain_text(chicago(citation))
    # Chicago (18th ed., 13.78): more than six authors, the first three then et al.
    assert chicago_text.startswith(
        "Author00, Given00 Middle, Given01 Middle Author01, Given02 Middle Author02, et al. "
        "“Joint Statement.”"
    )
    assert "Author03" not in chicago_text
    assert plain_text(mla(citation)).startswith("Author00, Given00 Middle, et al. “Joint")
    apa_text = plain_text(apa(citation))
    # APA (7th ed., 9.8): the first nineteen, an ellipsis, then the last author.
    assert "Author18, G. M., … Author21, G. M. (1963)." in apa_text
    assert "Author19" not in apa_text and "Author20" not in apa_text
    # The exports keep every author.
    entry = parse_string(bibtex(citation), "bibtex").entries[f"record{record.record_id}"]
    assert len(entry.persons["author"]) == 22
    assert len(rispy.loads(ris(citation))[0]["authors"]) == 22
    assert len(json.loads(csl_json(citation))[0]["author"]) == 22


def test_two_and_three_authors_join_with_and(make_record):
    two = citation_of(make_record(title="Two", authors=many_authors(2)))
    assert plain_text(chicago(two)).startswith(
        "Author00, Given00 Middle, and Given01 Middle Author01. “Two.”"
    )
    assert plain_text(mla(two)).startswith("Author00, Given00 Middle, and Given01 Middle Author01.")
    assert plain_text(apa(two)).startswith("Author00, G. M., & Author01, G. M. (1963")
    assert "Author00, G. M., &amp; Author01" in apa(two)


def test_non_latin_and_organisation_names(make_record):
    record = make_record(
        title="Записка о переговорах",
        authors=[
            person("Хрущёв, Никита Сергеевич, 1894-1971"),
            person("毛泽东"),
            person("Sartre, Jean-Paul"),
            organisation("Japan. Foreign Ministry"),
            person("Kennedy, John F. (John Fitzgerald), 1917-1963"),
        ],
    )
    citation = citation_of(record)
    assert plain_text(apa(citation)).startswith(
        "Japan. Foreign Ministry, Kennedy, J. F., Sartre, J.-P., Хрущёв, Н. С., & 毛泽东. (1963"
    )
    chicago_text = plain_text(chicago(citation))
    assert chicago_text.startswith("Japan. Foreign Ministry, John F. Kennedy, Jean-Paul Sartre, ")
    assert "Никита Сергеевич Хрущёв, and 毛泽东. “Записка" in chicago_text

    entry = parse_string(bibtex(citation), "bibtex").entries[f"record{record.record_id}"]
    authors = entry.persons["author"]
    assert [str(p) for p in authors][:2] == ["{Japan. Foreign Ministry}", "Kennedy, John F."]
    assert authors[3].last_names == ["Хрущёв"] and authors[3].first_names == ["Никита"]
    assert entry.fields["title"] == "{Записка} о переговорах"

    csl = json.loads(csl_json(citation))[0]
    assert {"family": "Хрущёв", "given": "Никита Сергеевич"} in csl["author"]
    assert {"family": "毛", "given": "泽东"} in csl["author"]
    assert {"literal": "Japan. Foreign Ministry"} in csl["author"]

    parsed = rispy.loads(ris(citation))[0]
    assert parsed["title"] == "Записка о переговорах"
    assert "Хрущёв, Никита Сергеевич" in parsed["authors"]


def test_bibtex_escapes_special_characters(make_record):
    record = make_record(title="50% of {the} files & notes_#1 ~ $cost^2 \\ end")
    entry = parse_string(bibtex(citation_of(record)), "bibtex").entries[f"record{record.record_id}"]
    assert entry.fields["title"] == (
        r"50\% of \{the\} files \& notes\_\#1 \textasciitilde{} \$cost\textasciicircum{}2 "
        r"\textbackslash{} end"
    )


def test_ris_export_is_read_by_an_ris_parser(letter):
    parsed = rispy.loads(ris(citation_of(letter)))
    assert len(parsed) == 1
    entry = parsed[0]
    assert entry["type_of_reference"] == "MANSCPT"
    assert entry["title"] == "Letter from Khrushchev to Kennedy"
    assert entry["authors"] == ["Khrushchev, Nikita Sergeevich"]
    assert entry["year"] == "1962"
    assert entry["date"] == "1962/10/26/"
    assert entry["urls"] == [URL.format(letter.record_id)]
    assert entry["language"] == "ru"


def test_csl_json_is_rendered_by_a_citeproc_processor(letter):
    items = json.loads(csl_json(citation_of(letter)))
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    bibliography.register(ProcCitation([CitationItem(items[0]["id"])]))
    rendered = str(bibliography.bibliography()[0])
    assert "Khrushchev, N.S." in rendered
    assert "(1962)" in rendered
    assert "Letter from Khrushchev to Kennedy" in rendered


def test_download_endpoints_serve_each_format(client, letter):
    base = letter.get_absolute_url()
    cases = {
        "bib": "application/x-bibtex; charset=utf-8",
        "ris": "application/x-research-info-systems; charset=utf-8",
        "json": "application/vnd.citationstyles.csl+json; charset=utf-8",
    }
    for extension, content_type in cases.items():
        response = client.get(f"{base}cite.{extension}")
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == (
            f'attachment; filename="record-{letter.record_id}.{extension}"'
        )
        assert "Khrushchev" in response.content.decode()
        assert f"http://testserver{base}" in response.content.decode()


def test_unknown_citation_format_is_not_found(client, letter):
    response = client.get(f"{letter.get_absolute_url()}cite.docx")
    assert response.status_code == 404


@pytest.mark.parametrize("status", ["draft", "in_review", "withdrawn"])
def test_unpublished_records_have_no_citation_downloads(client, make_record, status):
    record = make_record(status=status, title="Secret title")
    for extension in ("bib", "ris", "json"):
        response = client.get(f"{record.get_absolute_url()}cite.{extension}")
        assert response.status_code == 404
        assert b"Secret title" not in response.content


def test_record_page_shows_the_three_styles_and_download_links(client, letter):
    html = client.get(letter.get_absolute_url()).content.decode()
    assert "Cite this document" in html
    assert "Khrushchev, N. S. (1962). <i>Letter from Khrushchev to Kennedy</i>" in html
    assert "“Letter from Khrushchev to Kennedy.” Letter no." in html
    assert "Khrushchev, Nikita Sergeevich. “Letter from Khrushchev to Kennedy.” Letter No." in html
    for extension in ("bib", "ris", "json"):
        assert f'href="/document/{letter.record_id}/cite.{extension}"' in html
    assert html.index("Cite this document") < html.index("Document Information")


def test_citation_download_query_count_does_not_grow_with_authors(
    client, make_record, django_assert_num_queries
):
    small = make_record(authors=many_authors(1))
    large = make_record(authors=many_authors(15))
    with django_assert_num_queries(RECORD_QUERIES):
        client.get(f"{small.get_absolute_url()}cite.bib")
    with django_assert_num_queries(RECORD_QUERIES):
        response = client.get(f"{large.get_absolute_url()}cite.bib")
    assert b"Author14" in response.content


def test_staff_preview_shows_citations_without_dead_download_links(client, make_record, editor):
    from django.urls import reverse

    record = make_record(status="draft", title="Draft letter")
    client.force_login(editor)
    html = client.get(reverse("admin:accessions_record_preview", args=[record.pk])).content.decode()
    # Chicago writes an English title in headline case.
    assert "Cite this document" in html and "“Draft Letter.”" in html
    assert "cite.bib" not in html


def test_staff_text_in_citations_is_escaped_on_the_page(client, make_record):
    record = make_record(title="<script>alert(1)</script> memo", source="A & B <archive>")
    html = client.get(record.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "“&lt;script&gt;alert(1)&lt;/script&gt; Memo.”" in html
    assert "A &amp; B &lt;archive&gt;." in html
    assert "<i>&lt;script&gt;alert(1)&lt;/script&gt; memo</i>" in html


def test_a_record_without_authors_is_cited_by_its_title_once(make_record):
    record = make_record(title="Anonymous memorandum on Berlin")
    for key, html in styled(citation_of(record)).items():
        assert plain_text(html).count("emorandum on Berlin") == 1, key


def test_hostile_text_is_escaped_in_every_style(make_record):
    record = make_record(
        title='<img src=x onerror="alert(1)"> & co',
        source="<b>bold</b> archive",
        authors=[person("<Evil>, Mallory")],
    )
    for key, html in styled(citation_of(record)).items():
        assert "<img" not in html and "<b>" not in html and "<Evil>" not in html, key
        assert "&lt;img src=x" in html.lower() and "&lt;Evil&gt;" in html, key
        assert "<img" in plain_text(html), key


def test_another_style_is_another_file(settings, tmp_path, letter):
    style = tmp_path / "title-only.csl"
    style.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">'
        "<info><title>Title only</title><id>title-only</id>"
        "<updated>2026-01-01T00:00:00+00:00</updated></info>"
        '<citation><layout><text variable="title"/></layout></citation>'
        '<bibliography><layout suffix="."><text variable="title" font-style="italic"/>'
        "</layout></bibliography></style>\n",
        encoding="utf-8",
    )
    settings.ARCHIVE_CITATION_STYLES = {"short": ("Short", str(style))}
    assert styled_citations(citation_of(letter)) == [
        ("short", "Short", "<i>Letter from Khrushchev to Kennedy</i>.")
    ]


def test_a_changed_record_is_cited_anew(make_record):
    record = make_record(title="First title")
    assert "First Title" in chicago(citation_of(record))
    record.title = "Second title"
    record.save()
    assert "Second Title" in chicago(citation_of(record))


def test_ris_lines_end_in_crlf_without_a_reference_number(letter):
    text = ris(citation_of(letter))
    assert text.startswith("TY  - MANSCPT\r\n")
    assert text.endswith("ER  - \r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "AV  - Archive of Foreign Policy\r\n" in text
