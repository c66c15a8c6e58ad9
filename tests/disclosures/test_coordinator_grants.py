"""A coordinator who joins later is owed the partner and letter keys, as the shelter keys (refuge/accounts/grants.py).

Without it they could not read the partner register's entries or the organisation's own letter
wording, nor approve a packet with that letter. The keys are owed, not given: a holder approves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from refuge.accounts import totp
from refuge.accounts.actions.credentials import do_confirm_totp
from refuge.accounts.actions.invitations import do_enrol, do_invite_member
from refuge.accounts.actions.members import do_create_member
from refuge.accounts.grants import do_approve_grant
from refuge.accounts.models import Role, User
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.disclosures import actions as partner_actions
from refuge.disclosures.letter_templates import do_save_letter_template, wording_for
from refuge.disclosures.letters import TEMPLATES
from refuge.disclosures.models import Packet
from refuge.keyring.keyring import KeyNotHeld
from refuge.keyring.models import GrantReason, GrantStatus, KeyGrant, KeyWrap
from tests.disclosures.support import add_partner, age_key, case_with_identity, consent, prepare
from tests.personas import Persona, World, persona_of
from tests.workspace.people_support import ring

pytestmark = pytest.mark.django_db


def test_a_later_coordinator_is_owed_the_partner_and_letter_keys_and_reads_them_once_approved(
    world: World, client_for, tmp_path: Path
) -> None:
    partner = add_partner(world, age_key(tmp_path).recipient)
    wording = TEMPLATES["visa"]["en"].as_dict() | {"closing": "Call our desk 4."}
    row = do_save_letter_template(
        actor=world.alice.refresh().user,
        keyring=ring(world.alice),
        kind="visa",
        language="en",
        parts=wording,
        version=0,
    )
    enrolment = do_create_member(
        actor=world.alice.refresh().user,
        organisation=world.north,
        username="cora",
        role=Role.COORDINATOR,
        password="cora-a-long-password-2026",
    )
    owed = KeyGrant.objects.filter(member=enrolment.user, status=GrantStatus.PENDING)
    assert {partner.key_id, row.key_id} <= set(owed.values_list("key_id", flat=True))
    page = client_for(world.alice).get("/grants/").content.decode()
    assert "The key of a partner in the register" in page
    assert "support letter wordings" in page
    for grant in owed.filter(key_id__in=[partner.key_id, row.key_id]):
        do_approve_grant(actor=world.alice.refresh().user, keyring=ring(world.alice), grant=grant)
    approved = KeyGrant.objects.filter(member=enrolment.user, status=GrantStatus.APPROVED)
    assert {partner.key_id, row.key_id} <= set(approved.values_list("key_id", flat=True))


def test_without_the_grant_the_wording_does_not_open(world: World) -> None:
    wording = TEMPLATES["visa"]["en"].as_dict()
    do_save_letter_template(
        actor=world.alice.refresh().user,
        keyring=ring(world.alice),
        kind="visa",
        language="en",
        parts=wording,
        version=0,
    )
    with pytest.raises(KeyNotHeld):
        wording_for(world.north.pk, "visa", "en", ring(world.bob))


def _coordinator_invited_by_alice(world: World) -> Persona:
    """Cora joins by the real path: Alice's invitation, the enrolment link, her authenticator."""
    token = do_invite_member(actor=world.alice.refresh().user, username="cora", role=Role.COORDINATOR)
    password = "cora-a-long-password-2026"
    enrolment = do_enrol(token=token, password=password)
    do_confirm_totp(user=enrolment.user, private_key=enrolment.private_key, code=totp.code_at(enrolment.totp_secret))
    return persona_of(enrolment, password)


def test_a_coordinator_who_joins_later_approves_a_packet_for_an_earlier_partner_only_once_a_holder_approves(
    world: World, client_for, tmp_path: Path
) -> None:
    key = age_key(tmp_path)
    partner = add_partner(world, key.recipient)
    cora = _coordinator_invited_by_alice(world)
    # Prepared after Cora joined: the packet's own key is hers (coordinators approve);
    # the partner's key, made before she joined, is only owed to her.
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, partner)
    consent(world, packet)
    grant = KeyGrant.objects.get(member=cora.user, key=partner.key, status=GrantStatus.PENDING)
    assert grant.reason == GrantReason.COORDINATOR and grant.requested_by == world.alice.user
    assert AuditEntry.objects.filter(code=AuditEvent.KEY_GRANT_QUEUED, object_id=str(grant.pk)).exists()

    url = reverse("workspace:packet_approve", args=[packet.pk])
    form = {"expires_in_days": 7, "download_limit": 1}
    cora_client = client_for(cora)
    refused = cora_client.post(url, form)
    assert refused.status_code == 403 and "You do not hold the key this needs" in refused.content.decode()
    assert 'id="packet-link"' not in refused.content.decode() and "Approve and produce" in refused.content.decode()
    assert Packet.objects.get(pk=packet.pk).approved_by_id is None
    # Cora cannot approve her own grant; Alice, who holds the partner's key, can.
    assert cora_client.post(f"/grants/{grant.pk}/approve/").status_code == 404
    assert client_for(world.alice).post(f"/grants/{grant.pk}/approve/").status_code == 302
    assert AuditEntry.objects.filter(
        code=AuditEvent.KEY_GRANT_APPROVED, actor_id=world.alice.user.pk, object_id=str(grant.pk)
    ).exists()

    produced = cora_client.post(url, form)
    assert produced.status_code == 200 and 'id="packet-link"' in produced.content.decode()
    assert Packet.objects.get(pk=packet.pk).approved_by_id == cora.user.pk


def test_a_role_grant_lapses_with_the_role(world: World, client_for, tmp_path: Path) -> None:
    # Refuge has no act that changes a role (docs/threat-model.md, 4a); were a role changed
    # in the database, the keys owed to the old role could not be approved any more.
    partner = add_partner(world, age_key(tmp_path).recipient)
    cora = _coordinator_invited_by_alice(world)
    grant = KeyGrant.objects.get(member=cora.user, key=partner.key, status=GrantStatus.PENDING)
    User.objects.filter(pk=cora.user.pk).update(role=Role.CASEWORKER)
    refused = client_for(world.alice).post(f"/grants/{grant.pk}/approve/", follow=True)
    assert "This member no longer needs this key" in refused.content.decode()
    grant.refresh_from_db()
    assert grant.status == GrantStatus.PENDING
    assert not KeyWrap.objects.filter(key=partner.key, holder=cora.user).exists()


def test_a_coordinator_who_joins_after_a_packet_was_prepared_is_told_they_do_not_hold_its_key(
    world: World, client_for, tmp_path: Path
) -> None:
    # The packet's key is wrapped for the coordinators of the day it is prepared
    # (docs/keys.md); one who joins later is owed no packet key, and another coordinator approves it.
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, age_key(tmp_path).recipient))
    consent(world, packet)
    cora_client = client_for(_coordinator_invited_by_alice(world))
    for answer in (
        cora_client.get(reverse("workspace:packet_review", args=[packet.pk])),
        cora_client.post(
            reverse("workspace:packet_approve", args=[packet.pk]), {"expires_in_days": 7, "download_limit": 1}
        ),
    ):
        assert answer.status_code == 403 and "You do not hold the key this needs" in answer.content.decode()
        assert "Иван" not in answer.content.decode()
    assert Packet.objects.get(pk=packet.pk).approved_by_id is None


@pytest.mark.django_db(transaction=True)
def test_a_coordinator_enrolling_while_a_partner_is_added_is_given_its_key_or_owed_it(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The partner's transaction lists the coordinators, then waits; the enrolment runs meanwhile.

    Without the organisation's row locked on both sides, PostgreSQL let each transaction miss
    the other's uncommitted row: the partner key was wrapped for the coordinators listed
    before, and the enrolment owed the new coordinator only the keys it could already see.
    """
    listed, go = threading.Event(), threading.Event()
    create_key = partner_actions.do_create_key

    def create_key_after_a_pause(**arguments: Any) -> Any:
        listed.set()
        go.wait(30)
        return create_key(**arguments)

    monkeypatch.setattr(partner_actions, "do_create_key", create_key_after_a_pause)
    recipient = age_key(tmp_path).recipient
    alice = world.alice.refresh().user

    def in_own_connection(act: Callable[[], Any]) -> Any:
        try:
            return act()
        finally:
            connection.close()  # each thread's own connection, so that the database can be flushed

    def enrol() -> Any:
        return do_create_member(
            actor=alice,
            organisation=world.north,
            username="cora",
            role=Role.COORDINATOR,
            password="cora-a-long-password-2026",
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        adding = pool.submit(in_own_connection, lambda: add_partner(world, recipient))
        assert listed.wait(30)
        enrolling = pool.submit(in_own_connection, enrol)
        # Unlocked, the enrolment commits within this second; locked, it waits for the partner.
        wait([enrolling], timeout=1)
        go.set()
        partner, enrolment = adding.result(timeout=60), enrolling.result(timeout=60)
    wrapped = KeyWrap.objects.filter(key_id=partner.key_id, holder=enrolment.user).exists()
    owed = KeyGrant.objects.filter(key_id=partner.key_id, member=enrolment.user, status=GrantStatus.PENDING).exists()
    assert wrapped or owed
