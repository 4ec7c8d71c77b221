"""Read AtoM's accessions CSV: create accessions and their donors, all rows or none."""

import logging
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from accessions.catalogue.intake import create_accession
from accessions.catalogue.models import Accession, Donor
from accessions.transfer.models import ImportKey
from accessions.transfer.plan import CREATE, UNCHANGED, UPDATE, RowError
from accessions.transfer.reader import CsvSource, ImportFileError, SourceRow
from accessions.transfer.report import ImportRejected, ImportReport, RowOutcome

logger = logging.getLogger(__name__)

FORMAT_NAME = "atom"
REQUIRED = ("accessionNumber", "title", "acquisitionDate")
MAPPED = (
    "accessionNumber",
    "title",
    "acquisitionDate",
    "acquisitionType",
    "scopeAndContent",
    "receivedExtentUnits",
    "processingStatus",
    "processingPriority",
    "locationInformation",
    "sourceOfAcquisition",
    "archivalHistory",
    "appraisal",
    "physicalCondition",
    "processingNotes",
    "donorName",
    "donorStreetAddress",
    "donorCity",
    "donorRegion",
    "donorCountry",
    "donorPostalCode",
    "donorTelephone",
    "donorEmail",
    "donorNote",
    "donorContactPerson",
)
IGNORED = (
    "alternativeIdentifiers",
    "alternativeIdentifierTypes",
    "alternativeIdentifierNotes",
    "resourceType",
    "physicalObjectName",
    "physicalObjectLocation",
    "physicalObjectType",
    "donorFax",
    "creators",
    "eventTypes",
    "eventDates",
    "eventStartDates",
    "eventEndDates",
    "accessionEventTypes",
    "accessionEventDates",
    "accessionEventAgents",
    "accessionEventNotes",
    "culture",
    "qubitParentSlug",
)
# AtoM's acquisition types; a deposit keeps ownership with the depositor, as our loan does.
ACQUISITION = {
    "gift": "gift",
    "purchase": "purchase",
    "transfer": "transfer",
    "deposit": "loan",
    "loan": "loan",
    "exchange": "exchange",
}
PROCESSING = {
    "complete": "processed",
    "processed": "processed",
    "incomplete": "in_progress",
    "in progress": "in_progress",
    "in-progress": "in_progress",
    "new": "new",
}
PRIORITY = {"high": "high", "medium": "medium", "low": "low"}
NOTE_COLUMNS = {
    "sourceOfAcquisition": "Source of acquisition",
    "archivalHistory": "Archival history",
    "appraisal": "Appraisal",
    "physicalCondition": "Physical condition",
    "processingNotes": "Processing notes",
}
COMPARED = (
    "title",
    "date_received",
    "acquisition_method",
    "scope",
    "extent",
    "processing_status",
    "processing_priority",
    "location",
    "notes",
)


def _clean(values: dict[str, str]) -> dict[str, str]:
    # AtoM writes NULL for empty cells.
    return {
        k: ("" if (v or "").strip() == "NULL" else (v or "").strip()) for k, v in values.items()
    }


def _choice(row, errors, column: str, table: dict[str, str], default: str) -> str:
    value = row.get(column, "")
    if not value:
        return default
    try:
        return table[value.lower()]
    except KeyError:
        errors.append((column, f"“{value}” is not one of: {', '.join(sorted(table))}."))
        return default


def parse_atom_row(source: SourceRow) -> tuple[dict, dict, list[RowError]]:
    """Accession fields and donor fields of one AtoM row, and its errors."""
    row = _clean(source.values)
    problems: list[tuple[str, str]] = []
    if not row.get("accessionNumber"):
        problems.append(("accessionNumber", "is empty; AtoM rows are matched by it."))
    if not row.get("title"):
        problems.append(("title", "is empty; every accession needs a title."))
    received = None
    text = row.get("acquisitionDate", "")
    try:
        received = date.fromisoformat(text)
    except ValueError:
        hint = " (a partial date; the date received needs a day)" if "-00" in text else ""
        problems.append(
            ("acquisitionDate", f"“{text}” is not a date in the form YYYY-MM-DD{hint}.")
        )
    notes = [f"{label}: {row[c]}" for c, label in NOTE_COLUMNS.items() if row.get(c)]
    notes.insert(0, f"AtoM accession number: {row.get('accessionNumber', '')}")
    fields = {
        "title": row.get("title", "")[:500],
        "date_received": received,
        "acquisition_method": _choice(row, problems, "acquisitionType", ACQUISITION, "gift"),
        "scope": row.get("scopeAndContent", ""),
        "extent": row.get("receivedExtentUnits", "")[:255],
        "processing_status": _choice(row, problems, "processingStatus", PROCESSING, "new"),
        "processing_priority": _choice(row, problems, "processingPriority", PRIORITY, "medium"),
        "location": row.get("locationInformation", "")[:255],
        "notes": "\n".join(notes),
    }
    address = ", ".join(
        row[c]
        for c in (
            "donorStreetAddress",
            "donorCity",
            "donorRegion",
            "donorPostalCode",
            "donorCountry",
        )
        if row.get(c)
    )
    contact = [row.get("donorNote", "")]
    email = row.get("donorEmail", "")
    try:
        validate_email(email) if email else None
    except ValidationError:
        # Keep what AtoM had where staff can see it, rather than store a broken address.
        contact.append(f"Email as given: {email}")
        email = ""
    if row.get("donorContactPerson"):
        contact.append(f"Contact person: {row['donorContactPerson']}")
    donor = {
        "name": row.get("donorName", "")[:255],
        "email": email,
        "phone": row.get("donorTelephone", "")[:50],
        "address": address,
        "contact_notes": "\n".join(c for c in contact if c),
    }
    errors = [RowError(source.number, column, message) for column, message in problems]
    return fields, donor, errors


def import_atom_source(
    source: CsvSource, *, user, dry_run: bool, source_name: str, progress
) -> ImportReport:
    """Create (or update) one accession per AtoM row, with its donor; all rows or none.

    Donors are private acquisition donors, never credited funders; an existing donor of the
    same name is linked, not changed. import_records() routes AtoM files here.
    """
    missing = [column for column in REQUIRED if column not in source.columns]
    if missing:
        raise ImportFileError(f"Required AtoM columns missing: {', '.join(missing)}.", line=1)
    unknown = [c for c in source.columns if c and c not in MAPPED and c not in IGNORED]
    if unknown:
        raise ImportFileError(f"Unknown columns for AtoM accessions: {', '.join(unknown)}.", line=1)
    report = ImportReport(
        format=FORMAT_NAME,
        dry_run=dry_run,
        ignored_columns=[c for c in source.columns if c in IGNORED],
    )
    seen: dict[str, int] = {}
    new_donors: set[str] = set()
    with transaction.atomic():
        for source_row in source:
            report.rows += 1
            fields, donor, errors = parse_atom_row(source_row)
            number = _clean(source_row.values).get("accessionNumber", "")
            first = seen.setdefault(number, source_row.number)
            if number and first != source_row.number:
                errors.append(
                    RowError(source_row.number, "accessionNumber", f"is also on row {first}.")
                )
            if errors:
                report.error_count += len(errors)
                report.errors.extend(errors)
                continue
            key = f"atom:{number}"[:300]
            existing = (
                Accession.objects.filter(import_keys__key=key).prefetch_related("donors").first()
            )
            donor_obj = Donor.objects.filter(name=donor["name"]).first() if donor["name"] else None
            if donor["name"] and donor_obj is None:
                new_donors.add(donor["name"])
            if existing is None:
                action, changes = CREATE, ()
            else:
                changes = tuple(f for f in COMPARED if getattr(existing, f) != fields[f])
                if donor["name"] and donor["name"] not in {d.name for d in existing.donors.all()}:
                    changes += ("donors",)
                action = UPDATE if changes else UNCHANGED
            accession_number = existing.number if existing else None
            if not dry_run and report.ok and action != UNCHANGED:
                if donor["name"] and donor_obj is None:
                    donor_obj = Donor.objects.create(is_funder=False, **donor)
                if existing is None:
                    created = create_accession(
                        user=user, donors=[donor_obj] if donor_obj else [], **fields
                    )
                    ImportKey.objects.create(key=key, accession=created)
                    accession_number = created.number
                else:
                    for name in COMPARED:
                        setattr(existing, name, fields[name])
                    existing.full_clean()
                    existing.save()
                    if donor_obj:
                        existing.donors.add(donor_obj)
            report.counts[action] += 1
            report.outcomes.append(
                RowOutcome(source_row.number, action, None, changes, accession_number or "")
            )
            if progress is not None:
                progress(report.rows)
        if not report.ok or dry_run:
            transaction.set_rollback(True)
    if report.rows == 0:
        raise ImportFileError("The file has a header but no rows to import.")
    if new_donors:
        report.new_values = {"donors": sorted(new_donors)[:50]}
    if not report.ok:
        if dry_run:
            return report
        raise ImportRejected(report)
    report.written = not dry_run
    logger.info("AtoM accessions from %s: %s", source_name, dict(report.counts))
    return report
