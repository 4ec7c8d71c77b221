"""Citations as files for reference managers: BibTeX (biblatex), RIS and CSL-JSON."""

import json

import rispy
from pybtex.database import BibliographyData, Entry, Person

from accessions.standards.citations.citation import Citation, DocumentDate, Name

# pybtex encodes %, &, _ and # for TeX as it writes; braces, backslashes, dollars, carets
# and tildes it leaves as they are, so that they would be read as TeX.
TEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _tex(text: str) -> str:
    return "".join(TEX_SPECIALS.get(char, char) for char in " ".join(text.split()))


def _bibtex_title(text: str) -> str:
    """The title with every word that holds a capital in braces.

    Zotero's Better BibTeX parser and biblatex styles sentence-case titles, and both keep
    a braced word as written, so "Soviet Union" and "(Kennan)" survive. Braces around the
    whole title would not do: Better BibTeX takes them for an old habit and drops them.
    """
    words = _tex(text).split(" ")
    return " ".join(f"{{{word}}}" if any(c.isupper() for c in word) else word for word in words)


def _bibtex_person(name: Name) -> Person:
    """Organisations and Han or Hangul names in braces, which keep a name whole instead of
    splitting it into first and last names."""
    if name.literal or name.is_east_asian_script:
        return Person(last="{" + _tex(name.inverted) + "}")
    family = _tex(name.family)
    if any(word[:1].islower() for word in family.split()) or "," in family:
        # BibTeX would read a lower-case word as a particle and a comma as a separator.
        family = "{" + family + "}"
    return Person(
        first=_tex(name.given),
        prelast=_tex(name.particle),
        last=family,
        lineage=_tex(name.suffix),
    )


def _bibtex_keyword(subject: str) -> str:
    # biblatex splits keywords at commas outside braces; headings such as "Security,
    # International" keep theirs in braces.
    escaped = _tex(subject)
    return "{" + escaped + "}" if "," in escaped else escaped


def _bibtex_date(value: DocumentDate) -> str:
    """biblatex's ISO 8601 date at the precision staff gave, or a range of years."""
    if value.end_year:
        return f"{value.year:04d}/{value.end_year:04d}"
    return "-".join(
        f"{part:0{width}d}"
        for part, width in ((value.year, 4), (value.month, 2), (value.day, 2))
        if part
    )


def bibtex(citation: Citation) -> str:
    """A BibTeX @misc entry with biblatex's date and urldate, UTF-8, without empty fields."""
    fields = {"title": _bibtex_title(citation.title)}
    if citation.date.year is not None:
        # biblatex reads the whole date; BibTeX styles, which ignore `date`, read the year.
        fields["date"] = _bibtex_date(citation.date)
        fields["year"] = str(citation.date.year)
    note = f"Record ID {citation.record_id}"
    if citation.source:
        note += f". {citation.source}"
    fields |= {
        "type": _tex(citation.document_type),
        "howpublished": _tex(citation.site_name),
        "organization": _tex(citation.archive),
        "note": _tex(note),
        "abstract": _tex(citation.summary),
        "language": " and ".join(citation.languages),
        "keywords": ", ".join(_bibtex_keyword(subject) for subject in citation.subjects),
        "url": citation.url,
        "urldate": citation.accessed.isoformat(),
    }
    entry = Entry(
        "misc",
        fields={name: value for name, value in fields.items() if value.strip()},
        persons={"author": [_bibtex_person(name) for name in citation.authors]},
    )
    return BibliographyData({f"record{citation.record_id}": entry}).to_string("bibtex")


class RisWriter(rispy.RisWriter):
    """RIS as reference managers expect it: CRLF line ends and no reference-number line."""

    NEWLINE = "\r\n"

    def set_header(self, count: int) -> str:
        return ""


RIS_MAPPING = {**rispy.TAG_KEY_MAPPING, "AV": "archive_location"}
RIS_LIST_TAGS = [*rispy.LIST_TYPE_TAGS, "LA"]


def ris(citation: Citation) -> str:
    """An RIS record of type MANSCPT (Zotero reads it as a manuscript with archive fields)."""
    reference = {
        "type_of_reference": "MANSCPT",
        "title": citation.title,
        "authors": [name.inverted for name in citation.authors],
    }
    value = citation.date
    if value.year is not None:
        month = f"{value.month:02d}" if value.month and not value.end_year else ""
        day = f"{value.day:02d}" if value.day else ""
        reference["year"] = str(value.year)
        reference["date"] = f"{value.year:04d}/{month}/{day}/"
    reference |= {
        "type_of_work": citation.document_type,
        "abstract": citation.summary,
        "archive_location": citation.archive,
        "notes": [citation.source] if citation.source else [],
        "language": citation.languages,
        "keywords": citation.subjects,
        "name_of_database": citation.site_name,
        "accession_number": str(citation.record_id),
        "urls": [citation.url],
        "access_date": citation.accessed.strftime("%Y/%m/%d"),
    }
    # RIS holds one line per value: line breaks inside a value would start a new tag.
    reference = {
        key: [" ".join(item.split()) for item in value]
        if isinstance(value, list)
        else " ".join(value.split())
        for key, value in reference.items()
        if value
    }
    return rispy.dumps(
        [reference], implementation=RisWriter, mapping=RIS_MAPPING, list_tags=RIS_LIST_TAGS
    )


def _date_parts(value: DocumentDate) -> dict | None:
    if value.year is None:
        return None
    if value.end_year:
        parts = [[value.year], [value.end_year]]
    else:
        parts = [[value.year, *[p for p in (value.month, value.day) if p]]]
    item = {"date-parts": parts}
    if value.approximate:
        item["circa"] = True
    return item


def _csl_name(name: Name) -> dict:
    if name.literal:
        return {"literal": name.literal}
    parts = {
        "family": name.family,
        "given": name.given,
        "non-dropping-particle": name.particle,
        "suffix": name.suffix,
    }
    return {key: value for key, value in parts.items() if value}


def csl_item(citation: Citation) -> dict:
    """The record as a CSL-JSON item, the form citeproc processors and Zotero import."""
    item = {
        "id": f"record-{citation.record_id}",
        "type": "manuscript",
        "title": citation.title,
        "URL": citation.url,
        "source": citation.site_name,
        "number": str(citation.record_id),
        "accessed": {
            "date-parts": [[citation.accessed.year, citation.accessed.month, citation.accessed.day]]
        },
    }
    if citation.authors:
        item["author"] = [_csl_name(name) for name in citation.authors]
    if issued := _date_parts(citation.date):
        item["issued"] = issued
    if citation.document_type:
        item["genre"] = citation.document_type
    if citation.archive:
        item["archive"] = citation.archive
    if citation.source:
        item["archive_location"] = citation.source
    if citation.summary:
        item["abstract"] = citation.summary
    if citation.languages:
        item["language"] = citation.languages[0]
    return item


def csl_json(citation: Citation) -> str:
    return json.dumps([csl_item(citation)], ensure_ascii=False, indent=2) + "\n"


EXPORTS = {
    # extension: (label, renderer, content type)
    "bib": ("BibTeX", bibtex, "application/x-bibtex; charset=utf-8"),
    "ris": ("RIS", ris, "application/x-research-info-systems; charset=utf-8"),
    "json": ("CSL-JSON", csl_json, "application/vnd.citationstyles.csl+json; charset=utf-8"),
}
