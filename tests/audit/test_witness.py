"""The witness export: what a copy kept off the host can prove about the live log."""

from __future__ import annotations

import json

import pytest

from refuge.audit.actions import do_sign_checkpoint
from refuge.audit.export import EXPORT_FORMAT, export_lines
from refuge.audit.models import AuditCheckpoint, AuditEntry
from refuge.audit.verify import verify_chain, verify_export
from refuge.crypto import generate_signing_keypair
from tests.audit.conftest import Append
from tests.audit.helpers import rechain

pytestmark = pytest.mark.django_db


@pytest.fixture
def witnessed(append: Append) -> list[str]:
    """Six entries with checkpoints at 3 and 6, exported to a witness."""
    append(3)
    do_sign_checkpoint()
    append(3)
    do_sign_checkpoint()
    return list(export_lines())


def kinds(lines: list[str], public_key: bytes | None = None) -> list[tuple[int | None, str]]:
    return [(p.seq, p.kind) for p in verify_export(lines, public_key).problems]


def test_the_export_names_the_key_then_each_checkpoint(witnessed: list[str]) -> None:
    key, *checkpoints = (json.loads(line) for line in witnessed)

    assert key["format"] == EXPORT_FORMAT
    assert key["kind"] == "key"
    assert [c["seq"] for c in checkpoints] == [3, 6]
    assert all(c["public_key"] == key["public_key"] for c in checkpoints)


def test_the_live_log_matches_its_own_export(witnessed: list[str]) -> None:
    report = verify_export(witnessed)

    assert report.ok
    assert report.witness_checkpoints == 2


def test_a_log_rechained_and_resigned_passes_alone_but_not_against_the_witness(witnessed: list[str]) -> None:
    # The attacker holds the server and its key: rewrite entry 5, re-hash the whole
    # log, drop the old checkpoints and sign new ones.
    rechain(edit_seq=5)
    AuditCheckpoint.objects.all().delete()
    do_sign_checkpoint()
    assert verify_chain().ok

    report = verify_export(witnessed)

    assert [(p.seq, p.kind) for p in report.problems] == [(6, "witness_mismatch")]
    assert "rewritten at or before entry 6 (after entry 3, which still matches)" in report.problems[0].message


def test_it_names_witnessed_entries_that_no_longer_exist(witnessed: list[str]) -> None:
    AuditEntry.objects.filter(seq__gte=5).delete()

    assert kinds(witnessed) == [(6, "witness_missing")]


def test_it_detects_an_altered_witness_file(witnessed: list[str]) -> None:
    checkpoint = json.loads(witnessed[1])
    checkpoint["entry_hash"] = "00" * 32
    altered = [witnessed[0], json.dumps(checkpoint), witnessed[2]]

    assert kinds(altered) == [(3, "witness_signature")]


def test_it_detects_a_replaced_installation_key(witnessed: list[str]) -> None:
    other = generate_signing_keypair()
    key = json.loads(witnessed[0])
    key["public_key"] = other.public.hex()

    # Checkpoints in the file no longer verify under the key it names, and the
    # installation's key is not the witness's.
    found = kinds([json.dumps(key), *witnessed[1:]])

    assert found == [(3, "witness_signature"), (6, "witness_signature"), (None, "witness_key")]


def test_a_pinned_key_must_match_the_file(witnessed: list[str]) -> None:
    other = generate_signing_keypair()

    found = kinds(witnessed, other.public)

    assert (None, "witness_key") in found
    assert (3, "witness_signature") in found


def test_it_reports_lines_that_are_not_export_lines(witnessed: list[str]) -> None:
    found = verify_export(["not json", witnessed[1], *witnessed]).problems

    assert [p.message for p in found] == [
        "line 1 of the witness file is not an audit export line",
        "line 2 of the witness file comes before its key line",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        # Both found by tests/fuzz/fuzz_audit_export.py: once an OverflowError and a
        # RecursionError that stopped `refuge audit verify --witness` with a traceback.
        "seq 1e400",
        "[" * 5000,
        "seq as text",
        "seq as a bool",
    ],
)
def test_a_hostile_witness_line_is_reported_not_raised(witnessed: list[str], bad: str) -> None:
    checkpoint = json.loads(witnessed[1])
    line = {
        "seq 1e400": witnessed[1].replace(f'"seq":{checkpoint["seq"]}', '"seq":1e400'),
        "seq as text": json.dumps({**checkpoint, "seq": str(checkpoint["seq"])}),
        "seq as a bool": json.dumps({**checkpoint, "seq": True}),
    }.get(bad, bad)
    assert line != witnessed[1]

    found = verify_export([witnessed[0], line]).problems

    assert [p.message for p in found] == ["line 2 of the witness file is not an audit export line"]


def test_an_export_of_an_empty_log_holds_only_the_key() -> None:
    lines = list(export_lines())

    assert len(lines) == 1
    assert verify_export(lines).ok
