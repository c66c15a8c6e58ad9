"""A packet that a partner's Refuge would refuse is refused while it is prepared, not after it is sent.

The receiving side refuses a referral holding control or text-direction characters
(refuge/disclosures/referrals.py, the hostile corpus); the sending side refuses the same
characters in the purpose and in the chosen fields, so the caseworker can correct the case.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from refuge.cases.actions.compartments import do_save_compartment
from refuge.core.errors import UserError
from refuge.disclosures import packets, selection
from refuge.disclosures.models import Packet
from tests.disclosures.support import IDENTITY, add_partner, age_key, case_with_identity
from tests.personas import World
from tests.workspace.people_support import ring

pytestmark = pytest.mark.django_db

OVERRIDE = "\u202e"  # right-to-left override: "Ivan\u202evokciS" reads as "IvanSickov"


def _prepare(world: World, tmp_path: Path, purpose: str) -> None:
    case, person = case_with_identity(world)
    chosen = [selection.selection_key(person, "identity", "legal_name")]
    packets.do_prepare_packet(
        actor=world.bob.refresh().user,
        keyring=ring(world.bob),
        case=case,
        partner=add_partner(world, age_key(tmp_path).recipient),
        purpose=purpose,
        selection=chosen,
    )


def test_a_purpose_with_a_direction_override_is_refused_and_nothing_is_written(world: World, tmp_path: Path) -> None:
    with pytest.raises(UserError) as refused:
        _prepare(world, tmp_path, f"Resettlement {OVERRIDE}adanaC")
    assert refused.value.field == "purpose"
    assert "text-direction" in str(refused.value.message)
    assert not Packet.objects.exists()


def test_a_chosen_field_with_a_direction_override_is_refused_until_the_case_is_corrected(
    world: World, tmp_path: Path
) -> None:
    case, person = case_with_identity(world)
    partner = add_partner(world, age_key(tmp_path).recipient)
    identity = person.compartments.get(kind="identity")
    do_save_compartment(
        actor=world.bob.refresh().user,
        keyring=ring(world.bob),
        person=person,
        kind="identity",
        data=IDENTITY | {"legal_name": f"Ivan {OVERRIDE}vorodiS"},
        version=identity.version,
    )
    chosen = [selection.selection_key(person, "identity", "legal_name")]

    def prepare() -> Packet:
        return packets.do_prepare_packet(
            actor=world.bob.refresh().user,
            keyring=ring(world.bob),
            case=case,
            partner=partner,
            purpose="Resettlement referral",
            selection=chosen,
        )

    with pytest.raises(UserError) as refused:
        prepare()
    assert refused.value.field == "chosen"
    assert "Correct the field in the case first" in str(refused.value.message)
    assert not Packet.objects.exists()
    identity.refresh_from_db()
    do_save_compartment(
        actor=world.bob.refresh().user,
        keyring=ring(world.bob),
        person=person,
        kind="identity",
        data=IDENTITY,
        version=identity.version,
    )
    assert prepare().case_id == case.pk
