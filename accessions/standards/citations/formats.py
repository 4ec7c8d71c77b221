"""Citations of a record: Chicago, MLA and APA text, and BibTeX, RIS and CSL-JSON exports."""

import calendar
import json
from dataclasses import dataclass
from datetime import date
from html import unescape

from django.conf import settings
from django.utils.html import format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe

from accessions.catalogue.models import Agent, Record
from accessions.catalogue.names import clean_heading, in_east_asian_script

MLA_MONTHS = {
    1: "Jan.",
    2: "Feb.",
    3: "Mar.",
    4: "Apr.",
    5: "May",
    6: "June",
    7: "July",
    8: "Aug.",
    9: "Sept.",
    10: "Oct.",
    11: "Nov.",
    12: "Dec.",
}


def _joined(*parts: str, separator: str = " ") -> str:
    return separator.join(part for part in parts if part)


@dataclass(frozen=True)
class Name:
    """An author: a person's name parts (accessions.catalogue.names), or an organisation's
    name kept whole as a literal."""

    family: str = ""
    given: str = ""
    particle: str = ""
    suffix: str = ""
    family_first: bool = False
    literal: str = ""

    @classmethod
    def from_agent(cls, agent: Agent) -> "Name":
        if agent.kind == Agent.Kind.PERSON and agent.family_name:
            return cls(
                family=agent.family_name,
                given=agent.given_name,
                particle=agent.name_particle,
                suffix=agent.name_suffix,
                family_first=agent.family_name_first,
            )
        return cls(literal=clean_heading(agent.name) or agent.name)

    @property
    def is_east_asian_script(self) -> bool:
        """Han, kana or Hangul: written family then given name, with no space between."""
        return in_east_asian_script(self.family)

    @property
    def family_with_particle(self) -> str:
        return _joined(self.particle, self.family)

    @property
    def inverted(self) -> str:
        """“Kennan, George F.”, “de Gaulle, Charles”, “King, Martin Luther, Jr.”."""
        if self.literal:
            return self.literal
        if self.is_east_asian_script:
            return self.family + self.given
        return _joined(self.family_with_particle, self.given, self.suffix, separator=", ")

    @property
    def natural(self) -> str:
        """Running text: “George F. Kennan”, “Mao Zedong”, “毛泽东”."""
        if self.literal:
            return self.literal
        if self.is_east_asian_script:
            return self.family + self.given
        if self.family_first:
            return _joined(self.family, self.given)
        return _joined(self.given, self.family_with_particle, self.suffix)

    @property
    def initials(self) -> str:
        """APA form: family name and initials, e.g. “Khrushchev, N. S.” or “Sartre, J.-P.”."""
        if self.literal or self.is_east_asian_script:
            return self.inverted
        initials = []
        for word in self.given.split():
            parts = [part[0] + "." for part in word.split("-") if part and part[0].isalpha()]
            if parts:
                initials.append("-".join(parts))
        return _joined(self.family_with_particle, " ".join(initials), self.suffix, separator=", ")


@dataclass(frozen=True)
class DocumentDate:
    """The document date at the precision staff gave: year, month and day may each be absent."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    end_year: int | None = None
    approximate: bool = False

    @classmethod
    def from_record(cls, record: Record) -> "DocumentDate":
        start, end = record.date_start, record.date_end
        if start is None:
            return cls()
        approximate = record.date_approximate
        if start == end:
            return cls(start.year, start.month, start.day, approximate=approximate)
        if start.year == end.year and (start.month, start.day, end.month, end.day) == (
            1,
            1,
            12,
            31,
        ):
            return cls(start.year, approximate=approximate)
        if (start.year, start.month) == (end.year, end.month) and start.day == 1:
            return cls(start.year, start.month, approximate=approximate)
        return cls(start.year, end_year=end.year, approximate=approximate)

    @property
    def year_text(self) -> str:
        if self.year is None:
            return ""
        text = str(self.year)
        if self.end_year and self.end_year != self.year:
            text = f"{self.year}–{self.end_year}"
        return f"ca. {text}" if self.approximate else text


@dataclass(frozen=True)
class Citation:
    """Everything a citation needs, read once from a record whose relations are prefetched."""

    record_id: int
    title: str
    authors: list[Name]
    date: DocumentDate
    date_display: str
    document_type: str
    source: str
    archive: str
    summary: str
    languages: list[str]
    subjects: list[str]
    url: str
    site_name: str
    accessed: date

    @classmethod
    def from_record(cls, record: Record, *, url: str, accessed: date) -> "Citation":
        return cls(
            record_id=record.record_id,
            title=record.title,
            authors=[Name.from_agent(agent) for agent in record.authors.all()],
            date=DocumentDate.from_record(record),
            date_display=record.date_display,
            document_type=record.document_type.name if record.document_type else "",
            source=record.source.strip(),
            archive=record.original_archive.name if record.original_archive else "",
            summary=record.summary.strip(),
            languages=[language.code for language in record.languages.all()],
            subjects=[subject.name for subject in record.subjects.all()],
            url=url,
            site_name=settings.SITE_NAME,
            accessed=accessed,
        )


def _sentence(text: str) -> str:
    """Text ending in one full stop (or its own ?/!), for joining citation parts."""
    text = " ".join(text.split())
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _quoted_title(title: str) -> str:
    """“Title.” — the full stop goes inside the quotes, as in Chicago and MLA."""
    title = " ".join(title.split())
    return f"“{title}{'' if title.endswith(('.', '?', '!')) else '.'}”"


def _join(parts) -> SafeString:
    return mark_safe(" ".join(str(part) for part in parts if part))


def plain_text(citation_html: str) -> str:
    """A styled citation without its italics markup, for copying as text."""
    return unescape(strip_tags(citation_html))


def chicago(citation: Citation) -> SafeString:
    """Chicago (17th ed.) bibliography entry for an archival document."""
    names = citation.authors
    if len(names) > 10:
        # Chicago 14.76: more than ten authors, list seven followed by et al.
        names, et_al = names[:7], True
    else:
        et_al = False
    if names:
        listed = [names[0].inverted] + [name.natural for name in names[1:]]
        if et_al:
            authors = ", ".join(listed) + ", et al."
        elif len(listed) == 1:
            authors = _sentence(listed[0])
        else:
            authors = _sentence(", ".join(listed[:-1]) + ", and " + listed[-1])
    else:
        authors = ""
    date_text = citation.date_display if citation.date.year is not None else "n.d."
    return _join(
        [
            format_html("{}", authors),
            format_html("{}", _quoted_title(citation.title)),
            format_html("{}", _sentence(date_text)),
            format_html("{}", _sentence(citation.source)) if citation.source else "",
            format_html("{}", _sentence(citation.archive)) if citation.archive else "",
            format_html("<i>{}</i>, Record ID {}.", citation.site_name, citation.record_id),
            format_html("{}.", citation.url),
        ]
    )


def _mla_date(value: DocumentDate) -> str:
    if value.year is None:
        return ""
    if value.end_year:
        return value.year_text
    parts = [str(value.day) if value.day else "", MLA_MONTHS[value.month] if value.month else ""]
    text = " ".join(part for part in [*parts, str(value.year)] if part)
    return f"ca. {text}" if value.approximate else text


def mla(citation: Citation) -> SafeString:
    """MLA (9th ed.) works-cited entry."""
    names = citation.authors
    if len(names) == 1:
        authors = _sentence(names[0].inverted)
    elif len(names) == 2:
        authors = _sentence(f"{names[0].inverted}, and {names[1].natural}")
    elif names:
        authors = f"{names[0].inverted}, et al."
    else:
        authors = ""
    date_text = _mla_date(citation.date)
    accessed = citation.accessed
    return _join(
        [
            format_html("{}", authors),
            format_html("{}", _quoted_title(citation.title)),
            format_html("{}", _sentence(date_text)) if date_text else "",
            format_html("{}", _sentence(citation.source)) if citation.source else "",
            format_html("<i>{}</i>, {}.", citation.site_name, citation.url),
            format_html(
                "Accessed {} {} {}.", accessed.day, MLA_MONTHS[accessed.month], accessed.year
            ),
        ]
    )


def _apa_date(value: DocumentDate) -> str:
    if value.year is None:
        return "(n.d.)"
    if value.end_year:
        return f"({value.year_text})"
    parts = [str(value.year)]
    if value.month:
        month = calendar.month_name[value.month]
        parts.append(f"{month} {value.day}" if value.day else month)
    text = ", ".join(parts)
    return f"(ca. {text})" if value.approximate else f"({text})"


def apa(citation: Citation) -> SafeString:
    """APA (7th ed.) reference for an archival document."""
    names = [name.initials for name in citation.authors]
    if len(names) > 20:
        # APA 9.8: the first nineteen, an ellipsis, then the last author.
        authors = ", ".join(names[:19]) + ", . . . " + names[-1]
    elif len(names) > 1:
        authors = ", ".join(names[:-1]) + ", & " + names[-1]
    else:
        authors = names[0] if names else ""
    described = " ".join(citation.title.split())
    bracket = f" [{citation.document_type}]" if citation.document_type else ""
    title = format_html("<i>{}</i>{}.", described.rstrip("."), bracket)
    date_part = f"{_apa_date(citation.date)}."
    # Without an author the title moves to the author position (APA 9.12).
    lead = (
        [format_html("{}", _sentence(authors)), date_part, title]
        if authors
        else [
            title,
            date_part,
        ]
    )
    return _join(
        [
            *lead,
            format_html("{}", _sentence(citation.archive)) if citation.archive else "",
            format_html("{}.", citation.site_name),
            format_html("{}", citation.url),
        ]
    )


STYLES = {"chicago": ("Chicago", chicago), "mla": ("MLA", mla), "apa": ("APA", apa)}


def styled_citations(citation: Citation) -> list[tuple[str, str, SafeString]]:
    """(key, label, HTML) for each text style the record page offers."""
    return [(key, label, render(citation)) for key, (label, render) in STYLES.items()]


# Exports ---------------------------------------------------------------------------------

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
    parts = [_joined(_bibtex_escape(name.particle), family)]
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
