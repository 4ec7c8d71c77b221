"""Editorial workflow: draft → in review → published → withdrawn, with permissions and history."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accessions.catalogue.models import Record, RecordEvent
from accessions.search.indexing import update_search_index

Status = Record.Status


class WorkflowError(Exception):
    """A transition that is not allowed from the record's current state."""


class IncompleteRecord(WorkflowError):
    def __init__(self, record: Record, missing: list[str]):
        self.missing = missing
        super().__init__(
            f"Record {record.record_id} cannot be published; it is missing: {', '.join(missing)}."
        )


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    permission: str


TRANSITIONS = {
    transition.name: transition
    for transition in (
        Transition(
            "submit",
            "Submit for review",
            (Status.DRAFT,),
            Status.IN_REVIEW,
            "accessions.submit_record",
        ),
        Transition(
            "publish",
            "Publish",
            (Status.DRAFT, Status.IN_REVIEW, Status.WITHDRAWN),
            Status.PUBLISHED,
            "accessions.publish_record",
        ),
        Transition(
            "withdraw",
            "Withdraw",
            (Status.PUBLISHED,),
            Status.WITHDRAWN,
            "accessions.withdraw_record",
        ),
        Transition(
            "return_to_draft",
            "Return to draft",
            (Status.IN_REVIEW, Status.PUBLISHED, Status.WITHDRAWN),
            Status.DRAFT,
            "accessions.return_record_to_draft",
        ),
    )
}


def missing_for_publication(record: Record) -> list[str]:
    """What a record lacks before it may be published, in words staff understand."""
    return missing_values(
        title=record.title,
        date_text=record.date_text,
        rights_id=record.rights_id,
        # The texts are asked for only when the summary is empty.
        has_summary_or_text=bool(record.summary.strip()) or record.texts.exists(),
    )


def missing_values(
    *, title: str, date_text: str, rights_id, has_summary_or_text: bool
) -> list[str]:
    """The same check on plain values, for callers (the import) that hold no Record."""
    missing = []
    if not title.strip():
        missing.append("a title")
    if not date_text.strip():
        missing.append("a date (or “undated”)")
    if not rights_id:
        missing.append("a rights statement")
    if not has_summary_or_text:
        missing.append("a summary or a text")
    return missing


def available_transitions(record: Record, user) -> list[Transition]:
    return [
        t
        for t in TRANSITIONS.values()
        if record.status in t.sources and user.has_perm(t.permission)
    ]


def transition_record(*, record: Record, action: str, user, note: str = "") -> Record:
    """Move a record to a new status after checking permission, source state and completeness."""
    try:
        transition = TRANSITIONS[action]
    except KeyError:
        raise WorkflowError(f"Unknown action “{action}”.") from None
    if not user.has_perm(transition.permission):
        raise PermissionDenied(f"You do not have permission to {transition.label.lower()} records.")
    with transaction.atomic():
        locked = Record.objects.select_for_update().get(pk=record.pk)
        if locked.status not in transition.sources:
            raise WorkflowError(
                f"Record {locked.record_id} is {locked.get_status_display().lower()}; "
                f"“{transition.label}” is not possible from there."
            )
        if transition.target == Status.PUBLISHED:
            missing = missing_for_publication(locked)
            if missing:
                raise IncompleteRecord(locked, missing)
            now = timezone.now()
            locked.published_at = locked.published_at or now
            locked.original_upload_date = locked.original_upload_date or timezone.localdate(now)
        previous = locked.status
        locked.status = transition.target
        locked.updated_by = user
        locked.save()
        RecordEvent.objects.create(
            record=locked,
            action=transition.name,
            from_status=previous,
            to_status=transition.target,
            actor=user,
            note=note,
        )
        update_search_index(record_pks=[locked.pk])
    record.refresh_from_db()
    return record
