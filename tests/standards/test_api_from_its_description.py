"""The API tested from its own OpenAPI description: schemathesis generates requests for every
operation, writes included, and sends them to the live server.

Each response must not be a server error, and must match the description: its status code,
content type and body. Every run sends the same requests (derandomized), and prints how many.
"""

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, openapi
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accessions.catalogue.intake import create_accession
from accessions.models import Collection, RecordText, Subject
from accessions.standards.api.tokens import issue_token

pytestmark = pytest.mark.django_db(transaction=True)

# Generated examples per operation and kind; about two minutes a run on a 2-core machine.
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def catalogue(make_record, funder, django_user_model):
    collection = Collection.objects.create(name="Crisis")
    subject = Subject.objects.create(name="Missiles")
    published = make_record(title="Telegram", collections=[collection], subjects=[subject])
    draft = make_record(status="draft", title="Draft")
    accession = create_accession(title="Papers", date_received=published.created_at.date())
    return {
        "record_id": published.record_id,
        "draft": draft.record_id,
        "slug": subject.slug,
        "collection": collection.slug,
        "number": accession.number,
        "donor": funder.slug,
        "text": RecordText.objects.filter(record=draft).values_list("pk", flat=True).first(),
    }


def _known_path_parameters(operation, catalogue) -> dict:
    """Path parameters that name objects that exist, so that reads and edits find them."""
    path = operation.path
    known = {}
    if "{record_id}" in path:
        known["record_id"] = catalogue["draft" if "/staff/" in path else "record_id"]
    if "{id}" in path:
        known["id"] = catalogue["text"]
    if "{number}" in path:
        known["number"] = catalogue["number"]
    if "{slug}" in path:
        known["slug"] = (
            catalogue["collection"]
            if path.startswith("/api/collections/")
            else catalogue["donor"]
            if "/donors/" in path
            else catalogue["slug"]
        )
    return known


def _sender(strategy, mode, sent: list, **call):
    """A Hypothesis test that sends each generated request and checks the answer."""
    checks = CONFORMANCE if mode is GenerationMode.POSITIVE else [not_a_server_error]

    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def send(case):
        sent.append(case)
        case.call_and_validate(checks=checks, **call)

    return send


def test_every_operation_answers_as_its_description_says(
    live_server, catalogue, django_user_model, settings_with_many_requests
):
    superuser = django_user_model.objects.create_superuser("api-robot", password="pw")
    _, raw = issue_token(user=superuser, name="schemathesis")
    headers = {"Authorization": f"Token {raw}"}
    schema = openapi.from_url(f"{live_server.url}/api/openapi.json")
    sent = []
    failures = []

    for result in schema.get_all_operations():
        operation = result.ok()
        known = _known_path_parameters(operation, catalogue)
        runs = [(mode, {}) for mode in EXAMPLES]
        if known:
            runs.append((GenerationMode.POSITIVE, known))
        for mode, path_parameters in runs:
            strategy = operation.as_strategy(
                generation_mode=mode, path_parameters=path_parameters or None
            )

            check = _sender(strategy, mode, sent, base_url=live_server.url, headers=headers)
            try:
                check()
            except Unsatisfiable:
                # Nothing to negate: the operation takes no parameters or body.
                assert mode is GenerationMode.NEGATIVE
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{operation.label} ({mode.value}): {error!r}"[:3000])

    print(f"schemathesis sent {len(sent)} requests to {len(set(c.operation.label for c in sent))}")
    assert not failures, "\n\n".join(failures)
    assert len(sent) > 500


@pytest.fixture
def settings_with_many_requests(settings):
    # The rate limit is tested on its own; here one token sends every generated request.
    settings.API_TOKEN_RATE = "100000/minute"
    settings.TESSERACT_COMMAND = ""
    return settings
