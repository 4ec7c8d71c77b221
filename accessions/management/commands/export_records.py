"""manage.py export_records: write records as CSV (the import format) or JSON."""

from django.core.management.base import BaseCommand, CommandError

from accessions.catalogue.models import Collection, Record
from accessions.transfer.exporting import PUBLIC_COLUMNS, STAFF_COLUMNS, csv_lines, json_chunks


class Command(BaseCommand):
    help = "Export records in the import's CSV format or as JSON; published records by default."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument(
            "--all-statuses",
            action="store_true",
            help="Include drafts, records in review and withdrawn ones, with status and "
            "staff notes (for staff use, never for publication).",
        )
        parser.add_argument("--collection", help="Only records in the collection with this slug.")
        parser.add_argument("--output", "-o", help="Write to this file instead of the terminal.")

    def handle(self, *args, format, all_statuses, collection, output, **options):
        records = Record.objects.all() if all_statuses else Record.objects.published()
        columns = STAFF_COLUMNS if all_statuses else PUBLIC_COLUMNS
        if collection:
            try:
                records = records.filter(collections=Collection.objects.get(slug=collection))
            except Collection.DoesNotExist:
                raise CommandError(f"There is no collection “{collection}”.") from None
        chunks = (json_chunks if format == "json" else csv_lines)(records, columns)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as target:
                for chunk in chunks:
                    target.write(chunk)
            self.stderr.write(f"Wrote {output}.")
        else:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
