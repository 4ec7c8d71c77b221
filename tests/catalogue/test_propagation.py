"""A change to an object records show moves those records: datestamps and search entries."""

from datetime import UTC, datetime

import pytest
from django.contrib.admin import helpers
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accessions.catalogue.propagation import propagate_change, records_showing
from accessions.catalogue.terms import MergeError, delete_terms, merge_terms, rename_term
from accessions.models import (
    Agent,
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
from accessions.search.models import SearchEntry

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def age(*records):
    """Set the records' updated_at far back, so that any move shows."""
    Record.objects.filter(pk__in=[r.pk for r in records]).update(updated_at=LONG_AGO)


def moved(*records) -> list[bool]:
    changed = dict(Record.objects.values_list("pk", "updated_at"))
    return [changed[record.pk] > LONG_AGO for record in records]


def found(client, query: str) -> list[int]:
    response = client.get(reverse("accessions:search"), {"q": query})
    return [hit.record.record_id for hit in response.context["result"].hits]


def test_each_kind_of_related_object_reaches_the_records_that_show_it(make_record, funder):
    parent = Place.objects.create(name="Europe")
    child = Place.objects.create(name="Berlin", parent=parent)
    author, mentioned = (
        Agent.objects.create(name="Kennan, George F."),
        Agent.objects.create(name="Stalin, Joseph"),
    )
    archive, kind = Repository.objects.create(name="NARA"), DocumentType.objects.create(name="Memo")
    subject, collection = (
        Subject.objects.create(name="Cold War"),
        Collection.objects.create(name="Crisis"),
    )
    first = make_record(
        authors=[author],
        places=[child],
        subjects=[subject],
        original_archive=archive,
        donors=[funder],
    )
    second = make_record(
        people_and_organizations=[mentioned],
        collections=[collection],
        document_type=kind,
        status="draft",
    )
    french = Language.objects.get(code="fr")
    RecordText.objects.create(record=second, body="Texte", language=french)
    other = make_record(title="Unrelated")

    def showing(model, obj, changed=None):
        records = records_showing(model=model, pks=[obj.pk], changed_fields=changed)
        return set(records.values_list("pk", flat=True))

    assert showing(Agent, author) == {first.pk}
    assert showing(Agent, mentioned) == {second.pk}
    assert showing(Place, child) == {first.pk}
    # Moving a place moves the records of the places inside it (their facets nest).
    assert showing(Place, parent, ["parent"]) == {first.pk}
    assert showing(Place, parent, ["name"]) == set()
    assert showing(Subject, subject) == {first.pk}
    assert showing(Collection, collection) == {second.pk}
    assert showing(Repository, archive) == {first.pk}
    assert showing(DocumentType, kind) == {second.pk}
    assert showing(Donor, funder) == {first.pk}
    assert showing(Language, french) == {second.pk}
    assert showing(RightsStatement, first.rights) == {first.pk, second.pk, other.pk}


def test_renaming_a_subject_moves_its_records_and_their_search_entries(client, make_record):
    subject = Subject.objects.create(name="Cold War")
    using = [make_record(title=f"Telegram {n}", subjects=[subject]) for n in range(3)]
    draft = make_record(title="Draft", subjects=[subject], status="draft")
    other = make_record(title="Unrelated")
    age(*using, draft, other)
    assert rename_term(term=subject, name="Détente") == 4
    assert moved(*using, draft, other) == [True, True, True, True, False]
    assert sorted(found(client, "Détente")) == sorted(r.record_id for r in using)
    assert found(client, "Cold War") == []
    # The draft moved (its description changed) but never enters the index.
    assert not SearchEntry.objects.filter(record_id=draft.pk).exists()


def test_donor_contact_details_move_nothing_and_its_credit_does(make_record, funder):
    record = make_record(donors=[funder])
    age(record)
    assert propagate_change(model=Donor, pks=[funder.pk], changed_fields=["email"]) == 0
    assert moved(record) == [False]
    assert propagate_change(model=Donor, pks=[funder.pk], changed_fields=["credit"]) == 1
    assert moved(record) == [True]


def test_propagation_makes_the_same_queries_for_three_records_or_thirty(make_record):
    few, many = Subject.objects.create(name="Few"), Subject.objects.create(name="Many")
    for number in range(30):
        make_record(title=f"Record {number}", subjects=[few] if number < 3 else [many])
    counts = []
    for subject in (few, many):
        with CaptureQueriesContext(connection) as context:
            propagate_change(model=Subject, pks=[subject.pk])
        counts.append(len(context.captured_queries))
    # Savepoints, the published pks, one UPDATE, and the index's fixed set of statements.
    assert counts[0] == counts[1]


def test_deleting_a_subject_moves_its_records_and_drops_it_from_their_entries(client, make_record):
    subject = Subject.objects.create(name="Brinkmanship")
    record = make_record(title="Letter", subjects=[subject])
    age(record)
    assert found(client, "Brinkmanship") == [record.record_id]
    assert delete_terms(queryset=Subject.objects.filter(pk=subject.pk)) == 1
    assert moved(record) == [True]
    assert found(client, "Brinkmanship") == []


def test_merging_duplicate_names_points_their_records_to_the_one_kept(client, make_record):
    kept = Agent.objects.create(name="Kennan, George F.")
    duplicate = Agent.objects.create(name="George Kennan")
    both = make_record(title="Both", authors=[kept, duplicate])
    only_duplicate = make_record(title="Duplicate", people_and_organizations=[duplicate])
    only_kept = make_record(title="Kept", authors=[kept])
    age(both, only_duplicate, only_kept)
    assert merge_terms(keep=kept, merged=[kept, duplicate]) == 2
    assert not Agent.objects.filter(pk=duplicate.pk).exists()
    assert list(both.authors.all()) == [kept]
    assert list(only_duplicate.people_and_organizations.all()) == [kept]
    assert moved(both, only_duplicate, only_kept) == [True, True, False]
    response = client.get(reverse("accessions:search"), {"person": kept.slug})
    assert {hit.record.record_id for hit in response.context["result"].hits} == {
        both.record_id,
        only_duplicate.record_id,
        only_kept.record_id,
    }


def test_a_place_cannot_be_merged_into_a_place_inside_it():
    europe = Place.objects.create(name="Europe")
    berlin = Place.objects.create(name="Berlin", parent=europe)
    with pytest.raises(MergeError):
        merge_terms(keep=berlin, merged=[europe])
    with pytest.raises(MergeError):
        merge_terms(keep=Collection.objects.create(name="A"), merged=[])


def test_saving_a_rights_statement_in_the_admin_moves_every_record_using_it(
    client, make_record, rights_manager
):
    records = [make_record(title=f"Record {n}") for n in range(2)]
    age(*records)
    rights = records[0].rights
    client.force_login(rights_manager)
    url = reverse("admin:accessions_rightsstatement_change", args=[rights.pk])
    response = client.post(
        url,
        {
            "name": rights.name,
            "statement": "Reuse is welcome with credit.",
            "uri": rights.uri,
            "inquiry_contact": rights.inquiry_contact,
            "inquiry_email": rights.inquiry_email,
        },
    )
    assert response.status_code == 302
    assert moved(*records) == [True, True]


def test_saving_without_a_change_moves_nothing(client, make_record, cataloguer):
    subject = Subject.objects.create(name="Cold War")
    record = make_record(subjects=[subject])
    age(record)
    client.force_login(cataloguer)
    url = reverse("admin:accessions_subject_change", args=[subject.pk])
    client.post(url, {"name": "Cold War", "slug": subject.slug})
    assert moved(record) == [False]
    client.post(url, {"name": "The Cold War", "slug": subject.slug})
    assert moved(record) == [True]


def test_the_admin_merges_selected_terms_after_asking_which_to_keep(client, make_record, editor):
    kept = Subject.objects.create(name="Cold War")
    duplicate = Subject.objects.create(name="Cold War, 1945-1991")
    record = make_record(subjects=[duplicate])
    client.force_login(editor)
    url = reverse("admin:accessions_subject_changelist")
    selected = {"action": "merge_selected", helpers.ACTION_CHECKBOX_NAME: [kept.pk, duplicate.pk]}
    page = client.post(url, selected)
    assert page.status_code == 200
    assert "Keep which subject?" in page.content.decode()
    assert "1 record will show the change" in page.content.decode()
    response = client.post(url, {**selected, "keep": kept.pk})
    assert response.status_code == 302
    assert list(record.subjects.all()) == [kept]
    assert not Subject.objects.filter(pk=duplicate.pk).exists()


def test_only_staff_who_may_delete_terms_may_merge_them(client, cataloguer, editor):
    Subject.objects.create(name="A")
    url = reverse("admin:accessions_subject_changelist")
    for user in (cataloguer, editor):
        client.force_login(user)
        form = client.get(url).context["action_form"]
        actions = dict(form.fields["action"].choices) if form else {}
        assert ("merge_selected" in actions) is user.has_perm("accessions.delete_subject")
