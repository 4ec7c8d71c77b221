"""manage.py export_archive DEST: the whole archive as one BagIt bag."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accessions.backup.exporting import BackupRefused, export_archive


class Command(BaseCommand):
    help = (
        "Write the database (a consistent snapshot), every original scan and the catalogue in "
        "CSV, JSON and JSON Lines as one BagIt bag at DEST. Scans of a bag already at DEST "
        "with the same checksum are reused rather than read from the storage again."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path, help="The bag's folder (new, or a bag).")
        parser.add_argument(
            "--with-derivatives",
            action="store_true",
            help="Also keep the derivative images (left out by default: restore remakes them).",
        )

    def handle(self, *args, destination, with_derivatives, **options):
        try:
            report = export_archive(
                destination=destination, with_derivatives=with_derivatives, progress=self.progress
            )
        except BackupRefused as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Wrote {report.path}: {report.records} records, "
            f"{report.scans_copied + report.scans_reused} scans ({report.scans_copied} copied, "
            f"{report.scans_reused} reused from the previous bag), {report.derivatives} "
            f"derivatives, {report.payload_files} files, {report.payload_bytes:,} bytes."
        )
        for problem in report.problems:
            self.stderr.write(f"PROBLEM: {problem}")
        if report.problems:
            raise CommandError(
                f"The bag is written, but {len(report.problems)} scan(s) did not match their "
                "recorded fixity or were missing (see above): run verify_fixity."
            )

    def progress(self, stage: str, done: int, total: int) -> None:
        self.stderr.write(f"  {stage}: {done}/{total}")
