"""Attaching a new request to an existing case: the team reads and answers it there (issue #16, item 14).

Key path (docs/keys.md, "A request in a case"): the attaching member seals the new request's key to
each member of the team, intake's wrap goes, the requester's and recovery's stay.
"""

from __future__ import annotations

import io
import re

from django.test import Client
from PIL import Image

from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.actions.team import do_add_team_member, do_remove_team_member
from refuge.cases.attach import do_attach_request
from refuge.cases.models import Case, CaseEvent, Priority
from refuge.intake.access import access_by_receipt
from refuge.intake.actions.messages import do_requester_message
from refuge.intake.actions.submissions import Submission, do_submit_request
from refuge.intake.merge import do_merge_requests
from refuge.intake.models import HelpRequest, MergedRequest, RequesterStatus
from refuge.intake.queries import read_messages
from refuge.intake.uploads import CleanUpload
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import HolderKind, KeyWrap
from tests.personas import Persona, World, log_in


def ring(persona: Persona) -> Keyring:
    return Keyring(persona.refresh().user, persona.private_key)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (20, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _submit(world: World, story: str, name: str = "Юрий Иванов", **kwargs) -> Submission:  # type: ignore[no-untyped-def]
    return do_submit_request(
        organisation=world.north,
        answers={"what_happened": story, "name": name},
        urgency="weeks",
        language="ru",
        **kwargs,
    )


def _case(world: World) -> tuple[Submission, Case]:
    first = _submit(world, "They took my phone at the checkpoint")
    do_accept_request(
        actor=world.ivan.user,
        keyring=ring(world.ivan),
        request=first.request,
        team=[world.ivan.user, world.bob.user],
        priority=Priority.URGENT,
    )
    return first, Case.objects.select_related("key", "request__key").get(request=first.request)


def _client(persona: Persona) -> Client:
    client = Client()
    log_in(client, persona)
    return client


def _holders(request: HelpRequest) -> set[tuple[str, object]]:
    key = HelpRequest.objects.select_related("key").get(pk=request.pk).key
    return set(KeyWrap.objects.filter(key=key).values_list("holder_kind", "holder_id"))


def test_a_team_member_attaches_a_new_request_and_the_team_reads_and_answers_it_on_the_case(world: World) -> None:
    _first, case = _case(world)
    new = _submit(world, "I lost my code, I wrote before", uploads=[CleanUpload(kind="png", data=_png(), name="p.png")])
    ivan = _client(world.ivan)
    response = ivan.post(f"/requests/{new.request.pk}/attach/", {"case": case.reference.lower()})
    assert response.status_code == 302
    # The key path: sealed to each team member, intake let go, the requester and recovery kept.
    kinds = {kind for kind, _holder in _holders(new.request)}
    users = {holder for kind, holder in _holders(new.request) if kind == HolderKind.USER}
    assert users == {world.ivan.user.pk, world.bob.user.pk}
    assert HolderKind.GROUP not in kinds
    assert {HolderKind.REQUESTER, HolderKind.RECOVERY} <= kinds
    # The requester's receipt still opens it; they see "Accepted"; what they write reaches the case.
    opened = access_by_receipt(new.receipt)
    assert opened.request.status == RequesterStatus.ACCEPTED
    do_requester_message(request=opened.request, secret=opened.secret, body="Thank you, I am still in Nalchik")
    bob = _client(world.bob)
    page = bob.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="attached"' in page
    assert new.request.reference in page
    assert "I lost my code, I wrote before" in page
    assert "Thank you, I am still in Nalchik" in page
    # Its files download through the case, for the team.
    [file_id] = re.findall(rf'href="/cases/{case.pk}/messages/files/([0-9a-f-]+)/"', page)[-1:]
    download = bob.get(f"/cases/{case.pk}/messages/files/{file_id}/")
    assert download.status_code == 200 and download.content == _png()
    # Bob answers from the case; the requester reads it with the new request's own receipt.
    answered = bob.post(
        f"/cases/{case.pk}/attached/reply/", {"attached-request": str(new.request.pk), "attached-body": "We see you."}
    )
    assert answered.status_code == 302
    opened = access_by_receipt(new.receipt)
    assert [m.text for m in read_messages(opened.request, opened.secret)][-1] == "We see you."
    # Audited: on the case and on the request; the timeline says it.
    assert AuditEntry.objects.filter(code=AuditEvent.CASE_REQUEST_ATTACHED, object_id=str(case.pk)).count() == 1
    assert AuditEntry.objects.filter(code=AuditEvent.REQUEST_MERGED, object_id=str(new.request.pk)).count() == 1
    assert CaseEvent.objects.filter(case=case, kind="attached").count() == 1
    assert "was attached to the case" in bob.get(f"/cases/{case.pk}/").content.decode()
    # The new request left the inbox.
    assert new.request.reference not in ivan.get("/requests/").content.decode()


def test_the_team_keys_follow_the_attached_request_when_the_team_changes(world: World) -> None:
    _first, case = _case(world)
    new = _submit(world, "again")
    do_attach_request(actor=world.ivan.user, keyring=ring(world.ivan), case=case, request=new.request)
    do_add_team_member(actor=world.ivan.user, keyring=ring(world.ivan), case=case, member=world.bella.user)
    assert world.bella.user.pk in {holder for _kind, holder in _holders(new.request)}
    do_remove_team_member(actor=world.ivan.user, keyring=ring(world.ivan), case=case, member=world.bob.user)
    assert world.bob.user.pk not in {holder for _kind, holder in _holders(new.request)}
    # Rotated: the receipt still opens it.
    assert access_by_receipt(new.receipt).request.pk == new.request.pk


def test_the_duplicate_hint_offers_the_case_only_to_its_team(world: World) -> None:
    _first, case = _case(world)
    new = _submit(world, "a second request from the same name")
    button = f"Attach this request to case {case.reference}"
    assert button in _client(world.ivan).get(f"/requests/{new.request.pk}/").content.decode()
    # Alice, a coordinator off the team, sees the case but may not attach to it.
    alice = _client(world.alice)
    assert button not in alice.get(f"/requests/{new.request.pk}/").content.decode()
    before = AuditEntry.objects.exclude(code=AuditEvent.REQUEST_OPENED).count()
    refused = alice.post(f"/requests/{new.request.pk}/attach/", {"case": case.reference})
    assert refused.status_code == 400
    assert "None of the cases whose team you are on has this reference" in refused.content.decode()
    assert not MergedRequest.objects.exists()
    assert AuditEntry.objects.exclude(code=AuditEvent.REQUEST_OPENED).count() == before
    assert HelpRequest.objects.get(pk=new.request.pk).status == RequesterStatus.RECEIVED


def test_an_attached_request_says_which_case_it_is_in(world: World) -> None:
    _first, case = _case(world)
    new = _submit(world, "again")
    do_attach_request(actor=world.ivan.user, keyring=ring(world.ivan), case=case, request=new.request)
    page = _client(world.ivan).get(f"/requests/{new.request.pk}/").content.decode()
    assert f'It was accepted into case <a href="/cases/{case.pk}/">{case.reference}</a>' in page


def test_accepting_a_request_brings_the_requests_merged_into_it_into_the_case(world: World) -> None:
    first, second = _submit(world, "first"), _submit(world, "second, receipt lost")
    do_merge_requests(actor=world.ivan.user, request=second.request, into=first.request)
    do_accept_request(
        actor=world.ivan.user, keyring=ring(world.ivan), request=first.request, team=[world.bob.user], priority="normal"
    )
    case = Case.objects.get(request=first.request)
    assert {holder for kind, holder in _holders(second.request) if kind == HolderKind.USER} == {world.bob.user.pk}
    assert access_by_receipt(second.receipt).request.status == RequesterStatus.ACCEPTED
    assert "second, receipt lost" in _client(world.bob).get(f"/cases/{case.pk}/").content.decode()


def test_a_merged_request_is_not_accepted_on_its_own(world: World) -> None:
    first, second = _submit(world, "first"), _submit(world, "second")
    do_merge_requests(actor=world.ivan.user, request=second.request, into=first.request)
    response = _client(world.ivan).post(
        f"/requests/{second.request.pk}/accept/", {"priority": "normal", "team": [str(world.bob.user.pk)]}
    )
    assert response.status_code == 400
    assert not Case.objects.exists()
