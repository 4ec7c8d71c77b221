"""manage.py import_records FILE: check a CSV file of records and import it, all rows or none."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accessions.transfer.formats import FORMATS
from accessions.transfer.importer import ImportRejected, import_records
from accessions.transfer.reader import ImportFileError, file_size

BAR_WIDTH = 30
LISTED = 50


class Command(BaseCommand):
    help = (
        "Import records from a CSV file (our export format or the Wilson Center export), "
        "or accessions from an AtoM accessions CSV. "
        "Nothing is written if any row has an error; --dry-run only reports."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; write nothing."
        )
        parser.add_argument("--format", choices=["auto", *FORMATS, "atom"], default="auto")
        parser.add_argument(
            "--user",
            help="Username the import acts as; needed to import records as published.",
        )
        parser.add_argument(
            "--max-megabytes",
            type=int,
            help="Accept files up to this size (default: the IMPORT_MAX_BYTES setting).",
        )

    def handle(self, *args, file, dry_run, format, user, max_megabytes, **options):
        actor = None
        if user:
            try:
                actor = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"There is no user named “{user}”.") from None
        try:
            stream = open(file, "rb")  # closed by the with block below
        except OSError as error:
            raise CommandError(f"Cannot open {file}: {error.strerror}.") from None
        with stream:
            size = file_size(stream) or 1
            show_bar = self.stdout.isatty()

            def progress(rows: int) -> None:
                done = min(stream.tell() / size, 1.0)
                if show_bar:
                    filled = round(done * BAR_WIDTH)
                    bar = "#" * filled + "." * (BAR_WIDTH - filled)
                    self.stdout.write(f"\r[{bar}] {done:4.0%} {rows:,} rows", ending="")
                    self.stdout.flush()
                else:
                    self.stdout.write(f"{rows:,} rows checked ({done:.0%} of the file)")

            try:
                report = import_records(
                    stream=stream,
                    user=actor,
                    format_name=format,
                    dry_run=dry_run,
                    source_name=file,
                    progress=progress,
                    max_bytes=max_megabytes * 1024 * 1024 if max_megabytes else None,
                )
            except ImportFileError as error:
                raise CommandError(str(error)) from None
            except ImportRejected as rejected:
                if show_bar:
                    self.stdout.write("")
                self._errors(rejected.report)
                raise CommandError(
                    f"Nothing was imported: {rejected.report.error_count} error(s)."
                ) from None
        if show_bar:
            self.stdout.write("")
        self._summary(report)

    def _summary(self, report):
        counts = report.counts
        verb = "Would" if report.dry_run else "Did"
        self.stdout.write(
            f"{report.rows:,} rows ({report.format} format). {verb} create {counts['create']:,}, "
            f"update {counts['update']:,}, leave {counts['unchanged']:,} unchanged."
        )
        if report.ignored_columns:
            self.stdout.write(f"Ignored columns: {', '.join(report.ignored_columns)}.")
        for name, values in report.new_values.items():
            self.stdout.write(f"New {name.replace('_', ' ')}: {', '.join(values[:10])}")
        if report.dry_run:
            for outcome in report.outcomes[:LISTED]:
                changes = f" ({', '.join(outcome.changes)})" if outcome.changes else ""
                record = outcome.record_id or "new"
                self.stdout.write(f"  row {outcome.row}: {outcome.action} {record}{changes}")
            if len(report.outcomes) > LISTED:
                self.stdout.write(f"  … and {report.rows - LISTED:,} more rows.")
            self._errors(report)
            if report.ok:
                self.stdout.write(self.style.SUCCESS("Dry run: no errors; nothing was written."))
        else:
            self.stdout.write(self.style.SUCCESS("Import complete."))

    def _errors(self, report):
        for error in report.errors:
            self.stdout.write(self.style.ERROR(str(error)))
        if report.error_count > len(report.errors):
            self.stdout.write(f"… and {report.error_count - len(report.errors):,} more errors.")
