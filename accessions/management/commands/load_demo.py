from django.core.management.base import BaseCommand

from accessions.demo.loader import load_demo


class Command(BaseCommand):
    help = "Load the demo catalogue and one demo user per role. Safe to run again."

    def handle(self, *args, **options):
        report = load_demo()
        self.stdout.write(
            f"Demo records: {len(report.created_records)} created, "
            f"{len(report.existing_records)} already present."
        )
        self.stdout.write(f"Demo scans attached to records: {report.scanned_records or 'none new'}")
        self.stdout.write("Demo sign-ins (demo only; change or delete them on a real system):")
        for username, password, role in report.users:
            self.stdout.write(f"  {role:<15} user {username!r:<14} password {password!r}")
        self.stdout.write("Staff workspace: http://127.0.0.1:8000/admin/")
