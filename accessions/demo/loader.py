"""Load the demo catalogue from the JSON files in accessions/demo/, idempotently.

Everything is created through the same functions staff actions use, so the demo exercises
the real numbering and workflow. Objects that already exist are left as they are.
"""

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from accessions.catalogue.intake import create_accession, create_record
from accessions.catalogue.models import (
    Accession,
    Agent,
    Classification,
    Collection,
    DocumentType,
    Donor,
    Language,
    Place,
    Record,
    RecordText,
    Repository,
    RightsStatement,
    Subject,
)
from accessions.catalogue.workflow import transition_record
from accessions.demo.scans import attach_demo_scans

DEMO_DIR = Path(__file__).resolve().parent

# Demo sign-ins, printed by load_demo. Never created by migrations or in production.
DEMO_USERS = [
    ("admin", "demo-admin-pass", None),
    ("cataloguer", "demo-cataloguer-pass", "Cataloguer"),
    ("editor", "demo-editor-pass", "Editor"),
    ("rights", "demo-rights-pass", "Rights manager"),
]

# The workflow steps that bring a new draft to each demo status.
STEPS_TO_STATUS = {
    Record.Status.DRAFT: [],
    Record.Status.IN_REVIEW: ["submit"],
    Record.Status.PUBLISHED: ["submit", "publish"],
    Record.Status.WITHDRAWN: ["submit", "publish", "withdraw"],
}


@dataclass
class DemoReport:
    created_records: list[int] = field(default_factory=list)
    existing_records: list[int] = field(default_factory=list)
    users: list[tuple[str, str, str]] = field(default_factory=list)
    scanned_records: list[int] = field(default_factory=list)


def read_demo_files() -> list[dict]:
    return [
        json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))
        for name in ("records.json", "seed_record.json")
        if (DEMO_DIR / name).exists()
    ]


def ensure_users(report: DemoReport) -> dict[str, object]:
    User = get_user_model()
    users = {}
    for username, password, group_name in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                email=f"{username}@archive.example.org",
                is_staff=True,
                is_superuser=group_name is None,
            )
            user.set_password(password)
            user.save()
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
        users[username] = user
        report.users.append((username, password, group_name or "Superuser"))
    return users


def _taxonomy(model, name):
    if not name:
        return None
    return model.objects.get_or_create(name=name)[0]


def _load_vocabularies(data: dict) -> None:
    for item in data.get("repositories", []):
        Repository.objects.get_or_create(
            name=item["name"], defaults={"location": item.get("location", "")}
        )
    for item in data.get("collections", []):
        parent = Collection.objects.get(slug=item["parent"]) if item.get("parent") else None
        Collection.objects.get_or_create(
            slug=item["slug"],
            defaults={
                "name": item["name"],
                "description": item.get("description", ""),
                "parent": parent,
            },
        )
    for item in data.get("places", []):
        parent = Place.objects.get(name=item["parent"]) if item.get("parent") else None
        Place.objects.get_or_create(name=item["name"], defaults={"parent": parent})
    for item in data.get("agents", []):
        Agent.objects.get_or_create(name=item["name"], defaults={"kind": item["kind"]})
    donors = data.get("donors", []) + ([data["donor"]] if "donor" in data else [])
    for item in donors:
        Donor.objects.get_or_create(
            name=item["name"],
            defaults={
                key: item.get(key, "") for key in ("kind", "credit", "email", "phone", "address")
            }
            | {"is_funder": item.get("is_funder", False)},
        )
    rights = data.get("rights", [])
    for item in rights if isinstance(rights, list) else [rights]:
        RightsStatement.objects.get_or_create(
            name=item["name"],
            defaults={
                key: item.get(key, "")
                for key in ("statement", "uri", "inquiry_contact", "inquiry_email")
            },
        )


def _load_accessions(data: dict, user) -> dict[str, Accession]:
    accessions = {}
    for item in data.get("accessions", []):
        existing = Accession.objects.filter(title=item["title"]).first()
        if existing is None:
            fields = {
                key: value
                for key, value in item.items()
                if key not in {"key", "title", "date_received", "donors"}
            }
            existing = create_accession(
                title=item["title"],
                date_received=date.fromisoformat(item["date_received"]),
                user=user,
                donors=Donor.objects.filter(name__in=item.get("donors", [])),
                **fields,
            )
        accessions[item["key"]] = existing
    return accessions


def _load_record(item: dict, accessions: dict, users: dict, report: DemoReport) -> None:
    if Record.objects.filter(record_id=item["record_id"]).exists():
        report.existing_records.append(item["record_id"])
        return
    upload = item.get("original_upload_date")
    record = create_record(
        record_id=item["record_id"],
        title=item["title"],
        user=users["cataloguer"],
        date_text=item.get("date", ""),
        summary=item.get("summary", ""),
        source=item.get("source", ""),
        staff_notes=item.get("staff_notes", ""),
        original_archive=Repository.objects.filter(name=item.get("original_archive") or "").first(),
        original_classification=_taxonomy(Classification, item.get("original_classification")),
        document_type=_taxonomy(DocumentType, item.get("document_type")),
        rights=RightsStatement.objects.filter(name=item.get("rights") or "").first(),
        original_upload_date=date.fromisoformat(upload) if upload else None,
        accession=accessions.get(item.get("accession")),
        languages=Language.objects.filter(code__in=item.get("languages", [])),
        authors=[_taxonomy(Agent, name) for name in item.get("authors", [])],
        people_and_organizations=[
            _taxonomy(Agent, name) for name in item.get("people_and_organizations", [])
        ],
        places=[_taxonomy(Place, name) for name in item.get("places", [])],
        subjects=[_taxonomy(Subject, name) for name in item.get("subjects", [])],
        collections=Collection.objects.filter(slug__in=item.get("collections", [])),
        donors=Donor.objects.filter(name__in=item.get("donors", [])),
    )
    for position, text in enumerate(item.get("texts", [])):
        RecordText.objects.create(
            record=record,
            position=position,
            kind=text["kind"],
            body=text["body"],
            language=Language.objects.filter(code=text.get("language", "")).first(),
            credit=text.get("credit", ""),
            is_primary=text.get("is_primary", False),
        )
    for action in STEPS_TO_STATUS[item.get("status", Record.Status.DRAFT)]:
        actor = users["cataloguer"] if action == "submit" else users["editor"]
        transition_record(record=record, action=action, user=actor, note="Demo data")
    report.created_records.append(record.record_id)


def load_demo() -> DemoReport:
    """Create demo users, vocabularies, accessions and records that do not exist yet."""
    report = DemoReport()
    with transaction.atomic():
        users = ensure_users(report)
        for data in read_demo_files():
            _load_vocabularies(data)
            accessions = _load_accessions(data, users["cataloguer"])
            for item in data.get("records", []):
                _load_record(item, accessions, users, report)
            if "record" in data:
                _load_record(data["record"], accessions, users, report)
        report.scanned_records = attach_demo_scans(user=users["cataloguer"])
    return report
