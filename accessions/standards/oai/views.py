"""The OAI-PMH endpoint: one URL, six verbs, GET and POST, errors as the protocol defines."""

import re
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from lxml import etree

from accessions.catalogue.models import Collection, Record
from accessions.catalogue.parameters import positive_number
from accessions.catalogue.prefetch import prefetch_vocabularies
from accessions.search.browse import visible_collections
from accessions.standards.oai.arguments import OAIError, datestamp, parse_arguments, parse_range
from accessions.standards.oai.dublin_core import dublin_core_elements
from accessions.standards.oai.tokens import ListPosition, expiration, make_token, read_token
from accessions.standards.xml_text import xml_text

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
METADATA_FORMATS = {"oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS)}
# Collection slugs are made by slugify, which never keeps a dot; this prefix cannot collide.
SET_BY_PK = "collection."
SET_SPEC_CHARS = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+$")


def _q(name: str, namespace: str = OAI_NS) -> str:
    return f"{{{namespace}}}{name}"


def _sub(parent, name: str, text: str | None = None, namespace: str = OAI_NS, **attributes):
    element = etree.SubElement(
        parent, _q(name, namespace), {key: xml_text(value) for key, value in attributes.items()}
    )
    if text is not None:
        element.text = xml_text(text)
    return element


HARVESTABLE = {Record.Status.PUBLISHED, Record.Status.WITHDRAWN}


def harvestable_records():
    """Published records, and withdrawn ones that harvesters must learn were deleted."""
    return Record.objects.published() | Record.objects.withdrawn()


def set_spec(collection: Collection) -> str:
    """The collection's slug, or a pk form where the slug has characters setSpec forbids."""
    if SET_SPEC_CHARS.match(collection.slug):
        return collection.slug
    return f"{SET_BY_PK}{collection.pk}"


class Endpoint:
    """One OAI-PMH request: holds the base URL and the public sets, answers one verb."""

    def __init__(self, request):
        self.request = request
        self.base_url = request.build_absolute_uri(reverse("standards:oai"))
        self.now = timezone.now().replace(microsecond=0)
        self.repository_id = settings.OAI_REPOSITORY_IDENTIFIER
        self.page_size = settings.OAI_PAGE_SIZE
        self._sets = None

    # Sets and identifiers -------------------------------------------------------------

    @property
    def sets(self) -> dict[str, Collection]:
        if self._sets is None:
            self._sets = {set_spec(c): c for c in visible_collections().order_by("name")}
        return self._sets

    def identifier(self, record: Record) -> str:
        return f"oai:{self.repository_id}:{record.record_id}"

    def record_for_identifier(self, identifier: str, queryset) -> Record:
        prefix = f"oai:{self.repository_id}:"
        number = identifier.removeprefix(prefix)
        # A record's identifier has no leading zeros: "oai:…:007" names no record.
        record_id = positive_number(number) if not number.startswith("0") else None
        if identifier.startswith(prefix) and record_id is not None:
            record = queryset.filter(record_id=record_id).first()
            if record is not None:
                return record
        raise OAIError("idDoesNotExist", f"No record has the identifier “{identifier}”.")

    # Response skeleton -----------------------------------------------------------------

    def envelope(self, verb: str | None, arguments: dict[str, str]):
        root = etree.Element(_q("OAI-PMH"), nsmap={None: OAI_NS, "xsi": XSI_NS})
        root.set(_q("schemaLocation", XSI_NS), f"{OAI_NS} {OAI_NS}OAI-PMH.xsd")
        _sub(root, "responseDate", datestamp(self.now))
        request_element = _sub(root, "request", self.base_url)
        if verb:
            request_element.set("verb", verb)
            for name, value in arguments.items():
                # The arguments are echoed as sent, less what XML cannot carry.
                request_element.set(name, xml_text(value))
        return root

    def respond(self, query) -> bytes:
        try:
            verb, arguments = parse_arguments(query)
        except OAIError as error:
            # Errors about the verb or its arguments echo no attributes (OAI-PMH 3.6).
            root = self.envelope(None, {})
            _sub(root, "error", error.message, code=error.code)
            return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        root = self.envelope(verb, arguments)
        try:
            getattr(self, verb.lower())(root, arguments)
        except OAIError as error:
            if error.code in ("badVerb", "badArgument"):
                root = self.envelope(None, {})
            else:
                for child in list(root)[2:]:
                    root.remove(child)
            _sub(root, "error", error.message, code=error.code)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    # Verbs ---------------------------------------------------------------------------

    def identify(self, root, arguments):
        element = _sub(root, "Identify")
        _sub(element, "repositoryName", settings.SITE_NAME)
        _sub(element, "baseURL", self.base_url)
        _sub(element, "protocolVersion", "2.0")
        _sub(element, "adminEmail", settings.OAI_ADMIN_EMAIL)
        # The earliest of each harvestable status, each one probe of the (status, updated_at)
        # index; SQLite reads every record for the earliest of the two statuses at once.
        firsts = [
            Record.objects.filter(status=status)
            .order_by("updated_at")
            .values_list("updated_at", flat=True)
            .first()
            for status in sorted(HARVESTABLE)
        ]
        earliest = min((first for first in firsts if first), default=None)
        _sub(element, "earliestDatestamp", datestamp(earliest or self.now))
        # Withdrawn records may be returned to draft and then vanish from the feed entirely.
        _sub(element, "deletedRecord", "transient")
        _sub(element, "granularity", "YYYY-MM-DDThh:mm:ssZ")

    def listmetadataformats(self, root, arguments):
        if "identifier" in arguments:
            self.record_for_identifier(arguments["identifier"], harvestable_records())
        element = _sub(root, "ListMetadataFormats")
        for prefix, (schema, namespace) in METADATA_FORMATS.items():
            format_element = _sub(element, "metadataFormat")
            _sub(format_element, "metadataPrefix", prefix)
            _sub(format_element, "schema", schema)
            _sub(format_element, "metadataNamespace", namespace)

    def listsets(self, root, arguments):
        if "resumptionToken" in arguments:
            # Every set fits in one response, so this server never issues a ListSets token.
            raise OAIError("badResumptionToken", "ListSets is never split; no token is valid.")
        if not self.sets:
            raise OAIError("noSetHierarchy", "This repository has no public collections yet.")
        element = _sub(root, "ListSets")
        for spec, collection in self.sets.items():
            set_element = _sub(element, "set")
            _sub(set_element, "setSpec", spec)
            _sub(set_element, "setName", collection.name)
            if collection.description:
                description = _sub(set_element, "setDescription")
                dc = etree.SubElement(
                    description, _q("dc", OAI_DC_NS), nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS}
                )
                dc.set(_q("schemaLocation", XSI_NS), f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
                _sub(dc, "description", collection.description, namespace=DC_NS)

    def getrecord(self, root, arguments):
        self.check_prefix(arguments["metadataPrefix"])
        record = self.record_for_identifier(
            arguments["identifier"], self.with_relations(harvestable_records(), full=True)
        )
        prefetch_vocabularies([record])
        self.add_record(_sub(root, "GetRecord"), record)

    def listidentifiers(self, root, arguments):
        self.list_items(root, arguments, full=False)

    def listrecords(self, root, arguments):
        self.list_items(root, arguments, full=True)

    # Lists ---------------------------------------------------------------------------

    def list_items(self, root, arguments, *, full: bool):
        """ListRecords (full) or ListIdentifiers: one page after the token's position."""
        if "resumptionToken" in arguments:
            position = read_token(arguments["resumptionToken"])
        else:
            position = ListPosition(
                metadata_prefix=arguments["metadataPrefix"],
                from_text=arguments.get("from"),
                until_text=arguments.get("until"),
                set_spec=arguments.get("set"),
                after_updated_at="",
                after_pk=0,
                cursor=0,
            )
        self.check_prefix(position.metadata_prefix)
        start, end = parse_range(position.from_text, position.until_text)
        records = harvestable_records()
        if start:
            records = records.filter(updated_at__gte=start.value)
        if end:
            records = records.filter(updated_at__lt=end.value)
        if position.set_spec is not None:
            if position.set_spec not in self.sets:
                raise OAIError("noRecordsMatch", f"There is no set “{position.set_spec}”.")
            records = records.filter(collections=self.sets[position.set_spec])
        page = records
        if position.after_updated_at:
            after = datetime.fromisoformat(position.after_updated_at)
            # A range on updated_at (not an OR of two) lets the (status, updated_at, id) index
            # serve the page directly: see bench/oai_harvest.py.
            page = page.filter(updated_at__gte=after).exclude(
                updated_at=after, pk__lte=position.after_pk
            )
        # Ids first: sorting only the (status, updated_at, id) index entries is cheap, while
        # sorting joined full rows costs a scan of the rest of the list on early pages.
        ids = list(
            page.order_by("updated_at", "pk").values_list("pk", flat=True)[: self.page_size + 1]
        )
        # By primary key alone: with a status filter too, SQLite scans the status index. The
        # ids came from harvestable_records(); re-check status for a record changed since.
        rows = self.with_relations(Record.objects.filter(pk__in=ids).order_by(), full=full)
        by_id = {record.pk: record for record in rows if record.status in HARVESTABLE}
        page = [by_id[pk] for pk in ids if pk in by_id]
        if full:
            prefetch_vocabularies(page)
        if not page:
            # Also when the records after the token left the list since the previous page:
            # the schema wants at least one item, so an error is the only valid answer.
            raise OAIError("noRecordsMatch", "No record matches these arguments.")
        has_more = len(page) > self.page_size
        page = page[: self.page_size]
        element = _sub(root, "ListRecords" if full else "ListIdentifiers")
        for record in page:
            if full:
                self.add_record(element, record)
            else:
                self.add_header(element, record)
        if has_more or position.cursor:
            # No completeListSize, which the protocol leaves optional: it would take a count
            # of every record in the list, the one cost that grows with the archive.
            token_element = _sub(element, "resumptionToken", cursor=str(position.cursor))
            if has_more:
                last = page[-1]
                token_element.text = make_token(
                    ListPosition(
                        metadata_prefix=position.metadata_prefix,
                        from_text=position.from_text,
                        until_text=position.until_text,
                        set_spec=position.set_spec,
                        after_updated_at=last.updated_at.astimezone(UTC).isoformat(),
                        after_pk=last.pk,
                        cursor=position.cursor + len(page),
                    )
                )
                token_element.set("expirationDate", datestamp(expiration(self.now)))

    # Records -------------------------------------------------------------------------

    def check_prefix(self, prefix: str):
        if prefix not in METADATA_FORMATS:
            raise OAIError("cannotDisseminateFormat", f"“{prefix}” is not offered; use oai_dc.")

    def with_relations(self, queryset, *, full: bool):
        """Headers need the collections; full records their foreign keys too, and every
        vocabulary list, read in one query by prefetch_vocabularies once the page is known."""
        if not full:
            collections = Prefetch(
                "collections", queryset=Collection.objects.only("id", "slug", "name")
            )
            return queryset.prefetch_related(collections)
        return queryset.select_related("document_type", "rights", "original_archive")

    def add_header(self, parent, record: Record):
        header = _sub(parent, "header")
        if record.status == Record.Status.WITHDRAWN:
            header.set("status", "deleted")
        _sub(header, "identifier", self.identifier(record))
        _sub(header, "datestamp", datestamp(record.updated_at))
        for collection in record.collections.all():
            spec = set_spec(collection)
            if spec in self.sets:
                _sub(header, "setSpec", spec)

    def add_record(self, parent, record: Record):
        element = _sub(parent, "record")
        self.add_header(element, record)
        if record.status == Record.Status.WITHDRAWN:
            return
        metadata = _sub(element, "metadata")
        dc = etree.SubElement(
            metadata, _q("dc", OAI_DC_NS), nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS}
        )
        dc.set(_q("schemaLocation", XSI_NS), f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
        url = self.request.build_absolute_uri(record.get_absolute_url())
        for name, value in dublin_core_elements(record, url=url, publisher=settings.SITE_NAME):
            _sub(dc, name, value, namespace=DC_NS)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint(request):
    """Answer an OAI-PMH request sent as a query string or a url-encoded form."""
    query = request.POST if request.method == "POST" else request.GET
    body = Endpoint(request).respond(query)
    return HttpResponse(body, content_type="text/xml; charset=utf-8")
