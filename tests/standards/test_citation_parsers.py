"""The citation downloads as researchers' tools read them: Zotero's Better BibTeX parser and
citeproc-js (npm, run with node), biber (biblatex's own reader), bibtexparser and pybtex."""

import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts
from lxml import etree
from pybtex.database import parse_string

from accessions.models import Agent, DocumentType, Record, Repository, Subject
from accessions.standards.citations.citation import Citation
from accessions.standards.citations.formats import bibtex, csl_json, ris

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tests" / "tools"
NODE_PACKAGES = ROOT / "node_modules"
URL = "https://archive.example.org/document/{}/"
TITLE = "Telegram from the Chargé in the Soviet Union (Kennan) to the Secretary of State"


def unavailable(reason: str):
    # CI must read the citations with the real tools, so a missing one there is an error.
    if os.environ.get("CI"):
        pytest.fail(f"{reason} CI must run the citation parsers (`make test` installs them).")
    pytest.skip(f"{reason} `make test` installs it.")


def run_node(tool: str, text: str):
    if shutil.which("node") is None:
        unavailable("node is not installed.")
    for package in ("@retorquere/bibtex-parser", "citeproc", "@citation-js/plugin-csl"):
        if not (NODE_PACKAGES / package).exists():
            unavailable(f"The npm package {package} is missing (npm ci).")
    finished = subprocess.run(
        ["node", str(TOOLS / tool)], input=text, capture_output=True, text=True, check=True
    )
    return json.loads(finished.stdout)


def citation_of(record: Record) -> Citation:
    record = Record.objects.for_record_page().get(pk=record.pk)
    return Citation.from_record(
        record, url=URL.format(record.record_id), accessed=date(2026, 11, 26)
    )


@pytest.fixture
def long_telegram(make_record):
    return make_record(
        title=TITLE,
        date_text="1946-02-22",
        authors=[Agent.objects.create(name="George F. Kennan")],
        document_type=DocumentType.objects.create(name="Telegram"),
        original_archive=Repository.objects.create(name="National Archives"),
        subjects=[
            Subject.objects.create(name="Economic assistance, American--Europe"),
            Subject.objects.create(name="Security, International"),
            Subject.objects.create(name="Cold War"),
        ],
    )


@pytest.fixture
def many_kinds_of_name(make_record):
    return make_record(
        title="Joint communiqué",
        date_text="November 1963",
        summary="",
        authors=[
            Agent.objects.create(name="CPSU Central Committee", kind="organization"),
            Agent.objects.create(name="Charles de Gaulle"),
            Agent.objects.create(name="King, Martin Luther, Jr."),
            Agent.objects.create(name="Mao Zedong"),
            Agent.objects.create(name="Хрущёв Никита Сергеевич"),
        ],
    )


def test_better_bibtex_parser_keeps_capitals_names_and_the_full_date(long_telegram):
    parsed = run_node("parse_bibtex.mjs", bibtex(citation_of(long_telegram)))
    assert parsed["errors"] == []
    (entry,) = parsed["entries"]
    fields = entry["fields"]
    # The parser sentence-cases English titles, but keeps braced words as written.
    assert fields["title"] == TITLE
    assert fields["author"] == [{"lastName": "Kennan", "firstName": "George F."}]
    assert fields["date"] == "1946-02-22"
    assert fields["type"] == "Telegram"
    assert "Cold War" in fields["keywords"]
    assert all(value for value in fields.values())


def test_better_bibtex_parser_reads_every_kind_of_name(many_kinds_of_name):
    parsed = run_node("parse_bibtex.mjs", bibtex(citation_of(many_kinds_of_name)))
    (entry,) = parsed["entries"]
    assert entry["fields"]["author"] == [
        {"name": "CPSU Central Committee"},
        {"lastName": "Gaulle", "firstName": "Charles", "prefix": "de"},
        {"lastName": "King", "firstName": "Martin Luther", "suffix": "Jr."},
        {"lastName": "Mao", "firstName": "Zedong"},
        {"lastName": "Хрущёв", "firstName": "Никита Сергеевич"},
    ]
    # No summary, so no empty abstract field.
    assert "abstract" not in entry["fields"]
    assert entry["fields"]["date"] == "1963-11"


def test_citeproc_js_renders_apa_with_family_names_and_initials(long_telegram, many_kinds_of_name):
    items = json.loads(csl_json(citation_of(long_telegram)))
    items += json.loads(csl_json(citation_of(many_kinds_of_name)))
    rendered = run_node("render_csl.mjs", json.dumps(items))
    kennan = next(text for text in rendered if "Kennan, G. F." in text)
    assert kennan.startswith(f"Kennan, G. F. (1946). {TITLE} (Telegram No. ")
    others = next(text for text in rendered if "Joint communiqué" in text)
    assert others.startswith(
        "CPSU Central Committee, de Gaulle, C., King, M. L., Jr., Mao, Z., & Хрущёв, Н. С. (1963)."
    )


def test_csl_json_has_no_empty_author_list(make_record):
    (item,) = json.loads(csl_json(citation_of(make_record(title="Anonymous note"))))
    assert "author" not in item


def biber_read(bib: str, tmp_path: Path, output_format: str) -> str:
    if shutil.which("biber") is None:
        unavailable("biber (biblatex's reader) is not installed.")
    source = tmp_path / "record.bib"
    source.write_text(bib, encoding="utf-8")
    output = tmp_path / f"out.{output_format}"
    subprocess.run(
        ["biber", "--tool", f"--output-format={output_format}", f"--output-file={output}", source],
        capture_output=True,
        check=True,
        cwd=tmp_path,
    )
    return output.read_text(encoding="utf-8")


def test_biber_reads_name_parts_the_date_and_whole_keywords(long_telegram, tmp_path):
    bib = bibtex(citation_of(long_telegram))
    xml = etree.fromstring(biber_read(bib, tmp_path, "biblatexml").encode())
    namespace = {"bltx": "http://biblatex-biber.sourceforge.net/biblatexml"}
    family = xml.xpath(
        "//bltx:names[@type='author']//bltx:namepart[@type='family']", namespaces=namespace
    )
    assert [part.text for part in family] == ["Kennan"]
    assert xml.xpath("string(//bltx:date)", namespaces=namespace) == "1946-02-22"
    title = xml.xpath("string(//bltx:title)", namespaces=namespace)
    assert "{Soviet} {Union} {(Kennan)}" in title
    # biblatex splits keywords at commas outside braces: three keywords, two of them braced.
    written = biber_read(bib, tmp_path, "bibtex")
    keywords = next(line for line in written.splitlines() if "KEYWORDS" in line)
    assert keywords.count("{Economic assistance,") == 1 and keywords.count("{Security,") == 1


def test_bibtexparser_and_pybtex_read_the_entry(long_telegram, many_kinds_of_name):
    text = bibtex(citation_of(long_telegram)) + bibtex(citation_of(many_kinds_of_name))
    library = bibtexparser.parse_string(
        text, append_middleware=[SeparateCoAuthors(), SplitNameParts()]
    )
    assert library.failed_blocks == []
    telegram, others = library.entries
    assert telegram["date"] == "1946-02-22" and telegram["year"] == "1946"
    assert [(n.last, n.first) for n in telegram["author"]] == [(["Kennan"], ["George", "F."])]
    assert [n.von for n in others["author"]][1] == ["de"]
    assert [n.jr for n in others["author"]][2] == ["Jr."]
    assert all(field.value for entry in library.entries for field in entry.fields)
    pybtex_entry = parse_string(text, "bibtex").entries[f"record{many_kinds_of_name.record_id}"]
    assert [str(person) for person in pybtex_entry.persons["author"]] == [
        "{CPSU Central Committee}",
        "de Gaulle, Charles",
        "King, Jr., Martin Luther",
        "Mao, Zedong",
        "Хрущёв, Никита Сергеевич",
    ]


def test_ris_writes_family_given_suffix(many_kinds_of_name):
    authors = [line for line in ris(citation_of(many_kinds_of_name)).splitlines() if "AU" in line]
    assert authors == [
        "AU  - CPSU Central Committee",
        "AU  - de Gaulle, Charles",
        "AU  - King, Martin Luther, Jr.",
        "AU  - Mao, Zedong",
        "AU  - Хрущёв, Никита Сергеевич",
    ]
