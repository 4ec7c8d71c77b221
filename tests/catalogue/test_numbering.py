import threading
from datetime import date

import pytest
from django.db import connection

from accessions.catalogue.intake import create_accession, create_record
from accessions.catalogue.numbering import next_accession_number, next_record_id
from accessions.models import Accession


@pytest.mark.django_db
def test_record_ids_are_assigned_in_sequence():
    first = create_record(title="One")
    second = create_record(title="Two")
    assert second.record_id == first.record_id + 1


@pytest.mark.django_db
def test_migrated_record_keeps_its_id_and_new_ids_continue_above_it():
    create_record(title="Migrated", record_id=117349)
    assert create_record(title="New").record_id == 117350


@pytest.mark.django_db
def test_deleted_record_id_is_not_handed_out_again():
    record = create_record(title="Short-lived")
    old_id = record.record_id
    record.delete()
    assert next_record_id() > old_id


@pytest.mark.django_db
def test_accession_numbers_count_per_year_and_are_never_reused():
    first = create_accession(title="Box 1", date_received=date(2026, 3, 1))
    second = create_accession(title="Box 2", date_received=date(2026, 4, 1))
    other_year = create_accession(title="Box 3", date_received=date(2025, 12, 31))
    assert (first.number, second.number, other_year.number) == (
        "2026-0001",
        "2026-0002",
        "2025-0001",
    )
    second.delete()
    assert create_accession(title="Box 4", date_received=date(2026, 5, 1)).number == "2026-0003"


@pytest.mark.django_db
def test_accession_numbering_respects_numbers_already_present():
    Accession.objects.create(number="2026-0041", title="Imported", date_received=date(2026, 1, 1))
    assert next_accession_number(2026) == "2026-0042"


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["2026-²", "2026-①", "2026-" + "9" * 15])
def test_accession_numbers_that_are_no_ascii_number_are_not_in_the_series(typed):
    Accession.objects.create(number="2026-0041", title="Imported", date_received=date(2026, 1, 1))
    Accession.objects.create(number=typed, title="Typed", date_received=date(2026, 1, 2))
    assert next_accession_number(2026) == "2026-0042"


@pytest.mark.django_db(transaction=True)
def test_concurrent_assignment_never_hands_out_the_same_number():
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are what is under test; SQLite serialises all writers anyway.")
    record_ids, accession_numbers, errors = [], [], []

    def worker():
        from django.db import connections

        try:
            for _ in range(5):
                record_ids.append(create_record(title="Concurrent").record_id)
                accession_numbers.append(
                    create_accession(title="Concurrent", date_received=date(2026, 1, 1)).number
                )
        except Exception as error:  # collected so the main thread can report it
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(record_ids) == len(set(record_ids)) == 40
    assert len(accession_numbers) == len(set(accession_numbers)) == 40
