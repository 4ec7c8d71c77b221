"""Hand out record ids and accession numbers that are unique even under concurrent writes."""

from django.db import transaction
from django.db.models import Max

from accessions.catalogue.models import Accession, Counter, Record
from accessions.catalogue.parameters import whole_number

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


def next_in_series(*, counter: str, prefix: str, taken) -> int:
    """The next number of a series of `prefix` + number, above every one in `taken` (strings).

    Counted by the named counter, so a number is never handed out twice, even after the row
    that carried it is deleted.
    """
    with transaction.atomic():
        # Staff type accession numbers: "2024-²" or a 30-digit typo is not in the series.
        numbers = (whole_number(n.removeprefix(prefix)) for n in taken)
        highest = max((number for number in numbers if number is not None), default=0)
        return _next_value(counter, at_least=highest)


def next_accession_number(year: int) -> str:
    """YEAR-NNNN, counted per year and never reused, even after an accession is deleted."""
    prefix = f"{year}-"
    taken = Accession.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    value = next_in_series(counter=f"accession-{year}", prefix=prefix, taken=taken)
    return f"{prefix}{value:04d}"


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
