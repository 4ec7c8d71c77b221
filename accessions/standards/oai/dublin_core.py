"""A record as simple Dublin Core (oai_dc): which field goes to which element."""

from accessions.catalogue.models import Record


def w3cdtf_date(record: Record) -> str:
    """The document date as W3CDTF at the precision staff gave, or a start/end range."""
    start, end = record.date_start, record.date_end
    if start is None:
        return ""
    if start == end:
        return start.isoformat()
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    if start.year == end.year and start.month == end.month and start.day == 1:
        return start.strftime("%Y-%m")
    return f"{start.isoformat()}/{end.isoformat()}"


def dublin_core_elements(record: Record, *, url: str, publisher: str) -> list[tuple[str, str]]:
    """(element, value) pairs in the order oai_dc lists its elements; relations prefetched."""
    elements = [("title", record.title)]
    elements += [("creator", agent.name) for agent in record.authors.all()]
    elements += [("subject", subject.name) for subject in record.subjects.all()]
    if record.summary:
        elements.append(("description", record.summary))
    elements.append(("publisher", publisher))
    elements += [("contributor", donor.public_credit) for donor in record.donors.all()]
    if date := w3cdtf_date(record):
        elements.append(("date", date))
        # oai_dc has no refinements or encoding schemes, so EDTF goes in a second dc:date,
        # and only when it says more than the W3CDTF one (approximate, uncertain, 196X…).
        if record.date_edtf != date:
            elements.append(("date", record.date_edtf))
    elements.append(("type", "Text"))
    if record.document_type:
        elements.append(("type", record.document_type.name))
    elements.append(("identifier", url))
    if record.source:
        elements.append(("source", record.source))
    elements += [("language", language.code) for language in record.languages.all()]
    elements += [("relation", collection.name) for collection in record.collections.all()]
    elements += [("coverage", place.name) for place in record.places.all()]
    if record.rights:
        elements.append(("rights", record.rights.statement))
        if record.rights.uri:
            elements.append(("rights", record.rights.uri))
    return elements
