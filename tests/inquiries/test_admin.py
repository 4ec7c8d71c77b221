"""The staff side of rights inquiries: queue, permissions, answering, outbox and routing view."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accessions.inquiries.submission import submit_inquiry
from accessions.models import (
    InquiryEvent,
    OutgoingEmail,
    RecordEvent,
    RightsInquiry,
    RoutingRule,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accessions_rightsinquiry_changelist")


@pytest.fixture
def inquiry(make_record, smtp_server, django_capture_on_commit_callbacks):
    record = make_record(title="Telegram on the test ban")
    with django_capture_on_commit_callbacks(execute=True):
        return submit_inquiry(
            record=record,
            name="Ada Historian",
            email="ada@example.edu",
            organisation="University of Somewhere",
            intended_use="publication",
            message="May I quote the second paragraph?",
            record_url="http://archive.example/document/1/",
            client_ip="192.0.2.7",
        )


def change_url(inquiry):
    return reverse("admin:accessions_rightsinquiry_change", args=[inquiry.pk])


def answer_url(inquiry):
    return reverse("admin:accessions_rightsinquiry_answer", args=[inquiry.pk])


@pytest.fixture
def queue_viewer(staff_without_role):
    """Staff who may see the queue but hold no permission for requesters' details."""
    staff_without_role.user_permissions.add(
        Permission.objects.get(codename="view_rightsinquiry"),
        Permission.objects.get(codename="view_outgoingemail"),
    )
    return staff_without_role


def test_anonymous_is_sent_to_login(client, inquiry):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.parametrize("user_fixture", ["staff_without_role", "cataloguer", "editor"])
def test_staff_without_the_permission_cannot_open_the_queue(client, inquiry, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(inquiry)).status_code == 403


def test_rights_manager_sees_the_queue_with_requesters_details(client, rights_manager, inquiry):
    client.force_login(rights_manager)
    html = client.get(CHANGELIST).content.decode()
    assert inquiry.reference in html
    assert "ada@example.edu" in html
    page = client.get(change_url(inquiry)).content.decode()
    for expected in ["Ada Historian", "ada@example.edu", "University of Somewhere", "192.0.2.7"]:
        assert expected in page
    assert "Answer the requester" in page


def test_superuser_sees_requesters_details(admin_client, inquiry):
    assert "ada@example.edu" in admin_client.get(change_url(inquiry)).content.decode()


def test_staff_without_the_details_permission_see_no_requester_details(
    client, queue_viewer, inquiry
):
    client.force_login(queue_viewer)
    listing = client.get(CHANGELIST)
    assert listing.status_code == 200
    assert inquiry.reference in listing.content.decode()
    page = client.get(change_url(inquiry))
    assert page.status_code == 200
    for secret in ["Ada Historian", "ada@example.edu", "University of Somewhere", "192.0.2.7"]:
        assert secret not in listing.content.decode()
        assert secret not in page.content.decode()
    # Searching by email must not reveal who asked.
    found = client.get(CHANGELIST, {"q": "ada@example.edu"}).content.decode()
    assert inquiry.reference not in found
    # The outbox holds addresses and bodies, so it stays closed to them.
    assert client.get(reverse("admin:accessions_outgoingemail_changelist")).status_code == 403


def test_queue_search_by_reference_and_email(client, rights_manager, inquiry):
    client.force_login(rights_manager)
    assert inquiry.reference in client.get(CHANGELIST, {"q": inquiry.reference}).content.decode()
    assert inquiry.reference in client.get(CHANGELIST, {"q": "ada@example"}).content.decode()
    assert inquiry.reference not in client.get(CHANGELIST, {"q": "nobody@x"}).content.decode()


def test_queue_filters_by_status_and_age(client, rights_manager, inquiry):
    client.force_login(rights_manager)
    assert inquiry.reference in client.get(CHANGELIST, {"status__exact": "new"}).content.decode()
    assert (
        inquiry.reference
        not in client.get(CHANGELIST, {"status__exact": "answered"}).content.decode()
    )
    assert inquiry.reference not in client.get(CHANGELIST, {"age": "7"}).content.decode()
    RightsInquiry.objects.update(created_at=timezone.now() - timedelta(days=8))
    assert inquiry.reference in client.get(CHANGELIST, {"age": "7"}).content.decode()


def test_queue_query_count_does_not_grow_with_inquiries(
    client, rights_manager, inquiry, django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(5):
            submit_inquiry(
                record=inquiry.record,
                name="Someone",
                email=f"person{number}@example.edu",
                intended_use="research",
                message="Hello",
                record_url="http://archive.example/",
            )
    client.force_login(rights_manager)
    client.get(CHANGELIST)  # warm the session and the content types
    # One count fewer than the admin makes by default (the full count beside the search box);
    # PostgreSQL asks its planner's estimate before counting up to the limit.
    with django_assert_num_queries(8 if connection.vendor == "postgresql" else 7):
        response = client.get(CHANGELIST)
    assert response.content.decode().count("RI-") >= 6


def test_status_and_assignee_changes_are_in_the_history(client, rights_manager, inquiry):
    client.force_login(rights_manager)
    response = client.post(
        change_url(inquiry),
        {
            "status": "in_progress",
            "assignee": rights_manager.pk,
            "internal_notes": "Checking the donor agreement.",
            "emails-TOTAL_FORMS": "2",
            "emails-INITIAL_FORMS": "2",
            "events-TOTAL_FORMS": str(inquiry.events.count()),
            "events-INITIAL_FORMS": str(inquiry.events.count()),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    inquiry.refresh_from_db()
    assert inquiry.status == "in_progress"
    assert inquiry.assignee == rights_manager
    assert inquiry.internal_notes == "Checking the donor agreement."
    status_event = inquiry.events.get(kind=InquiryEvent.Kind.STATUS)
    assert (status_event.from_status, status_event.to_status) == ("new", "in_progress")
    assert status_event.actor == rights_manager
    assert inquiry.events.filter(kind=InquiryEvent.Kind.ASSIGNED).exists()


def test_answering_emails_the_requester_stores_the_reply_and_records_the_outcome(
    client, rights_manager, inquiry, smtp_server, django_capture_on_commit_callbacks
):
    client.force_login(rights_manager)
    assert client.get(answer_url(inquiry)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            answer_url(inquiry),
            {"reply": "Yes, with a credit to the archive.", "outcome": "granted"},
        )
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.status == RightsInquiry.Status.ANSWERED
    assert inquiry.reply == "Yes, with a credit to the archive."
    assert inquiry.answered_by == rights_manager
    reply = smtp_server.received[-1]
    assert reply.rcpt_tos == ["ada@example.edu"]
    assert "Yes, with a credit to the archive." in reply.body
    assert inquiry.reference in reply.message["Subject"]
    assert inquiry.emails.get(kind=OutgoingEmail.Kind.REPLY).status == "sent"
    answered = inquiry.events.get(kind=InquiryEvent.Kind.ANSWERED)
    assert (answered.from_status, answered.to_status) == ("new", "answered")
    outcome = RecordEvent.objects.get(record=inquiry.record, action="rights permission granted")
    assert inquiry.reference in outcome.note
    assert "ada@example.edu" not in outcome.note and "Ada" not in outcome.note


def test_an_empty_answer_is_refused_and_nothing_is_sent(
    client, rights_manager, inquiry, smtp_server
):
    client.force_login(rights_manager)
    response = client.post(answer_url(inquiry), {"reply": "", "outcome": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    inquiry.refresh_from_db()
    assert inquiry.status == "new"
    assert len(smtp_server.received) == 2


def test_staff_without_the_answer_permission_cannot_answer(client, queue_viewer, inquiry):
    client.force_login(queue_viewer)
    assert client.post(answer_url(inquiry), {"reply": "Hi"}).status_code == 403
    assert RightsInquiry.objects.get().status == "new"


def test_outbox_shows_failures_and_resend_delivers_them(
    client, rights_manager, make_record, smtp_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = submit_inquiry(
            record=make_record(),
            name="Ada",
            email="ada@example.edu",
            intended_use="research",
            message="Hello",
            record_url="http://archive.example/",
        )
    client.force_login(rights_manager)
    outbox = reverse("admin:accessions_outgoingemail_changelist")
    html = client.get(outbox, {"status__exact": "pending"}).content.decode()
    assert "Connection refused" in html or "Errno" in html
    queue = client.get(CHANGELIST).content.decode()
    assert f"?q={inquiry.reference}" in queue
    smtp_down.start()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            outbox,
            {
                "action": "resend",
                "_selected_action": list(inquiry.emails.values_list("pk", flat=True)),
            },
        )
    assert response.status_code == 302
    assert set(inquiry.emails.values_list("status", flat=True)) == {"sent"}
    assert len(smtp_down.received) == 2


def test_routing_explanation_shows_where_and_why(client, rights_manager, make_record, funder):
    record = make_record(donors=[funder], status="draft")
    RoutingRule.objects.create(name="Funder desk", donor=funder, recipients="funder@example.org")
    RoutingRule.objects.create(
        name="Statement desk", rights_statement=record.rights, recipients="s@example.org"
    )
    client.force_login(rights_manager)
    url = reverse("admin:accessions_routingrule_explain")
    html = client.get(url, {"record_id": record.record_id}).content.decode()
    assert "funder@example.org" in html
    assert "Routing rule “Funder desk” matches the record&#x27;s donor" in html
    assert "No, outranked" in html
    assert client.get(url, {"record_id": "abc"}).status_code == 400
    assert client.get(url, {"record_id": "999999"}).status_code == 400


def test_routing_rules_are_for_rights_managers(client, cataloguer, rights_manager):
    url = reverse("admin:accessions_routingrule_changelist")
    client.force_login(cataloguer)
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:accessions_routingrule_explain")).status_code == 403
    client.force_login(rights_manager)
    assert "Where would an inquiry go?" in client.get(url).content.decode()


def test_rule_admin_refuses_a_rule_with_two_criteria(client, rights_manager, funder):
    from accessions.models import Collection

    collection = Collection.objects.create(name="Arms Control")
    client.force_login(rights_manager)
    response = client.post(
        reverse("admin:accessions_routingrule_add"),
        {
            "name": "Ambiguous",
            "recipients": "x@example.org",
            "is_active": "on",
            "donor": funder.pk,
            "collection": collection.pk,
        },
    )
    assert response.status_code == 200
    assert "Choose exactly one of donor, collection" in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_rule_admin_refuses_an_invalid_recipient(client, rights_manager, funder):
    client.force_login(rights_manager)
    response = client.post(
        reverse("admin:accessions_routingrule_add"),
        {"name": "Bad", "recipients": "ok@example.org, not an address", "donor": funder.pk},
    )
    assert "“not an address” is not a valid email address." in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_bulk_actions_assign_and_close_with_history(client, rights_manager, inquiry):
    client.force_login(rights_manager)
    for action in ["assign_to_me", "mark_closed"]:
        response = client.post(CHANGELIST, {"action": action, "_selected_action": [inquiry.pk]})
        assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.assignee == rights_manager
    assert inquiry.status == RightsInquiry.Status.CLOSED
    kinds = list(inquiry.events.values_list("kind", flat=True))
    assert InquiryEvent.Kind.ASSIGNED in kinds and InquiryEvent.Kind.STATUS in kinds


def test_queue_viewers_see_no_answer_button_or_actions(client, queue_viewer, inquiry):
    client.force_login(queue_viewer)
    assert "Answer the requester" not in client.get(change_url(inquiry)).content.decode()
    client.post(CHANGELIST, {"action": "mark_closed", "_selected_action": [inquiry.pk]})
    assert RightsInquiry.objects.get().status == "new"
