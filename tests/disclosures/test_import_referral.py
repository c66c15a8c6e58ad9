"""`refuge import-referral`: another installation's packet becomes a case here; hostile files write nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from refuge.audit.models import AuditEntry
from refuge.cases.models import Case, Compartment
from refuge.cases.queries import read_compartment, read_summary
from tests.disclosures.hostile import HOSTILE, hostile_packet, rows, sent
from tests.disclosures.support import CANARIES, DATE_OF_BIRTH, LEGAL_NAME, AgeKey, age_key
from tests.personas import World
from tests.workspace.people_support import ring


def _import(world: World, path: Path, key: AgeKey) -> None:
    call_command(
        "import_referral",
        str(path),
        org="south",
        coordinator="charlie",
        identity=str(key.identity_file),
        stdout=io.StringIO(),
    )


def test_the_receiving_organisation_imports_the_packet_as_a_case_of_its_own(world: World, tmp_path: Path) -> None:
    receiving = age_key(tmp_path)
    path = tmp_path / "packet.zip.age"
    path.write_bytes(sent(world, receiving))
    _import(world, path, receiving)
    case = Case.objects.select_related("key").get(organisation=world.south)
    charlie = ring(world.charlie)
    assert f"Referred by {world.north.name} on" in read_summary(case, charlie.secret_for(case.key))
    identity = Compartment.objects.select_related("key").get(person__case=case, kind="identity")
    assert read_compartment(identity, charlie) == {"legal_name": LEGAL_NAME, "date_of_birth": DATE_OF_BIRTH}
    assert case.team.get().user_id == world.charlie.user.pk
    assert AuditEntry.objects.filter(object_id=str(case.pk), organisation_id=world.south.pk).exists()
    stored = b"".join(bytes(row) for row in Compartment.objects.values_list("content", flat=True))
    assert LEGAL_NAME.encode() not in stored
    for canary in CANARIES:
        assert canary.encode() not in stored


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_packet_is_refused_clearly_and_writes_nothing(world: World, tmp_path: Path, hostile: str) -> None:
    receiving = age_key(tmp_path)
    path = tmp_path / "hostile.age"
    path.write_bytes(hostile_packet(world, tmp_path, receiving, hostile))
    before = rows()
    with pytest.raises(CommandError) as refused:
        _import(world, path, receiving)
    assert str(refused.value).strip() and "Traceback" not in str(refused.value)
    assert rows() == before


def test_a_replayed_packet_is_refused_and_writes_nothing(world: World, tmp_path: Path) -> None:
    receiving = age_key(tmp_path)
    path = tmp_path / "packet.zip.age"
    path.write_bytes(sent(world, receiving))
    _import(world, path, receiving)
    before = rows()
    with pytest.raises(CommandError, match="already been imported"):
        _import(world, path, receiving)
    assert rows() == before


@pytest.mark.parametrize(
    ("hostile", "reason"),
    [
        ("bidi-override-in-sender", "text-direction characters"),
        ("surrogate-in-sender", "not in the format Refuge writes"),
        ("duplicate-field", "the same field or document twice"),
        ("document-listed-twice", "the same field or document twice"),
        ("document-size-wrong", "not the one its list describes"),
        ("duplicate-member", "a file name Refuge never writes"),
        ("member-symlink", "a file name Refuge never writes"),
    ],
)
def test_the_operator_is_told_why_a_crafted_packet_is_refused(
    world: World, tmp_path: Path, hostile: str, reason: str
) -> None:
    receiving = age_key(tmp_path)
    path = tmp_path / "hostile.age"
    path.write_bytes(hostile_packet(world, tmp_path, receiving, hostile))
    with pytest.raises(CommandError, match=reason):
        _import(world, path, receiving)
