"""The staff workspace: who may reach what, workflow buttons, accession links, donor privacy."""

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from accessions.catalogue.guarded_admin import GuardedModelAdmin
from accessions.catalogue.intake import create_accession
from accessions.models import Accession, Donor, Record

pytestmark = pytest.mark.django_db


def test_anonymous_staff_pages_redirect_to_login(client):
    for url in [
        reverse("admin:accessions_record_changelist"),
        reverse("admin:accessions_accession_add"),
        reverse("admin:accessions_donor_changelist"),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    ("role", "url_name", "expected"),
    [
        ("cataloguer", "admin:accessions_record_add", 200),
        ("cataloguer", "admin:accessions_accession_add", 200),
        ("cataloguer", "admin:accessions_rightsstatement_add", 403),
        ("editor", "admin:accessions_record_add", 200),
        ("rights_manager", "admin:accessions_rightsstatement_add", 200),
        ("rights_manager", "admin:accessions_record_add", 403),
        ("rights_manager", "admin:accessions_record_changelist", 200),
        ("staff_without_role", "admin:accessions_record_changelist", 403),
    ],
)
def test_roles_reach_only_their_admin_pages(request, client, role, url_name, expected):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse(url_name)).status_code == expected


def test_cataloguer_creates_a_record_with_the_next_id_and_history(
    client, cataloguer, rights_statement
):
    client.force_login(cataloguer)
    response = client.post(
        reverse("admin:accessions_record_add"),
        {
            "record_id": "",
            "title": "New cable",
            "date_text": "1962-10",
            "summary": "About Cuba.",
            "rights": rights_statement.pk,
            "texts-TOTAL_FORMS": "0",
            "texts-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "scans-TOTAL_FORMS": "0",
            "scans-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = Record.objects.get(title="New cable")
    assert record.record_id > 0
    assert (record.status, record.date_display, record.created_by) == (
        "draft",
        "October 1962",
        cataloguer,
    )
    assert record.events.get().action == "created"


def test_invalid_date_in_the_admin_shows_the_parser_message(client, cataloguer):
    client.force_login(cataloguer)
    response = client.post(
        reverse("admin:accessions_record_add"),
        {
            "title": "Bad date",
            "date_text": "1963-02-30",
            "texts-TOTAL_FORMS": "0",
            "texts-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "scans-TOTAL_FORMS": "0",
            "scans-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "not a real calendar date" in response.content.decode()
    assert not Record.objects.filter(title="Bad date").exists()


def test_cataloguer_cannot_publish_through_the_admin(client, cataloguer, make_record):
    record = make_record(status="in_review")
    client.force_login(cataloguer)
    url = reverse("admin:accessions_record_transition", args=[record.pk, "publish"])
    response = client.post(url, follow=True)
    assert "You do not have permission to publish records" in response.content.decode()
    record.refresh_from_db()
    assert record.status == "in_review"


def test_editor_publishes_through_the_admin_button(client, editor, make_record):
    record = make_record(status="in_review")
    client.force_login(editor)
    change_page = client.get(reverse("admin:accessions_record_change", args=[record.pk]))
    assert 'form="transition-publish"' in change_page.content.decode()
    client.post(reverse("admin:accessions_record_transition", args=[record.pk, "publish"]))
    record.refresh_from_db()
    assert record.status == "published"
    assert record.events.first().actor == editor


def test_transition_view_refuses_get(client, editor, make_record):
    record = make_record(status="in_review")
    client.force_login(editor)
    url = reverse("admin:accessions_record_transition", args=[record.pk, "publish"])
    assert client.get(url).status_code == 405


def test_bulk_publish_reports_incomplete_records_by_name(client, editor, make_record):
    ready = make_record(status="in_review")
    from accessions.catalogue.intake import create_record

    bare = create_record(title="Bare", user=editor)
    client.force_login(editor)
    response = client.post(
        reverse("admin:accessions_record_changelist"),
        {
            "action": "transition_publish",
            "_selected_action": [ready.pk, bare.pk],
        },
        follow=True,
    )
    html = response.content.decode()
    assert f"Record {bare.record_id} cannot be published; it is missing" in html
    ready.refresh_from_db()
    bare.refresh_from_db()
    assert (ready.status, bare.status) == ("published", "draft")


def test_cataloguer_does_not_get_the_publish_action(client, cataloguer, make_record):
    make_record(status="in_review")
    client.force_login(cataloguer)
    html = client.get(reverse("admin:accessions_record_changelist")).content.decode()
    assert "transition_submit" in html
    assert "transition_publish" not in html


def test_admin_search_finds_by_record_id_title_and_accession_number(client, editor, make_record):
    accession = create_accession(title="Box", date_received=date(2026, 1, 5))
    record = make_record(status="draft", title="Findable telegram", accession=accession)
    client.force_login(editor)
    changelist = reverse("admin:accessions_record_changelist")
    for term in [str(record.record_id), "Findable", accession.number]:
        html = client.get(changelist, {"q": term}).content.decode()
        assert "Findable telegram" in html, term


def test_record_from_accession_carries_funders_but_not_private_donors(client, cataloguer):
    funder = Donor.objects.create(name="Funding Body", is_funder=True)
    private = Donor.objects.create(name="Private Giver", is_funder=False)
    accession = create_accession(
        title="Papers of X", date_received=date(2026, 2, 1), donors=[funder, private]
    )
    client.force_login(cataloguer)
    client.post(
        reverse("admin:accessions_accession_changelist"),
        {"action": "start_record", "_selected_action": [accession.pk]},
    )
    record = Record.objects.get(accession=accession)
    assert record.title == "Papers of X"
    assert list(record.donors.all()) == [funder]
    accession_page = client.get(
        reverse("admin:accessions_accession_change", args=[accession.pk])
    ).content.decode()
    assert str(record.record_id) in accession_page
    record_page = client.get(
        reverse("admin:accessions_record_change", args=[record.pk])
    ).content.decode()
    assert accession.number in record_page


def test_accession_number_assigned_in_the_admin(client, cataloguer):
    client.force_login(cataloguer)
    response = client.post(
        reverse("admin:accessions_accession_add"),
        {
            "title": "Donated letters",
            "date_received": "2026-11-02",
            "acquisition_method": "gift",
            "processing_status": "new",
            "processing_priority": "medium",
            "records-TOTAL_FORMS": "0",
            "records-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Accession.objects.get(title="Donated letters").number == "2026-0001"


def test_donor_contact_details_only_for_rights_managers(client, cataloguer, rights_manager, funder):
    url = reverse("admin:accessions_donor_change", args=[funder.pk])
    client.force_login(cataloguer)
    html = client.get(url).content.decode()
    assert funder.email not in html and funder.address not in html
    client.force_login(rights_manager)
    html = client.get(url).content.decode()
    assert funder.email in html and funder.address in html


def test_history_is_visible_on_the_record_admin_page(client, editor, make_record):
    record = make_record(status="published")
    client.force_login(editor)
    html = client.get(reverse("admin:accessions_record_change", args=[record.pk])).content.decode()
    assert "Workflow history" in html and "publish" in html


def test_new_record_form_is_prefilled_from_an_accession(client, cataloguer):
    funder = Donor.objects.create(name="Funding Body", is_funder=True)
    accession = create_accession(
        title="Papers of Y", date_received=date(2026, 2, 1), donors=[funder]
    )
    client.force_login(cataloguer)
    page = client.get(reverse("admin:accessions_accession_change", args=[accession.pk]))
    link = f"{reverse('admin:accessions_record_add')}?accession={accession.pk}"
    assert link in page.content.decode()
    form = client.get(link).context["adminform"].form
    assert form.initial["accession"] == accession.pk
    assert form.initial["title"] == "Papers of Y"
    assert list(form.initial["donors"]) == [funder]


def test_record_id_cannot_be_changed_after_creation(client, editor, make_record):
    record = make_record(status="draft")
    client.force_login(editor)
    form = (
        client.get(reverse("admin:accessions_record_change", args=[record.pk]))
        .context["adminform"]
        .form
    )
    assert "record_id" not in form.fields


@pytest.mark.parametrize("object_id", ["abc", "²", "1.5", "9" * 30])
def test_preview_and_transition_of_an_id_that_is_no_number_are_not_found(client, editor, object_id):
    client.force_login(editor)
    preview = client.get(f"/admin/accessions/record/{object_id}/preview/")
    assert preview.status_code == 404
    transition = client.post(f"/admin/accessions/record/{object_id}/transition/publish/")
    assert transition.status_code == 404


def test_an_accession_parameter_that_is_no_number_is_ignored(client, cataloguer):
    client.force_login(cataloguer)
    for value in ["abc", "²", "9" * 30]:
        response = client.get(reverse("admin:accessions_record_add"), {"accession": value})
        assert response.status_code == 200


def _staff_with(django_user_model, *codenames):
    user = django_user_model.objects.create_user(username="limited", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="accessions", codename__in=codenames)
    )
    return user


@pytest.mark.parametrize(
    "lookup",
    [
        "email__startswith=secret",
        "email=secret-contact@example.net",
        "phone__contains=555",
        "address__icontains=lane",
        "contact_notes__isnull=False",
    ],
)
def test_filters_on_donor_contact_fields_are_refused_without_the_permission(
    client, cataloguer, rights_manager, funder, lookup
):
    url = reverse("admin:accessions_donor_changelist") + "?" + lookup
    client.force_login(cataloguer)
    assert client.get(url).status_code == 400
    client.force_login(rights_manager)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("changelist", "permissions", "lookup"),
    [
        ("routingrule", ["view_routingrule"], "donor__email__startswith=secret"),
        ("routingrule", ["view_routingrule"], "donor__phone__contains=555"),
        ("record", ["view_record"], "donors__email__startswith=secret"),
        ("rightsinquiry", ["view_rightsinquiry"], "email__startswith=a"),
        ("rightsinquiry", ["view_rightsinquiry"], "name__icontains=a"),
        ("rightsinquiry", ["view_rightsinquiry"], "client_ip__startswith=1"),
        ("rightsinquiry", ["view_rightsinquiry"], "emails__body__contains=a"),
    ],
)
def test_filters_reaching_guarded_fields_through_any_admin_are_refused(
    client, django_user_model, changelist, permissions, lookup
):
    client.force_login(_staff_with(django_user_model, *permissions))
    url = reverse(f"admin:accessions_{changelist}_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url + "?" + lookup).status_code == 400


def test_filters_on_unguarded_fields_still_work(client, cataloguer, funder):
    client.force_login(cataloguer)
    url = reverse("admin:accessions_donor_changelist")
    assert client.get(url + "?is_funder__exact=1").status_code == 200
    assert client.get(url + "?name__startswith=Example").status_code == 200


def test_every_admin_of_the_archive_guards_its_lookups():
    archive_admins = {
        model: model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == "accessions"
    }
    assert archive_admins
    assert {
        model.__name__
        for model, model_admin in archive_admins.items()
        if not isinstance(model_admin, GuardedModelAdmin)
    } == set()


@pytest.mark.parametrize("query", ["rights=abc", "rights=%C2%B2", "donors=abc", "donors=1,x"])
def test_add_form_initial_values_that_are_no_keys_are_dropped(client, editor, query):
    client.force_login(editor)
    response = client.get(reverse("admin:accessions_record_add") + "?" + query)
    assert response.status_code == 200


def test_add_form_initial_values_that_are_keys_are_kept(client, editor, rights_statement):
    client.force_login(editor)
    url = reverse("admin:accessions_record_add") + f"?rights={rights_statement.pk}"
    response = client.get(url)
    assert response.context["adminform"].form.initial["rights"] == str(rights_statement.pk)
