"""Requesters' acts are audited to the hour and chained only after their hour has ended.

Threat: a seized database matched against an ISP's flow logs. A requester's entry
must carry no exact time, and its place in the chain must not date it between two
staff entries stamped to the second.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from refuge.audit import actions
from refuge.audit.actions import do_sign_checkpoint, flush_held_entries, record, record_requester_act
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditCheckpoint, AuditEntry, HeldEntry
from refuge.audit.verify import verify_chain
from tests.audit.helpers import ALICE, NORTH

pytestmark = pytest.mark.django_db

ELEVEN = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)

Clock = Callable[[datetime], None]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Set what timezone.now() answers."""

    def at(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    # What this process last found about held entries belongs to the real clock.
    monkeypatch.setattr(actions, "_none_held_before", None)
    return at


def staff_act(clock: Clock, moment: datetime) -> AuditEntry:
    clock(moment)
    with transaction.atomic():
        return record(
            AuditEvent.REQUEST_OPENED, actor_id=ALICE, organisation_id=NORTH, object_type="request", object_id="r0"
        )


def requester_act(
    clock: Clock, moment: datetime, object_id: str, event: AuditEvent = AuditEvent.REQUEST_RECEIVED
) -> None:
    clock(moment)
    with transaction.atomic():
        record_requester_act(event, organisation_id=NORTH, object_type="request", object_id=object_id)


def chain() -> list[tuple[int, str, datetime]]:
    return [(e.code, e.object_id, e.created_at) for e in AuditEntry.objects.order_by("seq")]


def test_a_requester_act_is_held_to_its_hour_and_not_chained_yet(clock: Clock) -> None:
    requester_act(clock, ELEVEN + timedelta(minutes=15, seconds=12), "r1")

    assert not AuditEntry.objects.exists()
    held = HeldEntry.objects.get()
    assert (held.code, held.object_id, held.hour) == (AuditEvent.REQUEST_RECEIVED, "r1", ELEVEN)


def test_after_the_hour_they_follow_every_staff_entry_of_that_hour_stamped_with_the_hour(clock: Clock) -> None:
    staff_act(clock, ELEVEN + timedelta(minutes=5, seconds=1))
    requester_act(clock, ELEVEN + timedelta(minutes=10, seconds=7), "r1")
    staff_act(clock, ELEVEN + timedelta(minutes=20, seconds=3))
    requester_act(clock, ELEVEN + timedelta(minutes=30, seconds=44), "r2", AuditEvent.REQUESTER_MESSAGE_RECEIVED)
    staff_act(clock, ELEVEN + timedelta(minutes=59, seconds=59))

    # The first audit write of the next hour chains the held entries first.
    twelve = staff_act(clock, ELEVEN + timedelta(hours=1, seconds=30))

    entries = chain()
    assert [e[2] for e in entries[:3]] == [
        ELEVEN + timedelta(minutes=5, seconds=1),
        ELEVEN + timedelta(minutes=20, seconds=3),
        ELEVEN + timedelta(minutes=59, seconds=59),
    ]
    assert sorted(e[:2] for e in entries[3:5]) == [
        (AuditEvent.REQUEST_RECEIVED, "r1"),
        (AuditEvent.REQUESTER_MESSAGE_RECEIVED, "r2"),
    ]
    assert [e[2] for e in entries[3:5]] == [ELEVEN, ELEVEN]
    assert entries[5][2] == twelve.created_at
    assert not HeldEntry.objects.exists()
    assert verify_chain().ok


def test_a_batch_is_chained_in_random_order_not_the_order_of_the_acts(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Reversing:
        def shuffle(self, items: list[object]) -> None:
            items.reverse()

    monkeypatch.setattr(actions.secrets, "SystemRandom", Reversing)
    for minute in range(1, 6):
        requester_act(clock, ELEVEN + timedelta(minutes=minute), f"r{minute}")
    # The first act of the next hour chains the five; the command, an hour later, this one.
    requester_act(clock, ELEVEN + timedelta(hours=1, minutes=1), "later")
    clock(ELEVEN + timedelta(hours=2, minutes=1))
    assert flush_held_entries() == 1

    # Shuffled within their hour (here: reversed), the hours in order.
    assert [e[1] for e in chain()] == ["r5", "r4", "r3", "r2", "r1", "later"]


def test_the_hour_still_running_stays_held(clock: Clock) -> None:
    requester_act(clock, ELEVEN + timedelta(minutes=10), "r1")

    staff_act(clock, ELEVEN + timedelta(minutes=40))
    clock(ELEVEN + timedelta(minutes=50))

    assert flush_held_entries() == 0
    assert [e[1] for e in chain()] == ["r0"]
    assert HeldEntry.objects.count() == 1


def test_a_requester_act_of_a_later_hour_chains_the_ended_hour_first(clock: Clock) -> None:
    requester_act(clock, ELEVEN + timedelta(minutes=10), "r1")
    requester_act(clock, ELEVEN + timedelta(hours=1, minutes=2), "r2")

    assert [e[1] for e in chain()] == ["r1"]
    assert list(HeldEntry.objects.values_list("object_id", flat=True)) == ["r2"]


def test_a_checkpoint_covers_the_ended_hours_and_verify_catches_their_reordering(clock: Clock) -> None:
    staff_act(clock, ELEVEN + timedelta(minutes=5))
    requester_act(clock, ELEVEN + timedelta(minutes=10), "r1")
    requester_act(clock, ELEVEN + timedelta(minutes=11), "r2")
    clock(ELEVEN + timedelta(hours=1, minutes=3))

    checkpoint = do_sign_checkpoint()

    assert checkpoint.seq == 3 == AuditEntry.objects.count()
    assert verify_chain().ok
    # Swapping the two requester entries (their seqs) breaks the chain.
    second, third = AuditEntry.objects.filter(seq__in=[2, 3]).order_by("seq")
    AuditEntry.objects.filter(pk=second.pk).update(seq=-1)
    AuditEntry.objects.filter(pk=third.pk).update(seq=2)
    AuditEntry.objects.filter(pk=second.pk).update(seq=3)
    kinds = {problem.kind for problem in verify_chain().problems}
    assert {"broken_link", "checkpoint_mismatch"} <= kinds


def test_automatic_checkpoints_signed_while_chaining_are_signed_at_the_chaining_time(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "CHECKPOINT_EVERY", 2)
    requester_act(clock, ELEVEN + timedelta(minutes=10, seconds=9), "r1")
    requester_act(clock, ELEVEN + timedelta(minutes=20, seconds=9), "r2")
    later = ELEVEN + timedelta(hours=3, minutes=7, seconds=1)
    clock(later)

    flush_held_entries()

    assert list(AuditCheckpoint.objects.values_list("seq", "signed_at")) == [(2, later)]


@pytest.mark.django_db(transaction=True)
def test_requester_acts_must_be_inside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match=r"transaction\.atomic"):
        record_requester_act(AuditEvent.REQUEST_RECEIVED, organisation_id=NORTH, object_type="request", object_id="r")

    assert not HeldEntry.objects.exists()


def test_the_command_flushes_and_verify_says_what_is_held(clock: Clock) -> None:
    staff_act(clock, ELEVEN + timedelta(minutes=1))
    requester_act(clock, ELEVEN + timedelta(minutes=10), "r1")
    out = io.StringIO()

    call_command("audit", "verify", stdout=out)
    call_command("audit", "flush", stdout=out)
    clock(ELEVEN + timedelta(hours=1, minutes=1))
    call_command("audit", "flush", stdout=out)
    call_command("audit", "verify", stdout=out)

    assert out.getvalue() == (
        "1 requester entries are held until their hour ends (not yet chained)\n"
        "OK: 1 entries, 0 checkpoints verified\n"
        "Chained 0 held requester entries\n"
        "Chained 1 held requester entries\n"
        "OK: 2 entries, 0 checkpoints verified\n"
    )


def test_a_process_looks_for_held_entries_once_an_hour_and_a_checkpoint_always_looks(clock: Clock) -> None:
    staff_act(clock, ELEVEN + timedelta(minutes=1))
    with CaptureQueriesContext(connection) as queries:
        staff_act(clock, ELEVEN + timedelta(minutes=2))
        requester_act(clock, ELEVEN + timedelta(minutes=3), "r1")
    assert not [q for q in queries if q["sql"].startswith("SELECT") and "audit_heldentry" in q["sql"]]

    # A held entry of hour 11 committed late, after this process looked at 12:00 (another process's).
    staff_act(clock, ELEVEN + timedelta(hours=1, minutes=1))  # chains r1
    staff_act(clock, ELEVEN + timedelta(hours=1, minutes=1, seconds=30))  # finds nothing more
    HeldEntry.objects.create(organisation_id=NORTH, code=AuditEvent.REQUEST_RECEIVED, object_id="late", hour=ELEVEN)
    staff_act(clock, ELEVEN + timedelta(hours=1, minutes=2))
    assert HeldEntry.objects.filter(object_id="late").exists()

    do_sign_checkpoint()

    assert not HeldEntry.objects.exists()
    assert [e[1] for e in chain()][-1] == "late"
    assert verify_chain().ok
