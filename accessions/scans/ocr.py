"""OCR of scan pages without a text layer, through Tesseract when it is installed."""

import functools
import logging
import shutil
import subprocess
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from accessions.scans.models import Scan, ScanPage
from accessions.scans.storage import local_copy
from accessions.search.indexing import update_search_index

logger = logging.getLogger(__name__)

# ISO 639-1 codes of record languages to Tesseract's language data names.
TESSERACT_LANGUAGES = {
    "en": "eng",
    "ru": "rus",
    "de": "deu",
    "fr": "fra",
    "es": "spa",
    "it": "ita",
    "pl": "pol",
    "cs": "ces",
    "uk": "ukr",
    "bg": "bul",
    "hu": "hun",
    "ro": "ron",
    "zh": "chi_sim",
    "ja": "jpn",
    "ko": "kor",
}
OCR_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class OcrStatus:
    enabled: bool
    reason: str
    languages: tuple[str, ...] = ()


@functools.cache
def _probe(command: str) -> OcrStatus:
    program = shutil.which(command) if command else None
    if not program:
        return OcrStatus(False, "OCR is off: Tesseract is not installed on this server.")
    try:
        listed = subprocess.run(
            [program, "--list-langs"], capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError) as error:
        return OcrStatus(False, f"OCR is off: Tesseract does not run ({error}).")
    languages = tuple(
        line.strip() for line in listed.stdout.splitlines()[1:] if line.strip() != "osd"
    )
    if not languages:
        return OcrStatus(False, "OCR is off: Tesseract has no language data installed.")
    return OcrStatus(True, f"OCR is on: Tesseract with {', '.join(languages)}.", languages)


def ocr_status() -> OcrStatus:
    """Whether OCR runs here, and why not when it does not."""
    return _probe(settings.TESSERACT_COMMAND)


def tesseract_languages(language_codes: list[str], installed: tuple[str, ...]) -> str:
    wanted = [TESSERACT_LANGUAGES.get(code) for code in language_codes]
    chosen = [name for name in wanted if name and name in installed]
    if not chosen:
        chosen = ["eng"] if "eng" in installed else list(installed[:1])
    return "+".join(dict.fromkeys(chosen))


def ocr_scan_pages(*, scan_id: int) -> int:
    """OCR the pages of a scan that have derivatives but no text layer; return pages read."""
    status = ocr_status()
    if not status.enabled:
        return 0
    scan = Scan.objects.select_related("record").get(pk=scan_id)
    codes = list(scan.record.languages.values_list("code", flat=True))
    languages = tesseract_languages(codes, status.languages)
    texts = {}
    pages = ScanPage.objects.filter(scan=scan, has_text_layer=False).exclude(zoom_image="")
    for page in pages:
        with local_copy(page.zoom_image) as path:
            result = subprocess.run(
                [shutil.which(settings.TESSERACT_COMMAND), path, "stdout", "-l", languages],
                capture_output=True,
                text=True,
                timeout=OCR_TIMEOUT_SECONDS,
            )
        if result.returncode != 0:
            logger.warning("Tesseract failed on page %s: %s", page.pk, result.stderr.strip())
            continue
        texts[page.pk] = result.stdout.strip()
    # Tesseract runs outside any transaction; the texts and the search index they feed are
    # stored together, so the search never lags behind what staff see.
    with transaction.atomic():
        for page_pk, text in texts.items():
            ScanPage.objects.filter(pk=page_pk).update(ocr_text=text, ocr_language=languages)
        if texts:
            update_search_index(record_pks=[scan.record_id])
    return len(texts)
