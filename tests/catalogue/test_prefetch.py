"""A record for its page: every vocabulary list read in one query, as the ORM would list it."""

import pytest

from accessions.catalogue.prefetch import LISTS, record_for_page
from accessions.models import Agent, Collection, Language, Place, Record, Subject

pytestmark = pytest.mark.django_db


def test_lists_match_what_the_orm_reads_in_the_same_order(
    make_record, funder, django_assert_num_queries
):
    parent = Collection.objects.create(name="Cold War", description="Telegrams")
    record = make_record(
        subjects=[Subject.objects.create(name=n) for n in ("Zeta", "Alpha", "Mu")],
        authors=[Agent.objects.create(name="Kennan", kind="person")],
        people_and_organizations=[Agent.objects.create(name="NATO", kind="organization")],
        places=[Place.objects.create(name="Berlin")],
        collections=[Collection.objects.create(name="Berlin files", parent=parent), parent],
        donors=[funder],
        languages=list(Language.objects.filter(code__in=["ru", "en"])),
    )
    make_record(title="Another", subjects=[Subject.objects.get(name="Mu")])
    with django_assert_num_queries(3):
        loaded = record_for_page(Record.objects.published(), record_id=record.record_id)
    with django_assert_num_queries(0):
        lists = {name: list(getattr(loaded, name).all()) for name, _, _ in LISTS}
        assert loaded.collections.all()[0].parent_id == parent.pk
        assert loaded.donors.all()[0].public_credit == funder.public_credit
        assert loaded.authors.all()[0].kind == "person"
    fresh = Record.objects.get(pk=record.pk)
    for name, values in lists.items():
        assert values == list(getattr(fresh, name).all()), name
    assert [s.name for s in lists["subjects"]] == ["Alpha", "Mu", "Zeta"]


def test_donor_contact_details_are_not_read_for_a_page(make_record, funder):
    record = make_record(donors=[funder])
    donor = record_for_page(Record.objects.all(), pk=record.pk).donors.all()[0]
    assert {"email", "phone", "address", "contact_notes"} <= donor.get_deferred_fields()


def test_no_record_gives_none(db):
    assert record_for_page(Record.objects.published(), record_id=424242) is None
