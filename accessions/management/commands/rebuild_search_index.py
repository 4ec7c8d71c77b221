from django.core.management.base import BaseCommand

from accessions.search.rebuilding import rebuild_search_index


class Command(BaseCommand):
    help = (
        "Rebuild the public search index from the records. On PostgreSQL the new index is "
        "built aside while searches read the old one, then swapped in; on SQLite it is "
        "rebuilt in one transaction, which searches wait for."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=50_000)

    def handle(self, *args, batch_size, **options):
        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done * 100 // total:3d} % done")

        # On PostgreSQL, outside a transaction, the index is built aside and vacuumed
        # before it is swapped in (inside one it is rebuilt in place, and not vacuumed).
        written = rebuild_search_index(batch_size=batch_size, progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Search index rebuilt: {written} published records."))
