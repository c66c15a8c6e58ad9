"""A caseworker taken off a case's team loses its packets too: their wrap goes and the packet key is rotated."""

from __future__ import annotations

from pathlib import Path

import pytest

from refuge.cases.actions.team import do_remove_team_member
from refuge.disclosures.models import Packet
from refuge.disclosures.reads import read_packet_content
from refuge.keyring.keyring import KeyNotHeld
from refuge.keyring.models import HolderKind, KeyWrap
from tests.disclosures.support import LEGAL_NAME, add_partner, age_key, case_with_identity, prepare
from tests.personas import World
from tests.workspace.people_support import ring


def _packet(packet: Packet) -> Packet:
    return Packet.objects.select_related("key", "partner", "case").get(pk=packet.pk)


def test_a_caseworker_taken_off_the_team_can_no_longer_open_its_packets(world: World, tmp_path: Path) -> None:
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, age_key(tmp_path).recipient))
    bob = ring(world.bob)
    copied = bob.secret_for(_packet(packet).key)  # what Bob could have kept before he left
    assert read_packet_content(_packet(packet), bob)["people"][0]["fields"][0]["value"] == LEGAL_NAME
    do_remove_team_member(actor=world.alice.refresh().user, keyring=ring(world.alice), case=case, member=bob.user)
    after = _packet(packet)
    assert not KeyWrap.objects.filter(key=after.key, holder_kind=HolderKind.USER, holder=world.bob.user.pk).exists()
    with pytest.raises(KeyNotHeld):
        read_packet_content(after, ring(world.bob))
    assert ring(world.alice).secret_for(after.key) != copied, "rotated: a secret Bob copied opens nothing now"
    assert read_packet_content(after, ring(world.alice))["people"][0]["fields"][0]["value"] == LEGAL_NAME


def test_a_coordinator_taken_off_the_team_still_reviews_its_packets(world: World, tmp_path: Path) -> None:
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, age_key(tmp_path).recipient))
    alice = world.alice.refresh().user
    do_remove_team_member(actor=world.bob.refresh().user, keyring=ring(world.bob), case=case, member=alice)
    assert read_packet_content(_packet(packet), ring(world.alice))["purpose"] == "Resettlement referral"
