"""A coordinator who joins later is owed the partner and letter keys, as the shelter keys (refuge/accounts/grants.py).

Without it they could not read the partner register's entries or the organisation's own letter
wording, nor approve a packet with that letter. The keys are owed, not given: a holder approves.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from refuge.accounts.actions.members import do_create_member
from refuge.accounts.grants import do_approve_grant
from refuge.accounts.models import Role
from refuge.disclosures.letter_templates import do_save_letter_template, wording_for
from refuge.disclosures.letters import TEMPLATES
from refuge.keyring.keyring import KeyNotHeld
from refuge.keyring.models import GrantStatus, KeyGrant
from tests.disclosures.support import add_partner, age_key
from tests.personas import World
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
