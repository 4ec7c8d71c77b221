"""Fixity: re-read an original and compare it with the SHA-256 taken when it was attached.

It reads through the scan storage, so it checks the file where it is kept: on the local disk
or in the S3 bucket. When the storage does not answer, the check says so ("unreachable")
and records nothing: it has learnt nothing of the file.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.utils import timezone

from accessions.scans.models import Scan
from accessions.scans.storage import scan_storage

logger = logging.getLogger(__name__)


@dataclass
class FixityResult:
    scan: Scan
    ok: bool
    problem: str = ""


def check_fixity(*, scan: Scan) -> FixityResult:
    """Re-read an original and compare it with the SHA-256 taken at ingest."""

    digest = hashlib.sha256()
    try:
        with scan_storage().open(scan.file.name, "rb") as original:
            for chunk in iter(lambda: original.read(1024 * 1024), b""):
                digest.update(chunk)
    except FileNotFoundError:
        result = FixityResult(scan=scan, ok=False, problem="missing")
    except Exception as error:
        # The storage did not answer: nothing is known of the file, so nothing is recorded.
        logger.warning("Fixity of scan %s not checked: %r", scan.pk, error)
        return FixityResult(scan=scan, ok=False, problem="unreachable")
    else:
        changed = digest.hexdigest() != scan.sha256
        result = FixityResult(scan=scan, ok=not changed, problem="changed" if changed else "")
    Scan.objects.filter(pk=scan.pk).update(fixity_ok=result.ok, fixity_checked_at=timezone.now())
    return result
