"""Decide who receives an inquiry about a record, and say why.

Precedence, most specific first:
1. an active rule on one of the record's donors (funders),
2. an active rule on one of the record's collections,
3. an active rule on the record's original archive,
4. an active rule on the record's rights statement,
5. the rights statement's own inquiry address,
6. settings.RIGHTS_INQUIRY_DEFAULT_EMAIL.
Among several matching rules of the same kind, the oldest rule (lowest id) wins.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q

from accessions.catalogue.models import Record
from accessions.inquiries.models import RoutingRule

KIND_LABELS = {
    "donor": "donor",
    "collection": "collection",
    "original_archive": "original archive",
    "rights_statement": "rights statement",
}


@dataclass(frozen=True)
class Route:
    recipients: list[str]
    reason: str
    rule: RoutingRule | None = None
    outranked: list[RoutingRule] = field(default_factory=list)


def matching_rules(record: Record) -> list[RoutingRule]:
    """Every active rule that matches the record, in precedence order."""
    condition = Q(donor__in=record.donors.all()) | Q(collection__in=record.collections.all())
    if record.original_archive_id:
        condition |= Q(original_archive_id=record.original_archive_id)
    if record.rights_id:
        condition |= Q(rights_statement_id=record.rights_id)
    rules = RoutingRule.objects.filter(condition, is_active=True).select_related(
        "donor", "collection", "original_archive", "rights_statement"
    )
    return sorted(rules, key=lambda rule: (RoutingRule.PRECEDENCE.index(rule.kind), rule.pk))


def route_for_record(record: Record) -> Route:
    """Where an inquiry about this record goes, with the reason in words staff understand."""
    rules = matching_rules(record)
    if rules:
        winner, outranked = rules[0], rules[1:]
        label = KIND_LABELS[winner.kind]
        reason = f"Routing rule “{winner.name}” matches the record's {label} “{winner.criterion}”."
        if outranked:
            reason += " It takes precedence over " + "; ".join(
                f"“{rule.name}” ({KIND_LABELS[rule.kind]})" for rule in outranked
            )
            reason += "."
        return Route(winner.recipient_list, reason, winner, outranked)
    rights = record.rights
    if rights is not None and rights.inquiry_email:
        return Route(
            [rights.inquiry_email],
            f"No routing rule matches; the rights statement “{rights.name}” names its own "
            "inquiry address.",
        )
    return Route(
        [settings.RIGHTS_INQUIRY_DEFAULT_EMAIL],
        "No routing rule matches and the record's rights statement names no inquiry address; "
        "the archive's default address is used.",
    )
