"""Generated hostile requests to every public URL pattern never get a server error.

The URL patterns are read from the resolver, so a new public surface is covered as soon as
it is routed. Each example is one request: a path made from the pattern with generated
segments, generated query parameters (NUL, U+FFFF, control characters, huge numbers,
non-ASCII digits, long values, over a thousand parameters) and a method.
"""

import re
import sys
from urllib.parse import quote

import pytest
from django.core.signals import got_request_exception
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accessions.catalogue.models import Collection, Subject
from accessions.scans.ingest import ingest_scans
from accessions.search.facets import FACETS_BY_PARAM
from tests.scan_files import image_bytes, upload

# The public URL patterns: everything but the staff workspace.
STAFF_PREFIXES = ("admin/",)
CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
REQUESTS_DEBUG_OFF = 4000
REQUESTS_DEBUG_ON = 300

# Parameter names the public views read, so that generated values reach their parsers. The
# search's facet filters share one parser; three of them stand for all.
KNOWN_PARAMETERS = [
    "q",
    "page",
    "sort",
    "date_from",
    "date_to",
    "subject",
    "collection",
    "donor",
    "has_scan",
    "within",
    "after",
    "before",
    "verb",
    "metadataPrefix",
    "identifier",
    "from",
    "until",
    "set",
    "resumptionToken",
]
# OAI-PMH answers little without a verb and its arguments; each verb with what it takes.
OAI_VERBS = {
    "Identify": [],
    "ListMetadataFormats": ["identifier"],
    "ListSets": ["resumptionToken"],
    "GetRecord": ["identifier", "metadataPrefix"],
    "ListIdentifiers": ["metadataPrefix", "from", "until", "set"],
    "ListRecords": ["metadataPrefix", "from", "until", "set", "resumptionToken"],
}
METHODS = ["GET"] * 6 + ["HEAD", "POST", "DELETE", "OPTIONS"]
# Values by the kind of trouble they make; a request draws a kind, then one of its values.
HOSTILE_VALUES = {
    "null": ["\x00", "a\x00b"],
    "noncharacters": ["\uffff", "\ufffe", "a\uffffb"],
    "control characters": ["\x01", "\x08\x0b", "\x1f\x7f", "\x0c", "\u200b\u202e"],
    "non-ASCII digits": ["²", "①", "١٢٣", "𝟗", "³⁴", "٣"],
    "numbers": ["9" * 40, "9223372036854775808", "2147483648", "-1", "0", "007", "1e9", "+1"],
    "calendar edges": [
        "9999-12-31",
        "9999-12-31T23:59:59Z",
        "0001-01-01",
        "0001-01-01T00:00:00Z",
        "0000-00-00",
        "9999-12",
        "9999",
    ],
    "identifiers": [
        "oai:archive.example.org:²",
        "oai:archive.example.org:99999999999999999999999",
        "oai:archive.example.org:1",
        "oai:archive.example.org:\uffff",
    ],
    "long": ["x" * 5000, "é" * 2000, "1" * 1000],
    "markup": ["%", "' OR 1=1 --", '"unclosed', "<script>alert(1)</script>", "../../etc/passwd"],
    "plausible": ["", "1", "2", "oai_dc", "date", "-date", "relevance", "en", "berlin-crisis"],
}


def hostile_value():
    return st.sampled_from(list(HOSTILE_VALUES.values())).flatmap(st.sampled_from)


def hostile_text(*, allow_slash=True):
    text = st.one_of(
        hostile_value(),
        st.text(max_size=20),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
    )
    return text if allow_slash else text.map(lambda value: value.replace("/", "")).filter(bool)


def parameter():
    """A (name, value) pair: mostly a name some view reads, with a hostile or plausible value."""
    name = st.one_of(
        st.sampled_from(KNOWN_PARAMETERS), st.sampled_from(KNOWN_PARAMETERS), hostile_text()
    )
    return st.tuples(name, hostile_text())


@st.composite
def oai_arguments(draw):
    """A verb with some of its arguments, each either plausible or hostile."""
    verb = draw(st.sampled_from(sorted(OAI_VERBS)))
    pairs = [("verb", verb)]
    for name in OAI_VERBS[verb]:
        if draw(st.booleans()):
            plausible = {"metadataPrefix": "oai_dc", "identifier": "oai:archive.example.org:1"}
            pairs.append((name, draw(st.one_of(st.just(plausible.get(name, "")), hostile_text()))))
    return pairs


def public_patterns() -> list[tuple[str, list[tuple[str, str]]]]:
    """(route, [(converter kind, name)]) of every public URL pattern."""
    found = []

    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if route.startswith(STAFF_PREFIXES):
                continue
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                found.append(route)

    walk(get_resolver().url_patterns, "")
    return [
        (route, [(m["kind"] or "str", m["name"]) for m in CONVERTER.finditer(route)])
        for route in found
        # A regex pattern (the media files in DEBUG) has no converters to fill.
        if not route.startswith("^")
    ]


@st.composite
def requests(draw, *, patterns, known):
    """(route, method, path, query) for one of the patterns; `known` holds real values by converter
    name, so that about half the paths name something that exists."""
    route, converters = draw(st.sampled_from(patterns))
    segments = []
    for kind, name in converters:
        # Half the time a value that names something real, so that the view runs.
        real = st.sampled_from(known.get(name, ["1"]))
        if kind == "int":
            made_up = st.integers(min_value=0, max_value=10**40).map(str)
            segments.append(draw(st.one_of(real, real, made_up, hostile_text(allow_slash=False))))
        else:
            segments.append(draw(st.one_of(real, hostile_text(allow_slash=False))))
    filled = iter(quote(segment, safe="") for segment in segments)
    path = CONVERTER.sub(lambda match: next(filled), route)
    path = "/" + path
    if draw(st.integers(min_value=0, max_value=9)) == 0 and path.endswith("/") and len(path) > 1:
        path = path[:-1]
    # One parameter a view reads, with a value of one kind of trouble, and a few others.
    focus = (draw(st.sampled_from(KNOWN_PARAMETERS)), draw(hostile_value()))
    pairs = [focus] + draw(st.lists(parameter(), max_size=2))
    if route == "oai/" and draw(st.booleans()):
        pairs = draw(oai_arguments()) + pairs[:1]
    if draw(st.integers(min_value=0, max_value=19)) == 0:
        # Past DATA_UPLOAD_MAX_NUMBER_FIELDS.
        pairs += [("x", "1")] * draw(st.integers(min_value=1001, max_value=1100))
    query = "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)
    method = draw(st.sampled_from(METHODS))
    return route, method, path, query


@pytest.fixture
def archive_content(make_record):
    """Published, draft and withdrawn records, a public collection, a scan: what URLs name."""
    collection = Collection.objects.create(name="Berlin crisis", slug="berlin-crisis")
    published = make_record(title="A published telegram", collections=[collection])
    draft_only = Subject.objects.create(name="Secret subject", slug="secret-subject")
    draft = make_record(status="draft", title="A draft memo", subjects=[draft_only])
    withdrawn = make_record(status="withdrawn", title="A withdrawn note")
    (scan,) = ingest_scans(record=published, uploads=[(upload(image_bytes(), "p.jpg"), "p.jpg")])
    page = scan.pages.get()
    ids = [str(published.record_id), str(draft.record_id), str(withdrawn.record_id)]
    # By converter name: what each URL segment names.
    return {
        "record_id": ids,
        "page_id": [str(page.pk)],
        "scan_id": [str(scan.pk)],
        "number": ["0", "1"],
        "slug": [collection.slug, "secret-subject"],
        "param": list(FACETS_BY_PARAM),
        "extension": ["bib", "ris", "json"],
        "export_format": ["csv", "json"],
        "size": ["thumb", "web", "zoom"],
    }


class RolledBack(Exception):
    """Leaves the savepoint around one request, undoing whatever the request wrote."""


def send(client, method, path, query):
    """One request inside a savepoint, so that a failed query cannot spoil the next one."""
    errors = []

    def keep(sender, request=None, **kwargs):
        errors.append(repr(sys.exc_info()[1]))

    got_request_exception.connect(keep)
    try:
        with transaction.atomic():
            if method == "POST":
                response = client.generic(
                    method, path, query, content_type="application/x-www-form-urlencoded"
                )
            else:
                response = client.generic(method, path, QUERY_STRING=query)
            raise RolledBack
    except RolledBack:
        pass
    finally:
        got_request_exception.disconnect(keep)
    return response, errors


def fuzz(archive_content, max_examples: int):
    """Send max_examples generated requests; return them and the (status, request, errors)
    of those that got a server error."""
    patterns = public_patterns()
    client = Client(raise_request_exception=False)
    sent = []

    # The "archive" profile (tests/conftest.py) makes the examples the same on every run.
    # Every failure is collected rather than shrunk: the report lists each distinct cause.
    @settings(
        max_examples=max_examples,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(requests(patterns=patterns, known=archive_content))
    def run(request):
        _route, method, path, query = request
        response, errors = send(client, method, path, query)
        sent.append(request)
        if response.status_code >= 500:
            failures.append((response.status_code, method, path[:200], query[:200], errors))

    failures = []
    run()
    return sent, failures


def report(failures) -> str:
    """One line per distinct error, with how often it came and the first request that got it."""
    seen = {}
    for status, method, path, query, errors in failures:
        cause = errors[0][:160] if errors else f"status {status}"
        count, example = seen.get(cause, (0, f"{method} {path}?{query[:120]}"))
        seen[cause] = (count + 1, example)
    return "\n".join(
        f"{count}x {cause}\n    {example!r}" for cause, (count, example) in seen.items()
    )


@pytest.mark.django_db
def test_generated_requests_to_every_public_url_get_no_server_error(archive_content):
    sent, failures = fuzz(archive_content, REQUESTS_DEBUG_OFF)
    assert not failures, report(failures)
    assert len(sent) == REQUESTS_DEBUG_OFF
    # Every public pattern, a new one included, got its share of the requests.
    reached = {route for route, *_ in sent}
    assert reached == {route for route, _ in public_patterns()}


@pytest.mark.django_db
def test_generated_requests_get_no_server_error_with_debug_on(archive_content):
    with override_settings(DEBUG=True):
        sent, failures = fuzz(archive_content, REQUESTS_DEBUG_ON)
    assert not failures, report(failures)
    assert len(sent) == REQUESTS_DEBUG_ON
