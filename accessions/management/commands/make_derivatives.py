from django.core.management.base import BaseCommand, CommandError

from accessions.scans.models import Scan
from accessions.scans.tasks import remake_derivatives


class Command(BaseCommand):
    help = "Make the page images of scans again, now: of one record (--record) or of all."

    def add_arguments(self, parser):
        parser.add_argument("--record", type=int, help="Only the scans of this record ID.")
        parser.add_argument(
            "--failed", action="store_true", help="Only scans whose derivatives failed."
        )
        parser.add_argument(
            "--pending",
            action="store_true",
            help="Only scans whose derivatives were never made (their task was lost, e.g. "
            "with a queue that went down).",
        )

    def handle(self, *args, record=None, failed=False, pending=False, **options):
        scans = Scan.objects.select_related("record").order_by("record__record_id", "position")
        if record is not None:
            scans = scans.filter(record__record_id=record)
        if failed:
            scans = scans.filter(derivative_status=Scan.DerivativeStatus.FAILED)
        if pending:
            scans = scans.filter(derivative_status=Scan.DerivativeStatus.PENDING)
        made, failures = 0, 0
        for scan in scans:
            if remake_derivatives(scan=scan):
                made += 1
                self.stdout.write(f"Made: record {scan.record.record_id}, {scan}")
            else:
                failures += 1
                scan.refresh_from_db()
                self.stdout.write(
                    f"FAILED: record {scan.record.record_id}, {scan}: {scan.derivative_error}"
                )
        self.stdout.write(f"Derivatives made for {made} scan(s); {failures} failed.")
        if failures:
            raise CommandError(f"{failures} scan(s) failed.")
