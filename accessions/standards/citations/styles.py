"""Citations as text: Chicago, MLA and APA, in HTML for the record page."""

import calendar
from html import unescape

from django.utils.html import format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe

from accessions.standards.citations.citation import Citation, DocumentDate

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
