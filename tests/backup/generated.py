"""A generated archive for the backup tests: many records in bulk, a few hundred small scans.

Records are written in bulk (create_record one at a time would take minutes at 10,000); the
scans go through ingest_scan, as staff attach them, with their derivatives made.
"""

from datetime import UTC, date, datetime, timedelta

from django.contrib.auth import get_user_model

from accessions.catalogue.models import (
    Accession,
    Donor,
    Language,
    Record,
    RecordText,
    RightsStatement,
    Subject,
)
from accessions.scans.ingest import ingest_scan
from accessions.search.rebuilding import rebuild_search_index
from tests.scan_files import image_bytes, upload

BATCH = 2000


def status_of(number: int) -> str:
    if number % 7 == 0:
        return Record.Status.DRAFT
    if number % 50 == 0:
        return Record.Status.WITHDRAWN
    return Record.Status.PUBLISHED


def generate_archive(*, records: int, scans: int, capture_on_commit) -> None:
    """Records numbered 1…records (every 7th a draft, every 50th withdrawn) and scans."""
    user = get_user_model().objects.create_user(username="generator", is_staff=True)
    rights = RightsStatement.objects.create(
        name="Generated", statement="Reuse for research.", inquiry_email="rights@example.org"
    )
    donor = Donor.objects.create(name="Generated Foundation", is_funder=True, email="d@example.org")
    accession = Accession.objects.create(
        number="2026-0001", title="Generated accession", date_received=date(2026, 1, 2)
    )
    accession.donors.add(donor)
    subjects = [Subject.objects.create(name=f"Subject {n}", slug=f"subject-{n}") for n in range(20)]
    english = Language.objects.get(code="en")
    published_at = datetime(2024, 1, 1, tzinfo=UTC)
    for start in range(1, records + 1, BATCH):
        batch = []
        for number in range(start, min(start + BATCH, records + 1)):
            status = status_of(number)
            record = Record(
                record_id=number,
                title=f"Telegram {number} on the talks",
                date_text=f"{1950 + number % 40}-{1 + number % 12:02d}",
                summary=f"A summary of telegram {number}.",
                rights=rights,
                accession=accession,
                status=status,
                published_at=published_at + timedelta(minutes=number)
                if status != Record.Status.DRAFT
                else None,
                staff_notes=f"Internal note {number}" if status == Record.Status.DRAFT else "",
                created_by=user,
            )
            record.derive_dates()
            batch.append(record)
        created = Record.objects.bulk_create(batch)
        RecordText.objects.bulk_create(
            RecordText(
                record=record,
                body=f"The text of telegram {record.record_id}.",
                language=english,
                is_primary=True,
            )
            for record in created
        )
        Record.subjects.through.objects.bulk_create(
            Record.subjects.through(record_id=record.pk, subject_id=subjects[record.pk % 20].pk)
            for record in created
        )
        Record.languages.through.objects.bulk_create(
            Record.languages.through(record_id=record.pk, language_id=english.pk)
            for record in created
        )
    # Spread the scans over the records, drafts included.
    step = max(1, records // scans)
    scanned = Record.objects.filter(record_id__in=range(1, records + 1, step)[:scans])
    for record in scanned.order_by("record_id"):
        with capture_on_commit(execute=True):
            ingest_scan(
                record=record,
                upload=upload(
                    image_bytes(format="PNG", size=(60, 80), text=str(record.record_id)),
                    "scan.png",
                ),
                name=f"scan-{record.record_id}.png",
                user=user,
            )
    rebuild_search_index()
