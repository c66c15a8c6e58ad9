"""Merging two requests of one person, both directions, audited, undone until decided (issue #16, item 14)."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.intake.access import access_by_receipt
from refuge.intake.actions.messages import do_requester_message
from refuge.intake.actions.submissions import Submission, do_submit_request
from refuge.intake.merge import do_merge_requests
from refuge.intake.models import HelpRequest, MergedRequest, RequesterStatus
from refuge.intake.queries import inbox, read_messages
from tests.personas import World, log_in

FIRST = {"what_happened": "They took my phone at the checkpoint in Nalchik", "name": "Юрий Иванов"}
SECOND = {"what_happened": "I lost my code. I wrote before about Nalchik and my phone", "name": "Yuriy Ivanov"}


def _submit(world: World, answers: dict[str, str], organisation=None) -> Submission:  # type: ignore[no-untyped-def]
    return do_submit_request(organisation=organisation or world.north, answers=answers, urgency="weeks", language="ru")


def _client(persona) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    log_in(client, persona)
    return client


def _codes(request: HelpRequest) -> list[int]:
    return list(AuditEntry.objects.filter(object_id=str(request.pk)).values_list("code", flat=True))


@pytest.mark.parametrize("direction", ["other_into_this", "into_other"])
def test_either_request_can_be_kept_and_the_kept_page_shows_the_merged_story_and_conversation(
    world: World, direction: str
) -> None:
    first, second = _submit(world, FIRST), _submit(world, SECOND)
    opened = access_by_receipt(second.receipt)
    do_requester_message(request=opened.request, secret=opened.secret, body="Please answer, it is me again")
    client = _client(world.ivan)
    response = client.post(
        f"/requests/{first.request.pk}/merge/", {"reference": second.request.reference, "direction": direction}
    )
    assert response.status_code == 302
    kept, merged = (first, second) if direction == "other_into_this" else (second, first)
    assert MergedRequest.objects.get(request=merged.request).into_id == kept.request.pk
    page = client.get(f"/requests/{kept.request.pk}/").content.decode()
    assert merged.request.reference in page
    # Both stories and the second requester's message, whichever of the two is kept.
    assert "checkpoint in Nalchik" in page and "I lost my code" in page
    assert "Please answer, it is me again" in page
    # The merged one left the inbox; its own page says where it went.
    assert list(inbox(world.north).values_list("pk", flat=True)) == [kept.request.pk]
    assert "This request is merged into another" in client.get(f"/requests/{merged.request.pk}/").content.decode()
    assert AuditEvent.REQUEST_MERGED in _codes(first.request) and AuditEvent.REQUEST_MERGED in _codes(second.request)
    # Each receipt still opens its own request.
    assert access_by_receipt(merged.receipt).request.pk == merged.request.pk


def test_a_message_on_the_merged_request_shows_the_kept_one_awaiting_a_reply(world: World) -> None:
    first, second = _submit(world, FIRST), _submit(world, SECOND)
    HelpRequest.objects.filter(pk__in=[first.request.pk, second.request.pk]).update(awaiting_team=False)
    do_merge_requests(actor=world.ivan.user, request=second.request, into=first.request)
    opened = access_by_receipt(second.receipt)
    do_requester_message(request=opened.request, secret=opened.secret, body="Are you there?")
    assert HelpRequest.objects.get(pk=first.request.pk).awaiting_team


def test_declining_the_kept_request_declines_the_merged_one_with_it(world: World) -> None:
    first, second = _submit(world, FIRST), _submit(world, SECOND)
    do_merge_requests(actor=world.ivan.user, request=second.request, into=first.request)
    client = _client(world.ivan)
    response = client.post(f"/requests/{first.request.pk}/decline/", {"message": "Sorry, we cannot help."})
    assert response.status_code == 302
    opened = access_by_receipt(second.receipt)
    assert opened.request.status == RequesterStatus.DECLINED
    assert [m.text for m in read_messages(opened.request, opened.secret)] == ["Sorry, we cannot help."]


def test_a_merge_is_undone_until_the_requests_are_decided(world: World) -> None:
    first, second = _submit(world, FIRST), _submit(world, SECOND)
    do_merge_requests(actor=world.ivan.user, request=second.request, into=first.request)
    client = _client(world.ivan)
    assert client.post(f"/requests/{second.request.pk}/unmerge/").status_code == 302
    assert not MergedRequest.objects.exists()
    assert AuditEvent.REQUEST_UNMERGED in _codes(first.request)
    assert second.request.pk in set(inbox(world.north).values_list("pk", flat=True))
    # Decided together: final.
    do_merge_requests(actor=world.ivan.user, request=second.request, into=first.request)
    HelpRequest.objects.filter(pk__in=[first.request.pk, second.request.pk]).update(status=RequesterStatus.DECLINED)
    refused = client.post(f"/requests/{second.request.pk}/unmerge/")
    assert refused.status_code == 400
    assert "This merge is final" in refused.content.decode()
    assert MergedRequest.objects.count() == 1


def test_merges_never_chain_and_a_decided_or_foreign_request_is_refused(world: World) -> None:
    a, b, c = _submit(world, FIRST), _submit(world, SECOND), _submit(world, {"what_happened": "third"})
    do_merge_requests(actor=world.ivan.user, request=b.request, into=a.request)
    # a goes into c: b follows it, no chain.
    do_merge_requests(actor=world.ivan.user, request=a.request, into=c.request)
    assert dict(MergedRequest.objects.values_list("request_id", "into_id")) == {
        a.request.pk: c.request.pk,
        b.request.pk: c.request.pk,
    }
    client = _client(world.ivan)
    declined = _submit(world, {"what_happened": "declined"})
    HelpRequest.objects.filter(pk=declined.request.pk).update(status=RequesterStatus.DECLINED)
    foreign = _submit(world, {"what_happened": "south"}, organisation=world.south)
    before = MergedRequest.objects.count(), AuditEntry.objects.filter(code=AuditEvent.REQUEST_MERGED).count()
    for reference, wanted in (
        (declined.request.reference, "already accepted or declined"),
        (foreign.request.reference, "No request of your organisation has this reference"),
        (c.request.reference, "cannot be merged into itself"),
        (a.request.reference, "already merged into"),
    ):
        response = client.post(
            f"/requests/{c.request.pk}/merge/", {"reference": reference, "direction": "other_into_this"}
        )
        assert response.status_code == 400, reference
        assert wanted in response.content.decode(), reference
    assert (MergedRequest.objects.count(), AuditEntry.objects.filter(code=AuditEvent.REQUEST_MERGED).count()) == before


def test_a_caseworker_cannot_merge(world: World) -> None:
    first, second = _submit(world, FIRST), _submit(world, SECOND)
    response = _client(world.bob).post(
        f"/requests/{first.request.pk}/merge/", {"reference": second.request.reference, "direction": "into_other"}
    )
    assert response.status_code == 404
    assert not MergedRequest.objects.exists()


_clients: dict[int, tuple[Client, str]] = {}


def _ivan(world: World) -> tuple[Client, str]:
    key = id(world)
    if key not in _clients:
        _clients.clear()
        _clients[key] = (_client(world.ivan), str(_submit(world, FIRST).request.pk))
    return _clients[key]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reference=st.text(max_size=20), direction=st.text(max_size=20))
def test_any_merge_form_answers_without_a_5xx(world: World, reference: str, direction: str) -> None:
    client, request_id = _ivan(world)
    response = client.post(f"/requests/{request_id}/merge/", {"reference": reference, "direction": direction})
    assert response.status_code in {302, 400}
