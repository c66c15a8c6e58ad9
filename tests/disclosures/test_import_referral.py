"""`refuge import-referral`: another installation's packet becomes a case here; hostile files write nothing."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from refuge.audit.models import AuditEntry
from refuge.cases.models import Case, Compartment
from refuge.cases.queries import read_compartment, read_summary
from refuge.disclosures import packets
from refuge.disclosures.models import ImportedReferral
from tests.disclosures.support import (
    CANARIES,
    DATE_OF_BIRTH,
    LEGAL_NAME,
    AgeKey,
    add_partner,
    age_key,
    approve,
    case_with_identity,
    consent,
    prepare,
)
from tests.personas import World
from tests.workspace.people_support import ring


def _sent(world: World, receiving: AgeKey) -> bytes:
    """North's packet for the receiving organisation (south), as its partner downloads it."""
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, receiving.recipient, code_name="south-refuge"))
    consent(world, packet)
    return packets.do_take_download(token=approve(world, packet).token) or b""


def _import(world: World, path: Path, key: AgeKey) -> None:
    call_command(
        "import_referral",
        str(path),
        org="south",
        coordinator="charlie",
        identity=str(key.identity_file),
        stdout=io.StringIO(),
    )


def _age_encrypt(data: bytes, key: AgeKey, tmp_path: Path) -> bytes:
    plain = tmp_path / "plain"
    plain.write_bytes(data)
    return subprocess.run(["age", "-r", key.recipient, str(plain)], check=True, capture_output=True).stdout


def _zip(**files: bytes) -> bytes:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return sink.getvalue()


def test_the_receiving_organisation_imports_the_packet_as_a_case_of_its_own(world: World, tmp_path: Path) -> None:
    receiving = age_key(tmp_path)
    path = tmp_path / "packet.zip.age"
    path.write_bytes(_sent(world, receiving))
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


def _rows() -> tuple[int, int, int]:
    return Case.objects.count(), ImportedReferral.objects.count(), Compartment.objects.count()


@pytest.mark.parametrize(
    "hostile",
    [
        "foreign",
        "truncated",
        "garbage",
        "empty",
        "not-a-zip",
        "no-packet-json",
        "bad-schema",
        "unknown-field",
        "bad-json",
    ],
)
def test_a_hostile_packet_is_refused_clearly_and_writes_nothing(world: World, tmp_path: Path, hostile: str) -> None:
    receiving = age_key(tmp_path)
    valid = {
        "schema": "refuge-disclosure/1",
        "packet": "9f0c2b1e-8d1a-4c7e-9a51-0b1c2d3e4f50",
        "from": "x",
        "purpose": "y",
        "prepared_on": "2026-12-01",
        "people": [{"label": "Person 1", "fields": []}],
    }
    unknown = [{"fields": [{"name": "identity.shoe_size", "value": "44"}]}]

    def sealed(data: bytes) -> bytes:
        return _age_encrypt(data, receiving, tmp_path)

    def foreign() -> bytes:
        (tmp_path / "other").mkdir()
        return _sent(world, age_key(tmp_path / "other"))

    make = {
        "foreign": foreign,
        "truncated": lambda: _sent(world, receiving)[:-40],
        "garbage": lambda: b"age-encryption.org/v1\n-> X25519 nonsense\n",
        "empty": lambda: b"",
        "not-a-zip": lambda: sealed(b"not a zip at all"),
        "no-packet-json": lambda: sealed(_zip(**{"summary.pdf": b"%PDF-1.4"})),
        "bad-schema": lambda: sealed(_zip(**{"packet.json": json.dumps({**valid, "schema": "other/9"}).encode()})),
        "unknown-field": lambda: sealed(_zip(**{"packet.json": json.dumps({**valid, "people": unknown}).encode()})),
        "bad-json": lambda: sealed(_zip(**{"packet.json": b'{"schema": '})),
    }
    data = make[hostile]()
    path = tmp_path / "hostile.age"
    path.write_bytes(data)
    before = _rows()
    with pytest.raises(CommandError) as refused:
        _import(world, path, receiving)
    assert str(refused.value).strip() and "Traceback" not in str(refused.value)
    assert _rows() == before


def test_a_replayed_packet_is_refused_and_writes_nothing(world: World, tmp_path: Path) -> None:
    receiving = age_key(tmp_path)
    path = tmp_path / "packet.zip.age"
    path.write_bytes(_sent(world, receiving))
    _import(world, path, receiving)
    before = _rows()
    with pytest.raises(CommandError, match="already been imported"):
        _import(world, path, receiving)
    assert _rows() == before
