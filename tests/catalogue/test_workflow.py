import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accessions.catalogue.intake import create_record
from accessions.catalogue.workflow import IncompleteRecord, WorkflowError, transition_record
from accessions.models import Record, RecordEvent

# (role fixture, action, source status) -> allowed?
ROLE_MATRIX = [
    ("cataloguer", "submit", "draft", True),
    ("cataloguer", "publish", "in_review", False),
    ("cataloguer", "withdraw", "published", False),
    ("cataloguer", "return_to_draft", "in_review", False),
    ("editor", "submit", "draft", True),
    ("editor", "publish", "in_review", True),
    ("editor", "publish", "draft", True),
    ("editor", "withdraw", "published", True),
    ("editor", "return_to_draft", "in_review", True),
    ("editor", "return_to_draft", "withdrawn", True),
    ("rights_manager", "submit", "draft", False),
    ("rights_manager", "publish", "in_review", False),
    ("rights_manager", "withdraw", "published", False),
    ("rights_manager", "return_to_draft", "in_review", False),
    ("staff_without_role", "submit", "draft", False),
    ("staff_without_role", "publish", "in_review", False),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "action", "source", "allowed"), ROLE_MATRIX)
def test_each_role_may_only_make_its_own_transitions(
    request, make_record, role, action, source, allowed
):
    user = request.getfixturevalue(role)
    record = make_record(status=source)
    events_before = record.events.count()
    if allowed:
        transition_record(record=record, action=action, user=user)
        assert record.events.count() == events_before + 1
        event = record.events.first()
        assert (event.actor, event.action, event.from_status) == (user, action, source)
    else:
        with pytest.raises(PermissionDenied):
            transition_record(record=record, action=action, user=user)
        record.refresh_from_db()
        assert record.status == source
        assert record.events.count() == events_before


@pytest.mark.django_db
def test_superuser_holds_every_transition(make_record, admin_user):
    record = make_record(status="draft")
    for action, target in [
        ("submit", "in_review"),
        ("publish", "published"),
        ("withdraw", "withdrawn"),
        ("return_to_draft", "draft"),
    ]:
        transition_record(record=record, action=action, user=admin_user)
        assert record.status == target


@pytest.mark.django_db
def test_transition_from_the_wrong_status_is_refused(make_record, editor):
    record = make_record(status="draft")
    with pytest.raises(WorkflowError, match="not possible"):
        transition_record(record=record, action="withdraw", user=editor)


@pytest.mark.django_db
def test_unknown_action_is_refused(make_record, editor):
    with pytest.raises(WorkflowError, match="Unknown action"):
        transition_record(record=make_record(status="draft"), action="explode", user=editor)


@pytest.mark.django_db
def test_publish_refused_when_incomplete_lists_everything_missing(editor):
    record = create_record(title="Bare record", user=editor)
    with pytest.raises(IncompleteRecord) as raised:
        transition_record(record=record, action="publish", user=editor)
    assert raised.value.missing == [
        "a date (or “undated”)",
        "a rights statement",
        "a summary or a text",
    ]
    record.refresh_from_db()
    assert record.status == Record.Status.DRAFT
    assert not RecordEvent.objects.filter(record=record, action="publish").exists()


@pytest.mark.django_db
def test_undated_record_with_summary_and_rights_can_be_published(editor, rights_statement):
    record = create_record(
        title="Undated note",
        user=editor,
        date_text="undated",
        summary="A note.",
        rights=rights_statement,
    )
    transition_record(record=record, action="publish", user=editor)
    assert record.status == Record.Status.PUBLISHED


@pytest.mark.django_db
def test_first_publication_sets_upload_date_but_keeps_a_migrated_one(make_record, editor):
    fresh = make_record(status="in_review")
    transition_record(record=fresh, action="publish", user=editor)
    assert fresh.original_upload_date == timezone.localdate()
    assert fresh.published_at is not None

    from datetime import date

    migrated = make_record(status="in_review", original_upload_date=date(2013, 7, 10))
    transition_record(record=migrated, action="publish", user=editor)
    assert migrated.original_upload_date == date(2013, 7, 10)


@pytest.mark.django_db
def test_history_records_who_did_what_in_order(make_record, cataloguer, editor):
    record = make_record(status="draft")
    transition_record(record=record, action="submit", user=cataloguer)
    transition_record(record=record, action="publish", user=editor, note="Checked sources")
    history = list(
        record.events.order_by("at", "id").values_list(
            "action", "from_status", "to_status", "actor__username", "note"
        )
    )
    assert history[-2:] == [
        ("submit", "draft", "in_review", "cat", ""),
        ("publish", "in_review", "published", "ed", "Checked sources"),
    ]
