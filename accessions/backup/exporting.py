"""export_archive: the database, every original scan and open-format copies, as one bag."""

import csv
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core import serializers

from accessions.backup.bag import BagWriter, read_manifest
from accessions.backup.database import DUMP_NAMES, database_snapshot, vendor
from accessions.catalogue.models import (
    Accession,
    Agent,
    Classification,
    Collection,
    DocumentType,
    Donor,
    Language,
    Place,
    Record,
    RecordEvent,
    RecordText,
    Repository,
    RightsStatement,
    Subject,
)
from accessions.scans.models import Scan, ScanPage
from accessions.scans.storage import scan_storage
from accessions.transfer.exporting import STAFF_COLUMNS, csv_cells, iter_records, record_values

logger = logging.getLogger(__name__)

# The catalogue, table by table, in Django's JSON Lines serialization (loaddata reads it back).
OPEN_TABLES = (
    Language,
    Repository,
    Collection,
    Subject,
    Place,
    Agent,
    DocumentType,
    Classification,
    Donor,
    RightsStatement,
    Accession,
    Record,
    RecordText,
    RecordEvent,
    Scan,
)
SCANS_FOLDER = "scans"


def open_tables() -> list:
    """The catalogue's tables and the tables of their many-to-many links."""
    links = [
        field.remote_field.through for model in OPEN_TABLES for field in model._meta.many_to_many
    ]
    return [*OPEN_TABLES, *links]


PROGRESS_EVERY = 500

Progress = Callable[[str, int, int], None]


class BackupRefused(Exception):
    """The export would overwrite something that is not one of our bags."""


@dataclass
class ExportReport:
    path: Path
    records: int = 0
    scans_copied: int = 0
    scans_reused: int = 0
    derivatives: int = 0
    payload_bytes: int = 0
    payload_files: int = 0
    problems: list[str] = field(default_factory=list)


def _check_destination(destination: Path) -> None:
    if destination.is_file():
        raise BackupRefused(f"{destination} is a file, not a folder for a bag.")
    if destination.is_dir() and any(destination.iterdir()):
        if not (destination / "bagit.txt").is_file():
            raise BackupRefused(
                f"{destination} holds files and is not a bag: choose an empty or new folder."
            )


def export_archive(
    *, destination: Path, with_derivatives: bool = False, progress: Progress | None = None
) -> ExportReport:
    """Write the archive as a bag at destination, reusing unchanged scans of a bag there."""
    destination = Path(destination).resolve()
    _check_destination(destination)
    progress = progress or (lambda stage, done, total: None)
    previous = read_manifest(destination)
    report = ExportReport(path=destination)
    writer = BagWriter(destination)
    try:
        dump = DUMP_NAMES[vendor()]
        with database_snapshot(writer.payload_path(dump)) as alias:
            writer.add_written(dump)
            progress("database", 1, 1)
            report.records = _write_records(writer, alias, progress)
            _write_tables(writer, alias, progress)
            _copy_originals(writer, alias, previous, destination, report, progress)
            if with_derivatives:
                _copy_derivatives(writer, alias, previous, destination, report, progress)
        report.payload_bytes, report.payload_files = writer.octets, writer.files
        writer.close(
            {
                "Source-Organization": settings.SITE_NAME,
                "External-Description": "A backup of the archive: the database, every "
                "original scan, and the catalogue in CSV, JSON and JSON Lines.",
                "Archive-Database": vendor(),
                "Archive-Records": str(report.records),
                "Archive-Derivatives": "included" if with_derivatives else "left out",
            }
        )
    except BaseException:
        writer.abandon()
        raise
    return report


def _write_records(writer: BagWriter, alias: str, progress: Progress) -> int:
    """records.csv and records.json, as the staff export writes them; the number of records."""
    records = Record.objects.using(alias).all()
    total = records.count()
    # One pass over the records for both files: each pass costs the prefetches again.
    with (
        writer.text_file("catalogue/records.csv") as csv_text,
        writer.text_file("catalogue/records.json") as json_text,
    ):
        csv_rows = csv.writer(csv_text, lineterminator="\r\n")
        csv_rows.writerow(STAFF_COLUMNS)
        json_text.write("[")
        separator = "\n"
        for done, record in enumerate(iter_records(records), start=1):
            values = record_values(record, STAFF_COLUMNS)
            csv_rows.writerow(csv_cells(values))
            json_text.write(separator + json.dumps(values, ensure_ascii=False))
            separator = ",\n"
            if done % 10_000 == 0:
                progress("records", done, total)
        json_text.write("\n]\n")
    progress("records", total, total)
    return total


def _write_tables(writer: BagWriter, alias: str, progress: Progress) -> None:
    tables = open_tables()
    for done, model in enumerate(tables, start=1):
        rows = model.objects.using(alias).order_by("pk").iterator(chunk_size=1000)
        # Many-to-many links go in their own tables: serialized on each row they cost a
        # query per row and field.
        columns = [field.name for field in model._meta.concrete_fields if not field.primary_key]
        with writer.text_file(f"catalogue/tables/{model._meta.db_table}.jsonl") as text:
            serializers.serialize("jsonl", rows, stream=text, fields=columns)
        progress("catalogue tables", done, len(tables))


def _reused(writer, previous: dict, destination: Path, path: str, checksum: str) -> bool:
    if previous.get(f"data/{path}") != checksum:
        return False
    return writer.add_link(path, destination / "data" / path, checksum)


def _copy_originals(writer, alias, previous, destination, report, progress) -> None:
    scans = Scan.objects.using(alias).order_by("pk")
    total = scans.count()
    storage = scan_storage()
    rows = scans.values_list("pk", "file", "sha256").iterator(chunk_size=500)
    for done, (pk, name, sha256) in enumerate(rows, start=1):
        path = f"{SCANS_FOLDER}/{name}"
        if _reused(writer, previous, destination, path, sha256):
            report.scans_reused += 1
        else:
            try:
                with storage.open(name, "rb") as original:
                    checksum = writer.add_stream(path, original)
            except FileNotFoundError:
                report.problems.append(f"scan {pk}: {name} is missing from the scan storage")
            else:
                report.scans_copied += 1
                if checksum != sha256:
                    report.problems.append(
                        f"scan {pk}: {name} has SHA-256 {checksum}, recorded {sha256}"
                    )
        if done % PROGRESS_EVERY == 0 or done == total:
            progress("scans", done, total)


def _copy_derivatives(writer, alias, previous, destination, report, progress) -> None:
    storage = scan_storage()
    pages = ScanPage.objects.using(alias).order_by("pk")
    total = pages.count()
    rows = pages.values_list("thumbnail", "web_image", "zoom_image").iterator(chunk_size=500)
    for done, names in enumerate(rows, start=1):
        for name in filter(None, names):
            path = f"{SCANS_FOLDER}/{name}"
            # A derivative's name is new on every run: the same name is the same image.
            if not _reused(writer, previous, destination, path, previous.get(f"data/{path}")):
                try:
                    with storage.open(name, "rb") as image:
                        writer.add_stream(path, image)
                except FileNotFoundError:
                    report.problems.append(f"derivative {name} is missing from the scan storage")
                    continue
            report.derivatives += 1
        if done % PROGRESS_EVERY == 0 or done == total:
            progress("derivatives", done, total)
