"""manage.py restore_archive BAG: the archive back from a bag written by export_archive."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accessions.backup.database import RestoreFailed
from accessions.backup.restoring import BagInvalid, RestoreRefused, restore_archive


class Command(BaseCommand):
    help = (
        "Validate a bag written by export_archive, then restore its database and scans into an "
        "empty database and scan storage, check every scan's fixity, queue the derivatives "
        "and rebuild the search index."
    )

    def add_arguments(self, parser):
        parser.add_argument("bag", type=Path)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that holds records and scans the storage already holds.",
        )

    def handle(self, *args, bag, force, **options):
        try:
            report = restore_archive(bag_path=bag, force=force, progress=self.progress)
        except BagInvalid as error:
            for problem in error.problems:
                self.stderr.write(f"DAMAGED: {problem}")
            raise CommandError(f"{error}\nNothing was restored.") from None
        except (RestoreRefused, RestoreFailed) as error:
            raise CommandError(f"{error}\nNothing was restored.") from None
        self.stdout.write(
            f"Restored {report.records} records and {report.scans} files; search index: "
            f"{report.search_entries} published records; derivatives "
            + (
                "restored from the bag."
                if report.derivatives_restored
                else f"queued for {report.derivatives_queued} scans."
            )
        )
        for problem in report.fixity_problems:
            self.stderr.write(f"FIXITY: {problem}")
        if report.fixity_problems:
            raise CommandError(
                f"{len(report.fixity_problems)} scan(s) failed their fixity check after restore."
            )

    def progress(self, stage: str, done: int, total: int) -> None:
        self.stderr.write(f"  {stage}: {done}/{total}")
