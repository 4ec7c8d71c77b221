"""What a round trip must give back: every row, every stored original, every public page."""

import hashlib
import re

from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.urls import reverse

from accessions.catalogue.models import Record
from accessions.scans.models import ScanPage
from accessions.scans.storage import scan_storage

# The search index is rebuilt on restore (compared through the search pages instead).
REBUILT = {"accessions.searchentry", "accessions.searchfacet", "accessions.searchfacettotal"}
# What restore does anew: the fixity check it runs, and the derivatives it remakes.
REMADE = {
    "accessions.scan": {
        "derivative_attempts",
        "derivative_error",
        "fixity_checked_at",
        "fixity_ok",
    },
    "accessions.scanpage": {"thumbnail", "web_image", "zoom_image"},
}
# A fresh per-response value; everything else on a page must be the same.
NONCE = re.compile(rb'nonce="[^"]*"')


def database_rows() -> dict[str, list[dict]]:
    """Every row of every table of the archive (and its staff), in primary-key order."""
    models = [*apps.get_app_config("accessions").get_models(include_auto_created=True)]
    rows = {}
    for model in [*models, User, Group, User.groups.through, Group.permissions.through]:
        label = model._meta.label_lower
        if label in REBUILT:
            continue
        left_out = REMADE.get(label, set())
        rows[label] = [
            {name: value for name, value in row.items() if name not in left_out}
            for row in model.objects.order_by("pk").values().iterator(chunk_size=2000)
        ]
    return rows


def stored_originals() -> dict[str, str]:
    """The SHA-256 of every file under originals/ in the scan storage, by name."""
    storage, found = scan_storage(), {}

    def walk(folder: str) -> None:
        try:
            folders, files = storage.listdir(folder)
        except FileNotFoundError:
            return
        for name in files:
            with storage.open(f"{folder}/{name}", "rb") as stored:
                found[f"{folder}/{name}"] = hashlib.sha256(stored.read()).hexdigest()
        for sub in folders:
            walk(f"{folder}/{sub}")

    walk("originals")
    return found


SEARCHES = ("/search/", "/search/?q=telegram", "/search/?q=telegram&page=2")


def public_pages(client, record_ids, searches=SEARCHES) -> dict[str, tuple[int, bytes]]:
    """Status and body of the home, search and record pages and the records' scan images."""
    cache.clear()
    urls = ["/", *searches]
    urls += [f"/document/{record_id}/" for record_id in record_ids]
    urls += [f"/iiif/{record_id}/manifest.json" for record_id in record_ids]
    found = {}
    for url in urls:
        response = client.get(url)
        found[url] = (response.status_code, NONCE.sub(b"", response.content))
    # Images stream from the disk or redirect to a freshly signed link: their status only.
    pages = ScanPage.objects.filter(scan__record__record_id__in=record_ids).order_by("pk")
    for page in pages:
        url = reverse("accessions:scan_page_image", args=[page.pk, "thumb"])
        found[url] = (client.get(url).status_code, b"")
    return found


def draft_record_ids() -> set[int]:
    return set(
        Record.objects.exclude(status=Record.Status.PUBLISHED).values_list("record_id", flat=True)
    )
