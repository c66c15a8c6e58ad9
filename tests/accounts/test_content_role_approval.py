"""An administrator cannot obtain content: invitations to content roles wait for a coordinator."""

from __future__ import annotations

import re

from django.test import Client

from refuge.accounts.models import Invitation, InvitationApproval, Role, User
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.keyring.models import GrantStatus, KeyGrant, KeyWrap
from tests.personas import World, log_in

PASSWORD = "a-long-enough-passphrase"


def _client(persona) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    log_in(client, persona)
    return client


def _invite(client: Client, username: str, role: str) -> tuple[str, str]:
    response = client.post("/members/", {"username": username, "role": role})
    assert response.status_code == 200
    match = re.search(r"/enrol/([A-Za-z0-9_-]+)/", response.content.decode())
    assert match
    return match.group(1), response.content.decode()


def _enrol(token: str) -> int:
    return Client().post(f"/enrol/{token}/", {"password": PASSWORD, "password_again": PASSWORD}).status_code


def test_an_administrators_intake_account_gets_no_content_before_a_coordinator_approves(world: World) -> None:
    adam = _client(world.adam)
    token, page = _invite(adam, "mallory", Role.INTAKE)
    assert "works only after a coordinator approves" in page
    invitation = Invitation.objects.get(username="mallory")
    assert invitation.approval == InvitationApproval.PENDING
    # The link does not work yet: no account, nothing owed.
    waiting = Client().get(f"/enrol/{token}/")
    assert waiting.status_code == 404 and "has not approved this enrolment link yet" in waiting.content.decode()
    assert _enrol(token) == 404
    assert not User.objects.filter(username="mallory").exists()
    # The administrator cannot approve it; other organisations cannot see it.
    for client in (adam, _client(world.charlie), _client(world.bob)):
        assert client.post(f"/members/invitations/{invitation.pk}/approve/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.approval == InvitationApproval.PENDING
    assert "Waiting for a coordinator" in adam.get("/members/").content.decode()

    alice = _client(world.alice)
    assert "1 invitation by an administrator waits for your approval" in alice.get("/").content.decode()
    assert alice.post(f"/members/invitations/{invitation.pk}/approve/").status_code == 302
    assert AuditEntry.objects.filter(
        code=AuditEvent.INVITATION_APPROVED, actor_id=world.alice.user.pk, object_id=str(invitation.pk)
    ).exists()

    assert _enrol(token) == 200
    mallory = User.objects.get(username="mallory")
    # Enrolled: the intake key is owed, not given, until a holder approves it.
    grant = KeyGrant.objects.get(member=mallory, status=GrantStatus.PENDING)
    assert grant.requested_by == world.alice.user
    assert not KeyWrap.objects.filter(holder=mallory).exists()


def test_a_refused_invitation_never_works(world: World) -> None:
    token, _page = _invite(_client(world.adam), "mallory", Role.CASEWORKER)
    invitation = Invitation.objects.get(username="mallory")
    assert _client(world.alice).post(f"/members/invitations/{invitation.pk}/refuse/").status_code == 302
    assert AuditEntry.objects.filter(code=AuditEvent.INVITATION_REFUSED, object_id=str(invitation.pk)).exists()
    response = Client().get(f"/enrol/{token}/")
    assert response.status_code == 404 and "not valid" in response.content.decode()
    assert _enrol(token) == 404
    assert not User.objects.filter(username="mallory").exists()


def test_invitations_without_content_need_no_approval(world: World) -> None:
    # An administrator inviting an auditor, or a coordinator inviting a caseworker.
    token, page = _invite(_client(world.adam), "olena", Role.AUDITOR)
    assert "coordinator approves" not in page
    assert _enrol(token) == 200
    token, _page = _invite(_client(world.alice), "petra", Role.CASEWORKER)
    assert _enrol(token) == 200
    assert not AuditEntry.objects.filter(code=AuditEvent.INVITATION_APPROVED).exists()
