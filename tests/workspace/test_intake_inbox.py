"""Intake reads, answers and triages requests in the workspace; nobody else sees them."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client

from refuge.accounts.models import Organisation, Role
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.intake.access import access_by_receipt
from refuge.intake.actions.messages import do_requester_message
from refuge.intake.actions.submissions import Submission, do_submit_request
from refuge.intake.models import HelpRequest, IntakeQuestion, RequesterStatus, RequestMessage
from refuge.intake.queries import read_messages
from refuge.intake.uploads import CleanUpload
from refuge.keyring.models import GrantStatus, KeyGrant
from tests.personas import World, log_in, make_member, without_tokens

ANSWERS = {
    "what_happened": "Police came to my flat in Grozny\nand took my phone",
    "where_now": "Dagestan, with a cousin",
    "contact": "Signal, ask for Yura",
    "name": "Юрий Иванов",
    "phone": "+7 916 123-45-67",
    "documents": ["internal_passport", "birth certificate"],
    "languages": ["ru", "ce"],
}
PDF = b"%PDF-1.4\n% a scanned passport, metadata already removed\n%%EOF\n"


def _submit(world: World, answers: dict[str, Any] | None = None, **kwargs: Any) -> Submission:
    options = {"urgency": "now", "language": "en", **kwargs}
    return do_submit_request(organisation=world.north, answers=answers or ANSWERS, **options)


def _client(persona) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    log_in(client, persona)
    return client


def _reads(request: HelpRequest) -> int:
    return AuditEntry.objects.filter(code=AuditEvent.REQUEST_OPENED, object_id=str(request.pk)).count()


# --- the inbox ------------------------------------------------------------------------


def test_intake_and_coordinators_see_open_requests_most_urgent_first(world: World) -> None:
    later = _submit(world, {"what_happened": "not urgent"}, urgency="later").request
    now = _submit(world).request
    for persona in (world.ivan, world.alice):
        page = _client(persona).get("/requests/").content.decode()
        assert page.index(now.reference) < page.index(later.reference)
        assert "I am in danger right now" in page
        assert "badge--emergency" in page
        assert "Awaiting reply" in page


def test_the_inbox_decrypts_nothing(world: World) -> None:
    request = _submit(world).request
    page = _client(world.ivan).get("/requests/").content.decode()
    assert request.reference in page
    assert "Grozny" not in page
    assert "Юрий" not in page
    assert _reads(request) == 0


def test_an_empty_inbox_says_so(world: World) -> None:
    response = _client(world.ivan).get("/requests/")
    assert response.status_code == 200
    assert "No open requests" in response.content.decode()


def test_the_inbox_hints_at_the_same_person_and_marks_plants(world: World) -> None:
    first = _submit(world).request
    second = _submit(world, {"what_happened": "again", "name": "Ivanov Yuriy"}).request
    HelpRequest.objects.filter(pk=first.pk).update(possible_plant=True)
    page = _client(world.ivan).get("/requests/").content.decode()
    assert "Possibly the same person as:" in page
    assert f'href="/requests/{second.pk}/">{second.reference}</a>' in page
    assert f'href="/requests/{first.pk}/">{first.reference}</a>' in page
    assert "Possible plant" in page


def test_declined_and_accepted_requests_leave_the_inbox(world: World) -> None:
    declined = _submit(world).request
    accepted = _submit(world).request
    HelpRequest.objects.filter(pk=declined.pk).update(status=RequesterStatus.DECLINED)
    HelpRequest.objects.filter(pk=accepted.pk).update(status=RequesterStatus.ACCEPTED)
    page = _client(world.alice).get("/requests/").content.decode()
    assert declined.reference not in page
    assert accepted.reference not in page


def test_the_inbox_pages_and_a_bad_page_number_is_not_an_error(world: World) -> None:
    for _ in range(51):
        _submit(world, {"what_happened": "x"})
    client = _client(world.ivan)
    first = client.get("/requests/").content.decode()
    assert "Page 1 of 2" in first
    assert len(re.findall(r'class="intake-reference"', first)) == 50
    for page in ("2", "999", "abc", "-1", "\u0000"):
        assert client.get("/requests/", {"page": page}).status_code == 200


# --- who may see requests -----------------------------------------------------------------


def test_the_requests_link_is_shown_to_intake_and_coordinators_only(world: World) -> None:
    for persona in (world.ivan, world.alice):
        assert 'href="/requests/"' in _client(persona).get("/").content.decode()
    for persona in (world.bob, world.audrey, world.adam):
        assert 'href="/requests/"' not in _client(persona).get("/").content.decode()


def test_roles_without_the_intake_key_get_404_everywhere(world: World) -> None:
    request = _submit(world).request
    for persona in (world.bob, world.audrey, world.adam):
        client = _client(persona)
        assert client.get("/requests/").status_code == 404
        assert client.get(f"/requests/{request.pk}/").status_code == 404
        assert client.post(f"/requests/{request.pk}/reply/", {"body": "hello"}).status_code == 404
        assert client.post(f"/requests/{request.pk}/status/", {"status": "declined"}).status_code == 404
        assert client.post(f"/requests/{request.pk}/plant/", {"suspected": "yes"}).status_code == 404
    request.refresh_from_db()
    assert request.status == RequesterStatus.RECEIVED
    assert not request.possible_plant
    assert not RequestMessage.objects.filter(request=request).exists()


def test_another_organisations_request_looks_exactly_like_a_missing_one(world: World) -> None:
    request = _submit(world, uploads=[CleanUpload(kind="pdf", data=PDF, name="scan.pdf")]).request
    stored = request.files.get()
    charlie = _client(world.charlie)
    assert request.reference not in charlie.get("/requests/").content.decode()
    missing = charlie.get(f"/requests/{uuid.uuid4()}/")
    other = charlie.get(f"/requests/{request.pk}/")
    assert missing.status_code == other.status_code == 404
    assert without_tokens(missing.content) == without_tokens(other.content)
    assert charlie.get(f"/requests/{request.pk}/files/{stored.pk}/").status_code == 404
    assert charlie.post(f"/requests/{request.pk}/reply/", {"body": "hello"}).status_code == 404
    assert not RequestMessage.objects.filter(request=request).exists()
    assert _reads(request) == 0


def test_malformed_ids_are_not_found(world: World) -> None:
    client = _client(world.ivan)
    for path in ("/requests/not-a-uuid/", "/requests/%00/", "/requests/" + "9" * 500 + "/"):
        assert client.get(path).status_code == 404


# --- reading one request ----------------------------------------------------------------


def test_the_request_page_shows_every_answer_and_is_audited(world: World) -> None:
    request = _submit(world).request
    page = _client(world.ivan).get(f"/requests/{request.pk}/").content.decode()
    assert "Police came to my flat in Grozny\nand took my phone" in page
    assert "Dagestan, with a cousin" in page
    assert "Юрий Иванов" in page
    assert '<li dir="auto">Internal passport</li>' in page
    assert '<li dir="auto">birth certificate</li>' in page
    assert '<li dir="auto">Russian</li>' in page and '<li dir="auto">ce</li>' in page
    assert "Document number" in page and "Not answered" in page
    assert _reads(request) == 1


def test_custom_questions_are_labelled_in_the_members_language_and_unknown_answers_still_shown(world: World) -> None:
    question = IntakeQuestion.objects.create(
        organisation=world.north,
        kind="text",
        label_en="Do you have a safe place tonight?",
        label_ru="Есть ли у вас безопасное место на эту ночь?",
    )
    gone = str(uuid.uuid4())
    answers = {**ANSWERS, "custom": {str(question.pk): "At a friend's", gone: "old answer"}, "mystery": {"a": 1}}
    request = _submit(world, answers).request
    client = _client(world.ivan)
    english = client.get(f"/requests/{request.pk}/").content.decode()
    assert "Do you have a safe place tonight?" in english
    assert "At a friend&#x27;s" in english
    assert "A question no longer on the form" in english and "old answer" in english
    assert "mystery" in english and "&quot;a&quot;: 1" in english
    russian = client.get(f"/requests/{request.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Есть ли у вас безопасное место на эту ночь?" in russian


def test_requester_text_is_escaped(world: World) -> None:
    request = _submit(world, {"what_happened": "<script>alert(1)</script>"}).request
    page = _client(world.ivan).get(f"/requests/{request.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_request_page_links_possible_duplicates(world: World) -> None:
    first = _submit(world).request
    second = _submit(world, {"what_happened": "again", "phone": "8 (916) 1234567"}).request
    page = _client(world.alice).get(f"/requests/{second.pk}/").content.decode()
    assert "Possibly the same person" in page
    assert f'href="/requests/{first.pk}/">{first.reference}</a>' in page


def test_a_member_without_the_intake_key_is_told_a_holder_must_approve_it(world: World) -> None:
    iris = make_member(world.north, "iris", Role.INTAKE)
    request = _submit(world).request
    client = _client(iris)
    response = client.get(f"/requests/{request.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "A member who holds it must approve giving it to you" in page
    assert "Grozny" not in page
    reply = client.post(f"/requests/{request.pk}/reply/", {"body": "Are you safe?"})
    assert reply.status_code == 403
    assert not RequestMessage.objects.filter(request=request).exists()
    assert _reads(request) == 0
    # A coordinator's login shares nothing; once a holder approves the grant, the page opens.
    alice = _client(world.alice)
    assert "Grozny" not in client.get(f"/requests/{request.pk}/").content.decode()
    grant = KeyGrant.objects.get(member=iris.user, status=GrantStatus.PENDING)
    assert alice.post(f"/grants/{grant.pk}/approve/").status_code == 302
    assert "Grozny" in client.get(f"/requests/{request.pk}/").content.decode()


def test_a_request_altered_in_the_database_is_reported_not_half_shown(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    request = _submit(world).request
    other = _submit(world, {"what_happened": "someone else entirely"}).request
    # Another row's ciphertext copied over this one: bound to its row, it must not open here.
    HelpRequest.objects.filter(pk=request.pk).update(content=HelpRequest.objects.get(pk=other.pk).content)
    response = _client(world.ivan).get(f"/requests/{request.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "This request could not be decrypted" in page
    assert "someone else entirely" not in page
    assert "may have been tampered with" in caplog.text


# --- replying ------------------------------------------------------------------------------


def test_a_reply_reaches_the_requester_and_the_conversation_names_who_wrote(world: World) -> None:
    submission = _submit(world)
    access = access_by_receipt(submission.receipt)
    do_requester_message(request=access.request, secret=access.secret, body="Are you there?")
    client = _client(world.ivan)
    response = client.post(f"/requests/{submission.request.pk}/reply/", {"body": "Yes. Are you safe tonight?"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Your reply is sent." in page
    assert re.search(r"<strong>Requester</strong>.*Are you there\?", page, re.S)
    assert re.search(r"<strong>ivan</strong>.*Yes. Are you safe tonight\?", page, re.S)
    again = access_by_receipt(submission.receipt)
    assert [shown.text for shown in read_messages(again.request, again.secret)][-1] == "Yes. Are you safe tonight?"
    assert again.request.status == RequesterStatus.REPLIED
    assert not again.request.awaiting_team


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_an_empty_reply_is_refused_next_to_the_field(world: World, body: str) -> None:
    request = _submit(world).request
    response = _client(world.ivan).post(f"/requests/{request.pk}/reply/", {"body": body})
    assert response.status_code == 400
    assert re.search(r'id="id_body_error".*Write a reply first\.', response.content.decode(), re.S)
    assert not RequestMessage.objects.filter(request=request).exists()


def test_a_too_long_reply_is_refused_and_kept_as_typed(world: World) -> None:
    request = _submit(world).request
    body = "Длинный ответ. " * 700  # over 10,000 characters
    response = _client(world.ivan).post(f"/requests/{request.pk}/reply/", {"body": body})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This is too long: at most 10,000 characters." in page
    assert body.strip() in page
    assert not RequestMessage.objects.filter(request=request).exists()


def test_hostile_bodies_get_a_clear_answer_never_a_500(world: World) -> None:
    request = _submit(world).request
    client = _client(world.ivan)
    url = f"/requests/{request.pk}/reply/"
    form = "application/x-www-form-urlencoded"
    invalid_utf8 = client.post(url, b"body=%FF%FE%FD", content_type=form)
    assert invalid_utf8.status_code in {302, 400}
    control = client.post(url, {"body": "hello\x00world"})
    assert control.status_code == 400
    huge = client.post(url, b"body=" + b"a" * 400_000, content_type=form)
    assert huge.status_code == 400
    many_fields = client.post(url, "&".join(f"f{i}=x" for i in range(300)), content_type=form)
    assert many_fields.status_code == 400
    assert client.get(url).status_code == 405
    assert RequestMessage.objects.filter(request=request).count() <= 1


# --- status, decline, plant ------------------------------------------------------------------


def test_the_status_the_requester_sees_changes_and_says_accept_opens_no_case(world: World) -> None:
    request = _submit(world).request
    client = _client(world.alice)
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert "it does not open a case" in page
    assert client.post(f"/requests/{request.pk}/status/", {"status": "reviewing"}).status_code == 302
    request.refresh_from_db()
    assert request.status == RequesterStatus.REVIEWING
    assert AuditEntry.objects.filter(code=AuditEvent.REQUEST_STATUS_CHANGED, object_id=str(request.pk)).exists()


@pytest.mark.parametrize("status", ["", "closed", "ACCEPTED", "x" * 5000])
def test_a_bad_status_is_refused_next_to_the_field(world: World, status: str) -> None:
    request = _submit(world).request
    response = _client(world.alice).post(f"/requests/{request.pk}/status/", {"status": status})
    assert response.status_code == 400
    assert re.search(r'id="id_status_error".*Choose one of the statuses\.', response.content.decode(), re.S)
    request.refresh_from_db()
    assert request.status == RequesterStatus.RECEIVED


def test_declining_sends_a_kind_message_and_the_request_leaves_the_inbox(world: World) -> None:
    submission = _submit(world)
    client = _client(world.ivan)
    page = client.get(f"/requests/{submission.request.pk}/").content.decode()
    assert "Thank you for trusting us with your request." in page
    kind = "Thank you for writing to us. We are not able to help, and we are sorry."
    response = client.post(f"/requests/{submission.request.pk}/decline/", {"message": kind})
    assert response.status_code == 302
    access = access_by_receipt(submission.receipt)
    assert access.request.status == RequesterStatus.DECLINED
    assert read_messages(access.request, access.secret)[-1].text == kind
    assert submission.request.reference not in client.get("/requests/").content.decode()


def test_declining_without_a_message_changes_nothing(world: World) -> None:
    request = _submit(world).request
    response = _client(world.ivan).post(f"/requests/{request.pk}/decline/", {"message": " "})
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'id="id_message_error".*Write a message to the requester first\.', page, re.S)
    assert '<details class="confirm" open>' in page
    request.refresh_from_db()
    assert request.status == RequesterStatus.RECEIVED
    assert not RequestMessage.objects.filter(request=request).exists()


def test_a_request_is_marked_and_unmarked_as_a_possible_plant(world: World) -> None:
    request = _submit(world).request
    client = _client(world.ivan)
    assert client.post(f"/requests/{request.pk}/plant/", {"suspected": "yes"}).status_code == 302
    request.refresh_from_db()
    assert request.possible_plant
    assert "Remove the mark" in client.get(f"/requests/{request.pk}/").content.decode()
    assert client.post(f"/requests/{request.pk}/plant/", {"suspected": "no"}).status_code == 302
    request.refresh_from_db()
    assert not request.possible_plant
    assert AuditEntry.objects.filter(code=AuditEvent.REQUEST_MARKED_PLANT, object_id=str(request.pk)).count() == 2


@pytest.mark.parametrize("value", ["", "maybe", "YES"])
def test_a_bad_plant_value_changes_nothing(world: World, value: str) -> None:
    request = _submit(world).request
    response = _client(world.ivan).post(f"/requests/{request.pk}/plant/", {"suspected": value})
    assert response.status_code == 400
    assert "This action is not allowed." in response.content.decode()
    request.refresh_from_db()
    assert not request.possible_plant


# --- files -----------------------------------------------------------------------------------


def test_a_file_downloads_decrypted_with_safe_headers_and_is_audited(world: World) -> None:
    upload = CleanUpload(kind="pdf", data=PDF, name="Yuri passport.pdf", removed=("author",))
    request = _submit(world, uploads=[upload]).request
    stored = request.files.get()
    client = _client(world.ivan)
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert f'href="/requests/{request.pk}/files/{stored.pk}/"><bdi>Yuri passport.pdf</bdi></a>' in page
    assert "author name" in page
    response = client.get(f"/requests/{request.pk}/files/{stored.pk}/")
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    # The requester's own file name (which may carry their name) stays off the staff computer.
    assert "Yuri" not in response["Content-Disposition"]
    assert request.reference in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert "sandbox" in response["Content-Security-Policy"]
    assert _reads(request) == 2


def test_a_file_of_another_request_is_not_found_through_this_one(world: World) -> None:
    with_file = _submit(world, uploads=[CleanUpload(kind="png", data=b"\x89PNG fake", name="a.png")]).request
    other = _submit(world).request
    stored = with_file.files.get()
    client = _client(world.ivan)
    assert client.get(f"/requests/{other.pk}/files/{stored.pk}/").status_code == 404
    assert client.get(f"/requests/{with_file.pk}/files/{uuid.uuid4()}/").status_code == 404
    assert client.get(f"/requests/{with_file.pk}/files/not-a-uuid/").status_code == 404


# --- organisation settings --------------------------------------------------------------------


def test_a_coordinator_sets_the_notices_mailbox_and_the_log_keeps_no_address(world: World) -> None:
    client = _client(world.alice)
    page = client.get("/organisation/").content.decode()
    assert "no mail server set up" in page
    response = client.post("/organisation/", {"email": " intake@north.example "})
    assert response.status_code == 302
    assert Organisation.objects.get(pk=world.north.pk).notification_email == "intake@north.example"
    entry = AuditEntry.objects.get(code=AuditEvent.ORGANISATION_SETTINGS_CHANGED)
    assert entry.object_id == str(world.north.pk)
    assert "intake@" not in str(entry.__dict__)
    assert 'value="intake@north.example"' in client.get("/organisation/").content.decode()
    assert client.post("/organisation/", {"email": ""}).status_code == 302
    assert Organisation.objects.get(pk=world.north.pk).notification_email == ""


@pytest.mark.parametrize("email", ["not an address", "a@b", "x" * 300 + "@example.org", "a@example.org\nBcc: b@c.d"])
def test_a_bad_mailbox_is_refused_next_to_the_field_and_kept(world: World, email: str) -> None:
    response = _client(world.alice).post("/organisation/", {"email": email})
    assert response.status_code == 400
    assert 'id="id_email_error"' in response.content.decode()
    assert Organisation.objects.get(pk=world.north.pk).notification_email == ""
    assert not AuditEntry.objects.filter(code=AuditEvent.ORGANISATION_SETTINGS_CHANGED).exists()


def test_only_coordinators_see_organisation_settings(world: World) -> None:
    assert 'href="/organisation/"' in _client(world.alice).get("/").content.decode()
    for persona in (world.ivan, world.bob, world.audrey, world.adam):
        client = _client(persona)
        assert 'href="/organisation/"' not in client.get("/").content.decode()
        assert client.get("/organisation/").status_code == 404
        assert client.post("/organisation/", {"email": "evil@example.org"}).status_code == 404
    assert Organisation.objects.get(pk=world.north.pk).notification_email == ""
    # Charlie sets his own organisation's mailbox, never north's.
    _client(world.charlie).post("/organisation/", {"email": "south@example.org"})
    assert Organisation.objects.get(pk=world.north.pk).notification_email == ""
    assert Organisation.objects.get(pk=world.south.pk).notification_email == "south@example.org"
