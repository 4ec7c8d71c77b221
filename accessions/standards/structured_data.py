"""Machine-readable descriptions of a record for search engines and reference managers."""

import json
import re

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from accessions.catalogue.models import Agent, Record
from accessions.standards.citations.citation import Citation, DocumentDate, Name
from accessions.standards.oai.dublin_core import w3cdtf_date

# Escapes that keep JSON inside <script> from closing the element or opening a comment.
SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


# Zotero's item type for a document type, matched by words of its name. Zotero's page
# translator takes a DC.type that names one of its item types; any other value, or none,
# leaves it guessing "journal article" from the citation_* tags. Archival documents are
# manuscripts unless their type says otherwise.
ZOTERO_TYPES = [
    (("letter", "telegram", "cable", "message", "correspondence", "note verbale"), "letter"),
    (("report", "study", "estimate", "assessment"), "report"),
    (("speech", "address", "lecture", "remarks", "statement"), "presentation"),
    (("interview",), "interview"),
    (("map",), "map"),
    (("treaty", "agreement", "final act", "press release", "communiqué"), "document"),
]
DEFAULT_ZOTERO_TYPE = "manuscript"
# Source notes that name the publication a document was printed in.
PRINTED_IN = re.compile(r"^(?:printed|published|reprinted) in\s+", re.IGNORECASE)


def zotero_item_type(document_type: str) -> str:
    name = document_type.lower()
    for words, item_type in ZOTERO_TYPES:
        if any(re.search(rf"\b{re.escape(word)}", name) for word in words):
            return item_type
    return DEFAULT_ZOTERO_TYPE


def _agent(agent: Agent) -> dict:
    name = Name.from_agent(agent)
    if name.literal:
        kind = "Person" if agent.kind == Agent.Kind.PERSON else "Organization"
        return {"@type": kind, "name": name.literal}
    person = {"@type": "Person", "name": name.natural, "familyName": name.family_with_particle}
    if name.given:
        person["givenName"] = name.given
    if name.suffix:
        person["honorificSuffix"] = name.suffix
    return person


def _source(record: Record) -> dict:
    """The source note: the volume a document was printed in (isPartOf), or the original
    that this record reproduces (isBasedOn)."""
    source = " ".join(record.source.split())
    if PRINTED_IN.match(source):
        return {"isPartOf": {"@type": "CreativeWork", "name": PRINTED_IN.sub("", source)}}
    original = {"@type": "ArchiveComponent", "description": source}
    if record.original_archive:
        original["holdingArchive"] = _archive(record)
    return {"isBasedOn": original}


def _archive(record: Record) -> dict:
    return {"@type": "ArchiveOrganization", "name": record.original_archive.name}


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
    part_of = [{"@type": "Collection", "name": c.name} for c in record.collections.all()]
    if record.source.strip():
        source = _source(record)
        part_of += [source.pop("isPartOf")] if "isPartOf" in source else []
        data.update(source)
    if part_of:
        data["isPartOf"] = part_of
    if record.document_type:
        data["genre"] = record.document_type.name
    if record.original_archive:
        # schema.org's holdingArchive: the archive that holds the original document.
        data["holdingArchive"] = _archive(record)
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


def scholar_date(value: DocumentDate) -> str:
    """Google Scholar's form: YYYY/MM/DD for a full date, the year alone otherwise."""
    if value.year is None:
        return ""
    if value.day and not value.end_year:
        return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"
    return f"{value.year:04d}"


def citation_meta_tags(citation: Citation, record: Record) -> list[tuple[str, str]]:
    """(name, content) of the Highwire citation_* tags that Google Scholar and Zotero read,
    and the Dublin Core DC.* tags that tell Zotero the item type."""
    tags = [("citation_title", citation.title)]
    tags += [("citation_author", name.inverted) for name in citation.authors]
    if date := scholar_date(citation.date):
        tags.append(("citation_publication_date", date))
    tags.append(("citation_publisher", citation.site_name))
    if citation.archive:
        tags.append(("citation_archive_collection", citation.archive))
    tags += [("citation_language", code) for code in citation.languages]
    if citation.subjects:
        # Zotero splits this tag at semicolons only, so headings keep their commas.
        tags.append(("citation_keywords", "; ".join(citation.subjects)))
    tags.append(("citation_abstract_html_url", citation.url))
    tags.append(("citation_public_url", citation.url))

    tags.append(("DC.title", citation.title))
    tags += [("DC.creator", name.inverted) for name in citation.authors]
    if date := w3cdtf_date(record):
        tags.append(("DC.date", date))
    tags.append(("DC.type", zotero_item_type(citation.document_type)))
    tags += [("DC.subject", subject) for subject in citation.subjects]
    if citation.summary:
        tags.append(("DC.description", citation.summary))
    tags.append(("DC.publisher", citation.site_name))
    tags += [("DC.language", code) for code in citation.languages]
    tags.append(("DC.identifier", citation.url))
    if citation.source:
        tags.append(("DC.source", citation.source))
    if record.rights:
        tags.append(("DC.rights", record.rights.statement))
    return tags


def open_graph_tags(citation: Citation) -> list[tuple[str, str]]:
    """(property, content) of the Open Graph tags. The type is "article": "website" would
    make Zotero save the page as a web page whatever DC.type says."""
    tags = [
        ("og:type", "article"),
        ("og:title", citation.title),
        ("og:url", citation.url),
        ("og:site_name", citation.site_name),
    ]
    if citation.summary:
        tags.append(("og:description", citation.summary))
    return tags
