"""Routing precedence: donor, collection, archive, rights statement, its address, default."""

import pytest
from django.db import IntegrityError

from accessions.inquiries.routing import route_for_record
from accessions.models import Collection, Donor, Repository, RightsStatement, RoutingRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(make_record, funder):
    archive = Repository.objects.create(name="Archive of Foreign Policy")
    collection = Collection.objects.create(name="Arms Control")
    record = make_record(status="published", donors=[funder], original_archive=archive)
    record.collections.add(collection)
    return record


def rule(name, recipients, **criterion):
    return RoutingRule.objects.create(name=name, recipients=recipients, **criterion)


def all_rules(record):
    return {
        "donor": rule("Funder desk", "funder@example.org", donor=record.donors.get()),
        "collection": rule("Arms desk", "arms@example.org", collection=record.collections.get()),
        "original_archive": rule(
            "Archive desk", "archive@example.org", original_archive=record.original_archive
        ),
        "rights_statement": rule(
            "Statement desk", "statement@example.org", rights_statement=record.rights
        ),
    }


def test_donor_rule_wins_over_every_other_kind(record):
    rules = all_rules(record)
    route = route_for_record(record)
    assert route.recipients == ["funder@example.org"]
    assert route.rule == rules["donor"]
    assert "donor “Example Foundation”" in route.reason
    assert "takes precedence over “Arms desk” (collection)" in route.reason


def test_collection_rule_wins_over_archive_and_rights_statement(record):
    rules = all_rules(record)
    rules["donor"].delete()
    route = route_for_record(record)
    assert route.recipients == ["arms@example.org"]
    assert "collection “Arms Control”" in route.reason


def test_original_archive_rule_wins_over_rights_statement_rule(record):
    rules = all_rules(record)
    rules["donor"].delete()
    rules["collection"].delete()
    assert route_for_record(record).recipients == ["archive@example.org"]


def test_rights_statement_rule_wins_over_the_statements_own_address(record):
    rule(
        "Statement desk",
        "statement@example.org, second@example.org",
        rights_statement=record.rights,
    )
    route = route_for_record(record)
    assert route.recipients == ["statement@example.org", "second@example.org"]
    assert "rights statement “Research reuse”" in route.reason


def test_rights_statement_address_is_the_default_when_no_rule_matches(record):
    rule("Other donor", "other@example.org", donor=Donor.objects.create(name="Someone else"))
    route = route_for_record(record)
    assert route.recipients == ["rights@example.org"]
    assert route.rule is None
    assert "names its own inquiry address" in route.reason


def test_settings_default_when_no_rule_and_no_statement_address(make_record, settings):
    settings.RIGHTS_INQUIRY_DEFAULT_EMAIL = "fallback@example.org"
    bare = RightsStatement.objects.create(name="Bare", statement="No address here.")
    route = route_for_record(make_record(rights=bare))
    assert route.recipients == ["fallback@example.org"]
    assert "default address" in route.reason


def test_inactive_rule_is_ignored(record):
    donor_rule = all_rules(record)["donor"]
    donor_rule.is_active = False
    donor_rule.save()
    assert route_for_record(record).recipients == ["arms@example.org"]


def test_oldest_rule_wins_between_two_of_the_same_kind(record):
    second_collection = Collection.objects.create(name="Cold War")
    record.collections.add(second_collection)
    rule("First", "first@example.org", collection=record.collections.get(name="Arms Control"))
    rule("Second", "second@example.org", collection=second_collection)
    assert route_for_record(record).recipients == ["first@example.org"]


def test_a_rule_must_match_on_exactly_one_criterion(record):
    with pytest.raises(IntegrityError):
        rule(
            "Ambiguous",
            "x@example.org",
            donor=record.donors.get(),
            collection=record.collections.get(),
        )


def test_a_rule_with_no_criterion_is_refused(db):
    with pytest.raises(IntegrityError):
        rule("Matches nothing", "x@example.org")
