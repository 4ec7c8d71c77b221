"""Where scans are kept: STORAGES["scans"], a private folder or an S3 bucket.

Neither is ever public. Files reach visitors only through views that first check the
record is published: streamed from the folder, or redirected to a short-lived signed link
to the bucket.
"""

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from botocore.config import Config
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from storages.backends.s3 import S3Storage


class ScanStorage(FileSystemStorage):
    """Private storage outside MEDIA_ROOT, so no static media URL can ever reach a scan."""

    def __init__(self):
        super().__init__(base_url=None)

    # Read on every use, so tests and deployments can point SCANS_ROOT elsewhere at run time.
    @property
    def base_location(self):
        return settings.SCANS_ROOT

    @property
    def location(self):
        return str(settings.SCANS_ROOT)

    def url(self, name):
        raise NotImplementedError("Scans are served by views that check the record's status.")


class S3ScanStorage(S3Storage):
    """A private S3 bucket (or any S3-protocol server) whose links are signed and expire."""

    def __init__(self, **options):
        endpoint_url = options.get("endpoint_url")
        options.setdefault(
            "client_config",
            Config(
                # Path-style addressing for S3-protocol servers at a plain endpoint.
                s3={"addressing_style": "path" if endpoint_url else "auto"},
                signature_version="s3v4",
                # Fail within seconds when S3 is unreachable, rather than retry for minutes.
                connect_timeout=3,
                read_timeout=30,
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        )
        options.setdefault("default_acl", None)
        options.setdefault("querystring_auth", True)
        # An original is never replaced: a second file of the same name gets another name.
        options.setdefault("file_overwrite", False)
        super().__init__(**options)


def scan_storage():
    """The storage that holds scans (STORAGES["scans"]), looked up on each use."""
    return storages["scans"]


def is_local(storage) -> bool:
    return isinstance(storage, FileSystemStorage)


@contextmanager
def local_copy(name: str):
    """A path on the local disk holding the stored file, for programs that need one.

    A file in the scan folder is read where it is; a file in a bucket is copied to a
    temporary file that is removed afterwards.
    """
    storage = scan_storage()
    if is_local(storage):
        yield storage.path(name)
        return
    with tempfile.TemporaryDirectory(prefix="archive-scan-") as scratch:
        path = Path(scratch) / Path(name).name
        with storage.open(name, "rb") as stored, path.open("wb") as local:
            shutil.copyfileobj(stored, local, 1024 * 1024)
        yield str(path)
