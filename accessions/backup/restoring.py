"""restore_archive: check a bag, then put its database and scans back and make the rest anew."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import bagit
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS

from accessions.backup.bag import file_sha256
from accessions.backup.database import DUMP_NAMES, holds_records, restore_database, vendor
from accessions.backup.exporting import SCANS_FOLDER
from accessions.catalogue.models import Record
from accessions.catalogue.page_cache import forget_public_pages
from accessions.scans.fixity import check_fixity
from accessions.scans.models import Scan, ScanPage
from accessions.scans.storage import scan_storage
from accessions.scans.tasks import enqueue_derivatives
from accessions.search import key_tally
from accessions.search.rebuilding import rebuild_search_index

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


class BagInvalid(Exception):
    """The bag is damaged or incomplete; `problems` names each file that differs."""

    def __init__(self, message: str, problems: list[str]):
        super().__init__(message)
        self.problems = problems


class RestoreRefused(Exception):
    """Restoring would overwrite an archive that is in use, or cannot use this bag."""


@dataclass
class RestoreReport:
    records: int = 0
    scans: int = 0
    derivatives_restored: bool = False
    derivatives_queued: int = 0
    search_entries: int = 0
    fixity_problems: list[str] = field(default_factory=list)


def validate_bag(path: Path) -> bagit.Bag:
    """The bag, once every checksum in its manifests holds; BagInvalid naming what differs."""
    try:
        bag = bagit.Bag(str(path))
        bag.validate(processes=1)
    except bagit.BagValidationError as error:
        problems = [str(detail) for detail in error.details] or _differences(bag)
        raise BagInvalid(f"{path} is not a valid bag: {error.message}", problems) from error
    except bagit.BagError as error:
        raise BagInvalid(f"{path} is not a valid bag: {error}", [str(error)]) from error
    return bag


def _differences(bag: bagit.Bag) -> list[str]:
    # The library stops at the file count and size when they disagree; name the files.
    problems = []
    for path, hashes in bag.entries.items():
        target = Path(bag.path) / path
        expected = hashes.get("sha256")
        if not target.is_file():
            problems.append(f"{path} is in the manifest but missing")
        elif expected and (found := file_sha256(target)) != expected:
            problems.append(f'{path} sha256 differs: expected="{expected}" found="{found}"')
    problems += [
        f"{path} is not in the manifest" for path in bag.payload_files() if path not in bag.entries
    ]
    return problems


def _storage_holds_files(storage, folder: str = "") -> bool:
    # Folders alone do not count: a local storage keeps them when its files are deleted.
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return False
    return bool(files) or any(
        _storage_holds_files(storage, f"{folder}/{sub}" if folder else sub) for sub in folders
    )


def restore_archive(*, bag_path: Path, force: bool = False, progress: Progress | None = None):
    """Restore the database and scans from a valid bag into an empty archive."""
    progress = progress or (lambda stage, done, total: None)
    bag_path = Path(bag_path).resolve()
    links = [path for path in (bag_path / "data").rglob("*") if path.is_symlink()]
    if links:
        # A link would bring in a file from outside the bag, wherever it points.
        raise BagInvalid(
            f"{bag_path} is not a valid bag: it holds symbolic links",
            [f"{link.relative_to(bag_path)} is a symbolic link" for link in links],
        )
    bag = validate_bag(bag_path)
    progress("validated", 1, 1)
    dump = bag_path / "data" / DUMP_NAMES[vendor()]
    if not dump.is_file():
        others = [name for name in DUMP_NAMES.values() if (bag_path / "data" / name).is_file()]
        raise RestoreRefused(
            f"The bag holds no {vendor()} database ({', '.join(others) or 'no dump at all'}): "
            "restore it into the same kind of database it was taken from."
        )
    storage = scan_storage()
    if not force:
        if holds_records():
            raise RestoreRefused(
                "The database holds records: restore into an empty database, or give --force "
                "to replace everything in it."
            )
        if _storage_holds_files(storage):
            raise RestoreRefused(
                "The scan storage holds files: restore into an empty storage, or give --force "
                "to replace the files the bag holds."
            )
    scan_files = sorted(
        path for path in bag.payload_files() if path.startswith(f"data/{SCANS_FOLDER}/")
    )
    written = _put_files(bag_path, scan_files, storage, progress)
    try:
        restore_database(dump)
    except BaseException:
        # Nothing half-restored: the database is as it was, so take the files out again.
        for name in written:
            storage.delete(name)
        raise
    # Left out of the dump's restore (database._without_our_extension); never fails.
    key_tally.install(using=DEFAULT_DB_ALIAS)
    forget_public_pages()
    progress("database", 1, 1)
    report = RestoreReport(scans=len(written))
    report.fixity_problems = _check_fixity(progress)
    report.derivatives_restored = bag.info.get("Archive-Derivatives") == "included"
    if not report.derivatives_restored:
        report.derivatives_queued = _remake_derivatives()
    report.search_entries = rebuild_search_index(
        progress=lambda done, total: progress("search index", done, total)
    )
    report.records = Record.objects.count()
    forget_public_pages()
    return report


def _put_files(bag_path: Path, paths: list[str], storage, progress: Progress) -> list[str]:
    written = []
    prefix = len(f"data/{SCANS_FOLDER}/")
    try:
        for done, path in enumerate(paths, start=1):
            name = path[prefix:]
            if storage.exists(name):
                storage.delete(name)
            with (bag_path / path).open("rb") as source:
                saved = storage.save(name, File(source, name=name))
            written.append(saved)
            if saved != name:
                raise RuntimeError(f"The scan storage kept {name} as {saved}.")
            if done % 500 == 0 or done == len(paths):
                progress("scans", done, len(paths))
    except BaseException:
        for name in written:
            storage.delete(name)
        raise
    return written


def _check_fixity(progress: Progress) -> list[str]:
    problems = []
    scans = Scan.objects.select_related("record").order_by("pk")
    total = scans.count()
    for done, scan in enumerate(scans.iterator(chunk_size=500), start=1):
        result = check_fixity(scan=scan)
        if not result.ok:
            problems.append(
                f"{result.problem}: record {scan.record.record_id}, scan {scan.pk} "
                f"({scan.file.name}), recorded SHA-256 {scan.sha256}"
            )
        if done % 500 == 0 or done == total:
            progress("fixity", done, total)
    return problems


def _remake_derivatives() -> int:
    # The pages name images the bag does not hold: show none until the worker makes them.
    ScanPage.objects.update(thumbnail="", web_image="", zoom_image="", width=0, height=0)
    Scan.objects.update(derivative_status=Scan.DerivativeStatus.PENDING, derivative_attempts=0)
    scan_ids = list(Scan.objects.order_by("pk").values_list("pk", flat=True))
    for scan_id in scan_ids:
        enqueue_derivatives(scan_id=scan_id)
    return len(scan_ids)
