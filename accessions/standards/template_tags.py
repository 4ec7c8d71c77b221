"""Template tags that put citations, citation_* meta tags and JSON-LD on the record page."""

from django import template
from django.utils import timezone

from accessions.standards.citations.citation import Citation
from accessions.standards.citations.formats import EXPORTS
from accessions.standards.citations.styles import plain_text, styled_citations
from accessions.standards.structured_data import (
    citation_meta_tags,
    json_ld_script,
    open_graph_tags,
)

register = template.Library()


def _citation(record, url) -> Citation:
    return Citation.from_record(record, url=url, accessed=timezone.localdate())


@register.simple_tag
def record_head_metadata(record, url) -> dict:
    """For <head>: citation_*, DC.* and Open Graph tags and the schema.org JSON-LD script."""
    citation = _citation(record, url)
    return {
        "meta_tags": citation_meta_tags(citation, record),
        "properties": open_graph_tags(citation),
        "json_ld": json_ld_script(record, url=url),
    }


@register.simple_tag
def record_citations(record, url) -> dict:
    """For “Cite this document”: the three text styles and the download links."""
    styles = [
        {"key": key, "label": label, "html": html, "text": plain_text(html)}
        for key, label, html in styled_citations(_citation(record, url))
    ]
    exports = [
        {"url": f"{record.get_absolute_url()}cite.{extension}", "label": label, "ext": extension}
        for extension, (label, _render, _content_type) in EXPORTS.items()
    ]
    return {"styles": styles, "exports": exports}
