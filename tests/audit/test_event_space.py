"""The audit event space: each app declares its own block of codes, and old entries still verify."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from datetime import datetime
from enum import IntEnum
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction

from refuge.audit import codes
from refuge.audit.actions import record
from refuge.audit.chain import entry_payload
from refuge.audit.codes import AppEvent, EventRegistry, events_of, registry
from refuge.audit.events import AuditEvent
from refuge.audit.export import export_lines
from refuge.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from refuge.audit.queries import event_label
from refuge.audit.verify import verify_chain, verify_export
from refuge.crypto import chain_hash
from tests.audit.conftest import Append
from tests.audit.helpers import ALICE, NORTH
from tests.audit_testapp.audit_events import WidgetEvent

# Ten entries and a signed checkpoint written by the code before the event space
# (commit ba94141), with the test settings' audit key: they must verify unchanged.
FIXTURE = Path(__file__).parent / "fixtures" / "chain_before_event_space.json"
ROOT = Path(__file__).resolve().parents[2]


def _load_old_chain() -> dict:  # type: ignore[type-arg]
    data = json.loads(FIXTURE.read_text())
    AuditEntry.objects.bulk_create(
        AuditEntry(
            seq=row["seq"],
            organisation_id=row["organisation_id"],
            actor_id=row["actor_id"],
            code=row["code"],
            object_type=row["object_type"],
            object_id=row["object_id"],
            created_at=datetime.fromisoformat(row["created_at"]),
            prev_hash=bytes.fromhex(row["prev_hash"]),
            entry_hash=bytes.fromhex(row["entry_hash"]),
        )
        for row in data["entries"]
    )
    AuditCheckpoint.objects.bulk_create(
        AuditCheckpoint(
            seq=row["seq"],
            entry_hash=bytes.fromhex(row["entry_hash"]),
            signed_at=datetime.fromisoformat(row["signed_at"]),
            signature=bytes.fromhex(row["signature"]),
            public_key=bytes.fromhex(row["public_key"]),
        )
        for row in data["checkpoints"]
    )
    AuditHead.objects.create(id=1, seq=data["head"]["seq"], entry_hash=bytes.fromhex(data["head"]["entry_hash"]))
    return data


@pytest.mark.django_db
def test_entries_written_before_the_event_space_verify_byte_for_byte() -> None:
    data = _load_old_chain()

    # The encoding the hash covers is unchanged: each stored hash is recomputed exactly.
    for entry in AuditEntry.objects.order_by("seq"):
        assert chain_hash(bytes(entry.prev_hash), entry_payload(entry)) == bytes(entry.entry_hash)
    report = verify_chain()
    assert report.ok, report.problems
    assert (report.entries, report.checkpoints) == (len(data["entries"]), 1)
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue() == "OK: 10 entries, 1 checkpoints verified\n"


@pytest.mark.django_db
def test_the_old_chain_grows_exports_and_verifies_against_its_witness(append: Append) -> None:
    _load_old_chain()
    witness = list(export_lines())

    append(3)
    with transaction.atomic():
        record(WidgetEvent.WIDGET_MADE, actor_id=ALICE, organisation_id=NORTH, object_type="widget", object_id="w1")

    assert verify_chain().ok
    assert verify_export(witness).ok
    assert verify_export(list(export_lines())).ok
    assert AuditEntry.objects.order_by("-seq").first().code == 999_000  # type: ignore[union-attr]


def test_every_old_code_keeps_its_number_and_its_owner() -> None:
    data = json.loads(FIXTURE.read_text())

    for row in data["entries"]:
        assert registry.lookup(row["code"]) is not None
    assert registry.lookup(400).app == "intake"  # type: ignore[union-attr]
    assert registry.lookup(203).app == "keyring"  # type: ignore[union-attr]
    assert registry.lookup(606).app == "shelter"  # type: ignore[union-attr]
    assert event_label(AuditEvent.REQUEST_RECEIVED) == "REQUEST_RECEIVED"
    assert event_label(12_345) == "12345"


def test_an_app_declares_its_events_in_its_own_module_and_they_are_registered_at_start() -> None:
    # tests/audit_testapp/audit_events.py is imported by AuditConfig.ready(): no hub names it.
    made = registry.lookup(999_000)

    assert made is not None and (made.app, made.name) == ("audit_testapp", "WIDGET_MADE")
    assert registry.blocks()[999] == "audit_testapp"
    assert event_label(WidgetEvent.WIDGET_READ) == "WIDGET_READ"


@pytest.mark.django_db
def test_record_refuses_an_event_no_app_declared() -> None:
    class Stray(IntEnum):
        SOMETHING = 400  # the number of a real event, but not that event

    with transaction.atomic(), pytest.raises(ValueError, match="not a registered audit event"):
        record(Stray.SOMETHING, actor_id=ALICE, organisation_id=NORTH)

    assert not AuditEntry.objects.exists()


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> EventRegistry:
    """A registry holding only the first numbering, in place of the real one."""
    space = EventRegistry()
    space.declare_first_numbering(AuditEvent)
    monkeypatch.setattr(codes, "registry", space)
    return space


def test_a_block_claimed_by_two_apps_fails(fresh: EventRegistry) -> None:
    @events_of("relocation", block=2)
    class Relocation(AppEvent):
        APPLICATION_FILED = 2000

    with pytest.raises(ImproperlyConfigured, match="block 2 is claimed by both relocation and safety"):

        @events_of("safety", block=2)
        class Safety(AppEvent):
            CHECKED_IN = 2001


def test_a_code_outside_its_block_fails(fresh: EventRegistry) -> None:
    with pytest.raises(ImproperlyConfigured, match="outside its block 3"):

        @events_of("disclosures", block=3)
        class Disclosures(AppEvent):
            PACKET_SENT = 400


def test_two_names_for_one_code_fail(fresh: EventRegistry) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"PACKET_RESENT .* repeat"):

        @events_of("disclosures", block=3)
        class Disclosures(AppEvent):
            PACKET_SENT = 3000
            PACKET_RESENT = 3000


def test_a_first_numbering_code_in_a_closed_hundred_or_twice_fails() -> None:
    class Closed(IntEnum):
        NEW_THING = 700

    with pytest.raises(ImproperlyConfigured, match="outside the first numbering"):
        EventRegistry().declare_first_numbering(Closed)

    space = EventRegistry()
    space.declare_first_numbering(AuditEvent)

    class Again(IntEnum):
        LOGIN_AGAIN = 100

    with pytest.raises(ImproperlyConfigured, match="audit code 100 is declared twice"):
        space.declare_first_numbering(Again)


def test_a_duplicate_declaration_stops_refuge_at_start(tmp_path: Path) -> None:
    # An app that claims the test block again: django.setup() must fail, so every test run would.
    package = tmp_path / "dupapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "audit_events.py").write_text(
        textwrap.dedent(
            """
            from refuge.audit.codes import AppEvent, events_of

            @events_of("dupapp", block=999)
            class Dup(AppEvent):
                AGAIN = 999_000
            """
        )
    )
    (tmp_path / "dup_settings.py").write_text(
        "from refuge.test_settings import *  # noqa\nINSTALLED_APPS = [*INSTALLED_APPS, 'dupapp']\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "DJANGO_SETTINGS_MODULE": "dup_settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )

    assert result.returncode != 0
    assert "audit block 999 is claimed by both audit_testapp and dupapp" in result.stderr
