"""Machine-readable descriptions of a record for search engines and reference managers."""

import json

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from accessions.catalogue.models import Agent, Record
from accessions.standards.citations.formats import Citation, Name
from accessions.standards.oai.dublin_core import w3cdtf_date

# Escapes that keep JSON inside <script> from closing the element or opening a comment.
SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _agent(agent: Agent) -> dict:
    if agent.kind != Agent.Kind.PERSON:
        return {"@type": "Organization", "name": agent.name}
    name = Name.from_agent(agent)
    if name.literal:
        return {"@type": "Person", "name": name.literal}
    return {
        "@type": "Person",
        "name": name.natural,
        "familyName": name.family,
        "givenName": name.given,
    }


def json_ld(record: Record, *, url: str) -> dict:
    """schema.org ArchiveComponent (a CreativeWork) with the record page's fields."""
    data = {
        "@context": "https://schema.org",
        "@type": "ArchiveComponent",
        "@id": url,
        "url": url,
        "name": record.title,
        "identifier": str(record.record_id),
        "publisher": {"@type": "Organization", "name": settings.SITE_NAME},
    }
    if date := w3cdtf_date(record):
        data["dateCreated"] = date
    if record.original_upload_date:
        data["datePublished"] = record.original_upload_date.isoformat()
    if record.summary:
        data["description"] = record.summary
    if authors := [_agent(agent) for agent in record.authors.all()]:
        data["author"] = authors
    if mentions := [_agent(agent) for agent in record.people_and_organizations.all()]:
        data["mentions"] = mentions
    if languages := [language.code for language in record.languages.all()]:
        data["inLanguage"] = languages
    if subjects := [subject.name for subject in record.subjects.all()]:
        data["keywords"] = subjects
        data["about"] = [{"@type": "Thing", "name": name} for name in subjects]
    if places := [place.name for place in record.places.all()]:
        data["spatialCoverage"] = [{"@type": "Place", "name": name} for name in places]
    if collections := list(record.collections.all()):
        data["isPartOf"] = [{"@type": "Collection", "name": c.name} for c in collections]
    if record.document_type:
        data["genre"] = record.document_type.name
    if record.original_archive:
        data["holdingArchive"] = {
            "@type": "ArchiveOrganization",
            "name": record.original_archive.name,
        }
    if record.source:
        data["citation"] = record.source
    if funders := [donor.public_credit for donor in record.donors.all()]:
        data["funder"] = [{"@type": "Organization", "name": name} for name in funders]
    if record.rights:
        data["copyrightNotice"] = record.rights.statement
        if record.rights.uri:
            data["license"] = record.rights.uri
    return data


def json_ld_script(record: Record, *, url: str) -> SafeString:
    text = json.dumps(json_ld(record, url=url), ensure_ascii=False, indent=2)
    return mark_safe(
        f'<script type="application/ld+json">{text.translate(SCRIPT_ESCAPES)}</script>'
    )


def citation_meta_tags(citation: Citation) -> list[tuple[str, str]]:
    """(name, content) of the Highwire citation_* tags that Zotero and Google Scholar read."""
    tags = [("citation_title", citation.title)]
    tags += [("citation_author", name.inverted) for name in citation.authors]
    value = citation.date
    if value.year is not None:
        parts = [f"{value.year:04d}"]
        if value.month and not value.end_year:
            parts.append(f"{value.month:02d}")
            if value.day:
                parts.append(f"{value.day:02d}")
        tags.append(("citation_date", "/".join(parts)))
    tags.append(("citation_publisher", citation.site_name))
    if citation.archive:
        tags.append(("citation_archive_collection", citation.archive))
    tags += [("citation_language", code) for code in citation.languages]
    if citation.subjects:
        tags.append(("citation_keywords", "; ".join(citation.subjects)))
    tags.append(("citation_abstract_html_url", citation.url))
    tags.append(("citation_public_url", citation.url))
    return tags
