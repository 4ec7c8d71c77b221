import logging
from contextlib import contextmanager

from django.core.management.base import BaseCommand

from accessions.demo.loader import load_demo
from accessions.demo.scans import scan_summary

# Loggers that write a line for every scan attached and every task started and finished.
NOISY_LOGGERS = ("django.tasks", "accessions")


@contextmanager
def warnings_only(*names: str):
    """Let only warnings and errors through these loggers while the block runs."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Command(BaseCommand):
    help = "Load the demo catalogue and one demo user per role. Safe to run again."

    def handle(self, *args, **options):
        # The demo runs the scan tasks inline; a summary says what they did.
        with warnings_only(*NOISY_LOGGERS):
            report = load_demo()
        self.stdout.write(
            f"Demo records: {len(report.created_records)} created, "
            f"{len(report.existing_records)} already present."
        )
        self.stdout.write(f"Demo scans: {scan_summary(report.scanned_records)}.")
        self.stdout.write("Demo sign-ins (demo only; change or delete them on a real system):")
        for username, password, role in report.users:
            self.stdout.write(f"  {role:<15} user {username!r:<14} password {password!r}")
        self.stdout.write("Staff workspace: http://127.0.0.1:8000/admin/")
