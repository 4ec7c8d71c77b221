from django.core.management.base import BaseCommand, CommandError

from accessions.scans.fixity import check_fixity
from accessions.scans.models import Scan


class Command(BaseCommand):
    help = (
        "Re-read every original scan and report any whose SHA-256 changed, that is missing, "
        "or that the scan storage did not give back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--record", type=int, help="Only the scans of this record ID.")

    def handle(self, *args, record=None, **options):
        scans = Scan.objects.select_related("record").order_by("record__record_id", "position")
        if record is not None:
            scans = scans.filter(record__record_id=record)
        checked, problems = 0, []
        for scan in scans.iterator(chunk_size=200):
            result = check_fixity(scan=scan)
            checked += 1
            if not result.ok:
                problems.append(result)
                self.stdout.write(
                    f"{result.problem.upper()}: record {scan.record.record_id}, scan {scan.pk} "
                    f"({scan.original_filename}, {scan.file.name}), expected SHA-256 {scan.sha256}"
                )
        self.stdout.write(
            f"Checked {checked} original(s); {len(problems)} changed, missing or unreachable."
        )
        if problems:
            raise CommandError(f"Fixity failed for {len(problems)} original(s).")
