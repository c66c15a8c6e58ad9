"""Triage under a flood: a member declines the ticked requests of a group with one form (issue #16, item 8)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.intake.access import access_by_receipt
from refuge.intake.actions.submissions import Submission, do_submit_request
from refuge.intake.bulk import DECLINE_MESSAGE, do_bulk_decline
from refuge.intake.models import HelpRequest, RequesterStatus, RequestMessage
from refuge.intake.queries import read_messages
from refuge.keyring.keyring import KeyNotHeld, Keyring
from tests.personas import World, log_in

JUNK = "Help me now, they are coming to my house in Kazan, I need a safe place tonight, serial {n}"
REAL = "My brother told our father about me and he said the family will deal with it after the wedding"


def _submit(world: World, story: str, language: str = "en") -> Submission:
    return do_submit_request(
        organisation=world.north, answers={"what_happened": story}, urgency="now", language=language
    )


def _client(persona) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    log_in(client, persona)
    return client


def _writes() -> tuple[int, int, int]:
    return (
        RequestMessage.objects.count(),
        HelpRequest.objects.filter(status=RequesterStatus.DECLINED).count(),
        AuditEntry.objects.exclude(code=AuditEvent.REQUEST_OPENED).count(),
    )


def test_a_large_group_is_declined_with_one_form_and_each_requester_sees_a_single_decline(world: World) -> None:
    junk = [_submit(world, JUNK.format(n=n), language="ru" if n % 2 else "en") for n in range(6)]
    real = _submit(world, REAL)
    client = _client(world.ivan)
    page = client.get("/requests/", {"show": "groups"}).content.decode()
    # The flood's large group starts ticked; the request that stands apart is not offered.
    for sent in junk:
        assert re.search(rf'name="requests" value="{sent.request.pk}" id="[^"]+" checked', page)
    assert f'value="{real.request.pk}"' not in page
    response = client.post(
        "/requests/decline/",
        {"requests": [str(s.request.pk) for s in junk], "message": "", "confirm": "on", "show": "groups"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/requests/?show=groups"
    assert "6 requests are declined" in client.get(response["Location"]).content.decode()
    for n, sent in enumerate(junk):
        # The requester opens the request with the receipt: the status and the kind message of a single decline.
        opened = access_by_receipt(sent.receipt)
        assert opened.request.status == RequesterStatus.DECLINED
        [message] = read_messages(opened.request, opened.secret)
        assert not message.message.from_requester
        assert message.text.startswith("Спасибо" if n % 2 else str(DECLINE_MESSAGE)[:20])
        codes = set(AuditEntry.objects.filter(object_id=str(sent.request.pk)).values_list("code", flat=True))
        assert {AuditEvent.REQUEST_REPLIED, AuditEvent.REQUEST_STATUS_CHANGED} <= codes
    assert AuditEntry.objects.filter(code=AuditEvent.REQUESTS_BULK_DECLINED, actor_id=world.ivan.user.pk).count() == 1
    assert HelpRequest.objects.get(pk=real.request.pk).status == RequesterStatus.RECEIVED
    assert real.request.reference in client.get("/requests/").content.decode()


def test_a_typed_message_goes_to_every_ticked_requester(world: World) -> None:
    sent = [_submit(world, JUNK.format(n=n)) for n in range(2)]
    client = _client(world.alice)
    ids = [str(s.request.pk) for s in sent]
    response = client.post("/requests/decline/", {"requests": ids, "message": "We cannot help.", "confirm": "on"})
    assert response.status_code == 302
    for one in sent:
        opened = access_by_receipt(one.receipt)
        assert [m.text for m in read_messages(opened.request, opened.secret)] == ["We cannot help."]


def test_nothing_is_declined_when_one_ticked_request_was_accepted_meanwhile(world: World) -> None:
    sent = [_submit(world, JUNK.format(n=n)) for n in range(3)]
    HelpRequest.objects.filter(pk=sent[1].request.pk).update(status=RequesterStatus.ACCEPTED)
    client = _client(world.ivan)
    before = _writes()
    ids = [str(s.request.pk) for s in sent]
    response = client.post("/requests/decline/", {"requests": ids, "confirm": "on", "show": "list"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was declined" in page
    assert sent[1].request.reference in page
    # The boxes stay as they were ticked.
    assert re.search(rf'value="{sent[0].request.pk}" id="[^"]+" checked', page)
    assert _writes() == before


def test_nothing_is_declined_if_one_request_does_not_open_for_the_member(world: World) -> None:
    sent = [_submit(world, JUNK.format(n=n)) for n in range(3)]
    ivan = world.ivan.refresh()
    # The last request's key no longer opens for intake (its wraps were taken away).
    HelpRequest.objects.get(pk=sent[2].request.pk).key.wraps.filter(holder_kind="group").delete()
    before = _writes()
    with pytest.raises(KeyNotHeld):
        do_bulk_decline(
            actor=ivan.user, keyring=Keyring(ivan.user, ivan.private_key), requests=[s.request for s in sent]
        )
    assert _writes() == before


def test_the_confirmation_and_a_ticked_request_are_required(world: World) -> None:
    sent = _submit(world, JUNK.format(n=1))
    client = _client(world.ivan)
    before = _writes()
    unconfirmed = client.post("/requests/decline/", {"requests": [str(sent.request.pk)]})
    assert unconfirmed.status_code == 400
    assert "Tick the confirmation" in unconfirmed.content.decode()
    nothing = client.post("/requests/decline/", {"confirm": "on"})
    assert nothing.status_code == 400
    assert "Tick at least one request" in nothing.content.decode()
    assert _writes() == before


def test_another_organisations_request_among_the_ticked_ones_is_a_404_and_writes_nothing(world: World) -> None:
    own = _submit(world, JUNK.format(n=1))
    foreign = do_submit_request(organisation=world.south, answers={"what_happened": "x"}, urgency="now", language="en")
    client = _client(world.ivan)
    before = _writes()
    response = client.post(
        "/requests/decline/", {"requests": [str(own.request.pk), str(foreign.request.pk)], "confirm": "on"}
    )
    assert response.status_code == 404
    assert _writes() == before


def test_a_caseworker_cannot_bulk_decline(world: World) -> None:
    sent = _submit(world, JUNK.format(n=1))
    response = _client(world.bob).post("/requests/decline/", {"requests": [str(sent.request.pk)], "confirm": "on"})
    assert response.status_code == 404
    assert HelpRequest.objects.get(pk=sent.request.pk).status == RequesterStatus.RECEIVED


_clients: dict[int, Client] = {}


def _ivan(world: World) -> Client:
    key = id(world)
    if key not in _clients:
        _clients.clear()
        _clients[key] = _client(world.ivan)
    return _clients[key]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    requests=st.lists(st.text(max_size=40), max_size=4),
    message=st.text(max_size=60),
    confirm=st.sampled_from(["", "on", "x"]),
    show=st.text(max_size=12),
)
def test_any_bulk_decline_form_answers_without_a_5xx(
    world: World, requests: list[str], message: str, confirm: str, show: str
) -> None:
    response = _ivan(world).post(
        "/requests/decline/", {"requests": requests, "message": message, "confirm": confirm, "show": show}
    )
    assert response.status_code in {302, 400, 404}
