"""The public rights-inquiry form: published records only, two emails over real SMTP, bad input."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accessions.models import OutgoingEmail, RightsInquiry

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Ada Historian",
    "email": "ada@example.edu",
    "organisation": "University of Somewhere",
    "intended_use": "publication",
    "document_part": "Page 2, second paragraph",
    "message": "May I quote the second paragraph in a book?",
}


def form_url(record):
    return reverse("accessions:rights_inquiry", args=[record.record_id])


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST the form and run what the view scheduled after its transaction committed."""

    def send(record, data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(form_url(record), data, **extra)

    return send


def test_record_page_links_to_the_inquiry_form(client, make_record):
    record = make_record()
    html = client.get(record.get_absolute_url()).content.decode()
    assert f'href="{form_url(record)}"' in html
    assert "Ask about rights and reuse" in html


def test_form_page_shows_the_record_and_its_rights_statement(
    client, make_record, django_assert_num_queries
):
    record = make_record(title="Telegram on the test ban")
    with django_assert_num_queries(1):
        response = client.get(form_url(record))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Telegram on the test ban" in html
    assert "Reuse for research and education is welcome." in html
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.parametrize("status", ["draft", "in_review", "withdrawn"])
def test_no_form_and_no_inquiry_for_an_unpublished_record(client, post, make_record, status):
    record = make_record(status=status, title="Secret unpublished title")
    response = client.get(form_url(record))
    assert response.status_code == 404
    assert b"Secret unpublished title" not in response.content
    response = post(record, VALID)
    assert response.status_code == 404
    assert RightsInquiry.objects.count() == 0


def test_staff_preview_of_a_draft_has_no_inquiry_link(admin_client, make_record):
    record = make_record(status="draft")
    response = admin_client.get(reverse("admin:accessions_record_preview", args=[record.pk]))
    assert response.status_code == 200
    assert form_url(record) not in response.content.decode()


def test_submission_saves_the_inquiry_and_sends_two_emails(post, make_record, smtp_server):
    record = make_record(title="Telegram on the test ban")
    response = post(record, VALID)
    assert response.status_code == 302
    inquiry = RightsInquiry.objects.get()
    assert re.fullmatch(r"RI-\d{4}-\d{6}", inquiry.reference)
    assert inquiry.status == RightsInquiry.Status.NEW
    assert inquiry.routed_to == "rights@example.org"
    assert inquiry.client_ip == "127.0.0.1"

    routed, acknowledgement = smtp_server.received
    assert routed.rcpt_tos == ["rights@example.org"]
    assert routed.message["Reply-To"] == "Ada Historian <ada@example.edu>"
    assert inquiry.reference in routed.message["Subject"]
    for expected in [
        "Telegram on the test ban",
        f"Record: {record.record_id}",
        f"http://testserver/document/{record.record_id}/",
        "Reuse for research and education is welcome.",
        "May I quote the second paragraph in a book?",
        "Intended use: Publication",
        "Page 2, second paragraph",
    ]:
        assert expected in routed.body, expected

    assert acknowledgement.rcpt_tos == ["ada@example.edu"]
    assert inquiry.reference in acknowledgement.message["Subject"]
    assert inquiry.reference in acknowledgement.body
    assert "What happens next" in acknowledgement.body
    assert set(inquiry.emails.values_list("status", flat=True)) == {"sent"}

    page = response.client.get(response["Location"])
    assert inquiry.reference in page.content.decode()


def test_reference_numbers_count_up(post, make_record, smtp_server):
    record = make_record()
    post(record, VALID)
    post(record, {**VALID, "email": "other@example.edu"})
    first, second = RightsInquiry.objects.order_by("id").values_list("reference", flat=True)
    assert int(second[-6:]) == int(first[-6:]) + 1


def test_routing_rule_recipients_get_the_inquiry(post, make_record, smtp_server, funder):
    from accessions.models import RoutingRule

    RoutingRule.objects.create(
        name="Funder desk", donor=funder, recipients="a@example.org\nb@example.org"
    )
    post(make_record(donors=[funder]), VALID)
    routed = smtp_server.received[0]
    assert routed.rcpt_tos == ["a@example.org", "b@example.org"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Ada\r\nBcc: victim@example.com", "without line breaks"),
        ("organisation", "Org\nSubject: spam", "without line breaks"),
        ("email", "ada@example.edu\nBcc: victim@example.com", "valid email address"),
        ("email", "not-an-address", "valid email address"),
        ("message", "x" * 100_000, "at most 5000 characters"),
        ("name", "", "Please give your name."),
        ("intended_use", "piracy", "Select a valid choice"),
    ],
)
def test_hostile_or_invalid_input_is_refused_and_nothing_is_saved(
    post, make_record, smtp_server, field, value, message
):
    response = post(make_record(), {**VALID, field: value})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "nothing has been sent yet" in html
    assert RightsInquiry.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0
    assert smtp_server.received == []


def test_text_that_is_not_utf8_is_refused_with_a_message(
    client, make_record, smtp_server, django_capture_on_commit_callbacks
):
    record = make_record()
    body = b"name=Ada&email=ada%40example.edu&intended_use=research&message=Caf%E9+au+lait+%FF%FE"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            form_url(record), body, content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert RightsInquiry.objects.count() == 0
    assert smtp_server.received == []


def test_the_users_text_is_kept_in_the_form_after_an_error(post, make_record):
    response = post(make_record(), {**VALID, "email": "broken"})
    assert "May I quote the second paragraph in a book?" in response.content.decode()


def test_the_form_requires_a_csrf_token(make_record):
    record = make_record()
    response = Client(enforce_csrf_checks=True).post(form_url(record), VALID)
    assert response.status_code == 403
    assert RightsInquiry.objects.count() == 0


def test_honeypot_filled_looks_like_success_but_keeps_nothing(post, make_record, smtp_server):
    response = post(make_record(), {**VALID, "website": "http://spam.example"})
    assert response.status_code == 302
    assert RightsInquiry.objects.count() == 0
    assert smtp_server.received == []


def test_rate_limit_per_email_shows_a_polite_message_and_keeps_the_text(
    post, make_record, smtp_server, settings
):
    settings.RIGHTS_INQUIRY_LIMIT_PER_EMAIL = 2
    record = make_record()
    assert post(record, VALID).status_code == 302
    assert post(record, {**VALID, "email": "ADA@example.edu"}).status_code == 302
    response = post(record, {**VALID, "message": "A third question."})
    assert response.status_code == 429
    html = response.content.decode()
    assert "we already have several recent questions from you" in html
    assert "A third question." in html
    assert RightsInquiry.objects.count() == 2
    assert len(smtp_server.received) == 4


def test_rate_limit_per_client_address(post, make_record, smtp_server, settings):
    settings.RIGHTS_INQUIRY_LIMIT_PER_IP = 1
    record = make_record()
    assert post(record, VALID).status_code == 302
    response = post(record, {**VALID, "email": "someone-else@example.edu"})
    assert response.status_code == 429
    other_client = post(record, {**VALID, "email": "third@example.edu"}, REMOTE_ADDR="10.0.0.9")
    assert other_client.status_code == 302


def test_rate_limit_counts_only_the_window(post, make_record, smtp_server, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.RIGHTS_INQUIRY_LIMIT_PER_EMAIL = 1
    record = make_record()
    post(record, VALID)
    RightsInquiry.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert post(record, VALID).status_code == 302


def test_a_name_crafted_as_an_address_list_stays_one_reply_to_address(
    post, make_record, smtp_server
):
    name = 'Ada "Evil" <evil@example.com>, victim@example.com'
    assert post(make_record(), {**VALID, "name": name}).status_code == 302
    routed = smtp_server.received[0]
    reply_to = routed.message["Reply-To"]
    assert [address.addr_spec for address in reply_to.addresses] == ["ada@example.edu"]
    assert routed.rcpt_tos == ["rights@example.org"]


def test_non_latin_names_and_messages_arrive_intact(post, make_record, smtp_server):
    data = {**VALID, "name": "Светлана Саврaнская", "message": "Можно ли цитировать? 引用"}
    assert post(make_record(), data).status_code == 302
    routed, acknowledgement = smtp_server.received
    assert routed.message["Reply-To"].addresses[0].display_name == "Светлана Саврaнская"
    assert "Можно ли цитировать? 引用" in routed.body
    assert "Dear Светлана Саврaнская" in acknowledgement.body


def test_a_staff_title_with_line_breaks_cannot_break_the_subject(post, make_record, smtp_server):
    record = make_record(title="Telegram\r\nBcc: victim@example.com")
    assert post(record, VALID).status_code == 302
    routed = smtp_server.received[0]
    assert "Telegram Bcc: victim@example.com" in routed.message["Subject"]
    assert routed.message["Bcc"] is None
    assert routed.rcpt_tos == ["rights@example.org"]


@pytest.mark.parametrize(
    "name",
    [
        "Ада, <evil@example.com>",
        "Évelyne <evil@example.com>, victim@example.com",
        '"Ну" <evil@example.com>',
    ],
)
def test_a_non_ascii_name_crafted_as_an_address_list_stays_one_reply_to_address(
    post, make_record, smtp_server, name
):
    assert post(make_record(), {**VALID, "name": name}).status_code == 302
    routed = smtp_server.received[0]
    (address,) = routed.message["Reply-To"].addresses
    assert address.addr_spec == "ada@example.edu"
    # Folding a long encoded name may add a space between its words; no more than that.
    assert address.display_name.replace(" ", "") == name.replace(" ", "")
    assert routed.message["Bcc"] is None
    assert routed.rcpt_tos == ["rights@example.org"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("user@exämple.org", "user@xn--exmple-cua.org"),
        ("user@BÜCHER.example", "user@xn--bcher-kva.example"),
        ("user@xn--exmple-cua.org", "user@xn--exmple-cua.org"),
    ],
)
def test_an_internationalised_email_domain_is_accepted_in_its_ascii_form(
    post, make_record, smtp_server, typed, stored
):
    assert post(make_record(), {**VALID, "email": typed}).status_code == 302
    assert RightsInquiry.objects.get().email == stored
    routed, acknowledgement = smtp_server.received
    assert routed.message["Reply-To"].addresses[0].addr_spec == stored
    assert acknowledgement.rcpt_tos == [stored]


def test_a_non_ascii_local_part_is_refused_with_a_message(post, make_record, smtp_server):
    response = post(make_record(), {**VALID, "email": "jürgen@example.org"})
    assert response.status_code == 400
    assert "Please give a valid email address" in response.content.decode()
    assert not RightsInquiry.objects.exists()
