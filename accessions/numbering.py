"""Hand out record ids and accession numbers that are unique even under concurrent writes."""

from django.db import transaction
from django.db.models import Max

from accessions.models import Accession, Counter, Record

RECORD_COUNTER = "record_id"


def _next_value(name: str, *, at_least: int = 0) -> int:
    """Increment the named counter under a row lock and return the new value."""
    with transaction.atomic():
        Counter.objects.get_or_create(name=name)
        # The row lock serialises concurrent callers on PostgreSQL; SQLite serialises writers.
        counter = Counter.objects.select_for_update().get(name=name)
        counter.value = max(counter.value, at_least) + 1
        counter.save(update_fields=["value"])
        return counter.value


def next_record_id() -> int:
    """The next free record id: above every id in use, including migrated ones like 117349."""
    with transaction.atomic():
        highest = Record.objects.aggregate(highest=Max("record_id"))["highest"] or 0
        return _next_value(RECORD_COUNTER, at_least=highest)


def next_accession_number(year: int) -> str:
    """YEAR-NNNN, counted per year and never reused, even after an accession is deleted."""
    with transaction.atomic():
        prefix = f"{year}-"
        numbers = Accession.objects.filter(number__startswith=prefix).values_list(
            "number", flat=True
        )
        highest = max(
            (int(n.removeprefix(prefix)) for n in numbers if n[len(prefix) :].isdigit()), default=0
        )
        value = _next_value(f"accession-{year}", at_least=highest)
    return f"{year}-{value:04d}"


def next_inquiry_reference(year: int) -> str:
    """RI-YEAR-NNNNNN for a rights inquiry, counted per year and never reused."""
    from accessions.models import RightsInquiry

    with transaction.atomic():
        prefix = f"RI-{year}-"
        references = RightsInquiry.objects.filter(reference__startswith=prefix).values_list(
            "reference", flat=True
        )
        highest = max(
            (int(r.removeprefix(prefix)) for r in references if r[len(prefix) :].isdigit()),
            default=0,
        )
        value = _next_value(f"rights-inquiry-{year}", at_least=highest)
    return f"{prefix}{value:06d}"


def reserve_record_ids(*, count: int, at_least: int = 0) -> range:
    """A block of `count` consecutive free record ids, taken in one locked counter update.

    Bulk imports use this instead of calling next_record_id() once per new row.
    """
    if count <= 0:
        return range(0)
    with transaction.atomic():
        highest = Record.objects.aggregate(highest=Max("record_id"))["highest"] or 0
        Counter.objects.get_or_create(name=RECORD_COUNTER)
        counter = Counter.objects.select_for_update().get(name=RECORD_COUNTER)
        start = max(counter.value, highest, at_least) + 1
        counter.value = start + count - 1
        counter.save(update_fields=["value"])
    return range(start, start + count)


def peek_next_record_id() -> int:
    """The id next_record_id() would hand out now, without taking it (for previews)."""
    highest = Record.objects.aggregate(highest=Max("record_id"))["highest"] or 0
    counter = Counter.objects.filter(name=RECORD_COUNTER).values_list("value", flat=True).first()
    return max(counter or 0, highest) + 1
