"""Citations as files for reference managers: BibTeX (biblatex), RIS and CSL-JSON."""

import json

from accessions.standards.citations.citation import Citation, DocumentDate, Name, joined

BIBTEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _bibtex_escape(text: str) -> str:
    return "".join(BIBTEX_SPECIALS.get(char, char) for char in " ".join(text.split()))


def _bibtex_title(text: str) -> str:
    """The title with every word that holds a capital in braces.

    Zotero's Better BibTeX parser and biblatex styles sentence-case titles, and both keep
    a braced word as written, so "Soviet Union" and "(Kennan)" survive. Braces around the
    whole title would not do: Better BibTeX takes them for an old habit and drops them.
    """
    words = _bibtex_escape(text).split(" ")
    return " ".join(f"{{{word}}}" if any(c.isupper() for c in word) else word for word in words)


def _bibtex_name(name: Name) -> str:
    """BibTeX's “von Last, Jr, First”; organisations and Han or Hangul names in braces,
    which keep a name whole instead of splitting it into first and last names."""
    if name.literal or name.is_east_asian_script:
        return "{" + _bibtex_escape(name.inverted) + "}"
    family = _bibtex_escape(name.family)
    if any(word[:1].islower() for word in family.split()) or "," in family:
        # BibTeX would read a lower-case word as a particle and a comma as a separator.
        family = "{" + family + "}"
    parts = [joined(_bibtex_escape(name.particle), family)]
    if name.suffix:
        parts.append(_bibtex_escape(name.suffix))
    if name.given:
        parts.append(_bibtex_escape(name.given))
    return ", ".join(parts)


def _bibtex_keyword(subject: str) -> str:
    # biblatex splits keywords at commas outside braces; headings such as "Security,
    # International" keep theirs in braces.
    escaped = _bibtex_escape(subject)
    return "{" + escaped + "}" if "," in escaped else escaped


def bibtex(citation: Citation) -> str:
    """A BibTeX @misc entry with biblatex's date and urldate, UTF-8, without empty fields."""
    fields = [("title", _bibtex_title(citation.title))]
    if citation.authors:
        fields.append(("author", " and ".join(_bibtex_name(n) for n in citation.authors)))
    value = citation.date
    if value.year is not None:
        # biblatex reads the whole date; BibTeX styles, which ignore `date`, read the year.
        if value.end_year:
            fields.append(("date", f"{value.year:04d}/{value.end_year:04d}"))
        elif value.day:
            fields.append(("date", f"{value.year:04d}-{value.month:02d}-{value.day:02d}"))
        elif value.month:
            fields.append(("date", f"{value.year:04d}-{value.month:02d}"))
        else:
            fields.append(("date", f"{value.year:04d}"))
        fields.append(("year", str(value.year)))
    fields.append(("type", _bibtex_escape(citation.document_type)))
    fields.append(("howpublished", _bibtex_escape(citation.site_name)))
    fields.append(("organization", _bibtex_escape(citation.archive)))
    note = f"Record ID {citation.record_id}"
    if citation.source:
        note += f". {citation.source}"
    fields.append(("note", _bibtex_escape(note)))
    fields.append(("abstract", _bibtex_escape(citation.summary)))
    fields.append(("language", " and ".join(citation.languages)))
    fields.append(("keywords", ", ".join(_bibtex_keyword(s) for s in citation.subjects)))
    fields.append(("url", citation.url))
    fields.append(("urldate", citation.accessed.isoformat()))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value.strip())
    return f"@misc{{record{citation.record_id},\n{body}\n}}\n"


def _ris_value(text: str) -> str:
    return " ".join(text.split())


def ris(citation: Citation) -> str:
    """An RIS record of type MANSCPT (Zotero reads it as a manuscript with archive fields)."""
    lines = [("TY", "MANSCPT"), ("TI", citation.title)]
    lines += [("AU", name.inverted) for name in citation.authors]
    value = citation.date
    if value.year is not None:
        month = f"{value.month:02d}" if value.month and not value.end_year else ""
        day = f"{value.day:02d}" if value.day else ""
        lines.append(("PY", str(value.year)))
        lines.append(("DA", f"{value.year:04d}/{month}/{day}/"))
    if citation.document_type:
        lines.append(("M3", citation.document_type))
    if citation.summary:
        lines.append(("AB", citation.summary))
    if citation.archive:
        lines.append(("AV", citation.archive))
    if citation.source:
        lines.append(("N1", citation.source))
    lines += [("LA", code) for code in citation.languages]
    lines += [("KW", subject) for subject in citation.subjects]
    lines += [
        ("DB", citation.site_name),
        ("AN", str(citation.record_id)),
        ("UR", citation.url),
        ("Y2", citation.accessed.strftime("%Y/%m/%d")),
        ("ER", ""),
    ]
    return "".join(f"{tag}  - {_ris_value(text)}\r\n" for tag, text in lines)


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
