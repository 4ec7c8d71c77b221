"""Retry the outbox: send every pending email whose back-off has passed."""

from django.core.management.base import BaseCommand

from accessions.inquiries.outbox import send_due_emails


class Command(BaseCommand):
    help = "Send pending rights-inquiry emails that are due; run it every few minutes."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=500, help="Most emails to try in one run (default 500)."
        )

    def handle(self, *args, limit: int, **options):
        counts = send_due_emails(limit=limit)
        self.stdout.write(
            f"Sent {counts['sent']} email(s); {counts['failed']} attempt(s) failed "
            "and stay queued or are marked failed."
        )
