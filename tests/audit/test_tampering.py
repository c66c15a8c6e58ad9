"""Each way of tampering with the stored log is detected, and the report names the entry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models import F

from refuge.audit import actions, verify
from refuge.audit.actions import do_sign_checkpoint
from refuge.audit.chain import entry_payload
from refuge.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from refuge.audit.rows import EntryRow
from refuge.audit.verify import Problem, verify_chain
from refuge.crypto import chain_hash
from tests.audit.conftest import Append
from tests.audit.helpers import CHARLIE

pytestmark = pytest.mark.django_db


def problems() -> list[tuple[int | None, str]]:
    report = verify_chain()
    assert not report.ok
    return [(problem.seq, problem.kind) for problem in report.problems]


def test_an_untouched_log_verifies(append: Append) -> None:
    append(5)

    report = verify_chain()

    assert report.ok
    assert (report.entries, report.checkpoints, report.problems) == (5, 0, [])


def test_an_empty_log_verifies() -> None:
    assert verify_chain().ok


def test_it_names_an_entry_edited_in_place(append: Append) -> None:
    append(5)
    AuditEntry.objects.filter(seq=3).update(actor_id=CHARLIE)

    assert problems() == [(3, "edited")]
    assert "entry 3 was changed after it was written" in str(verify_chain().problems[0])


def test_it_names_an_entry_edited_and_rehashed_by_the_link_that_breaks_after_it(append: Append) -> None:
    append(5)
    entry = AuditEntry.objects.get(seq=3)
    entry.actor_id = CHARLIE
    entry.entry_hash = chain_hash(bytes(entry.prev_hash), entry_payload(entry))
    entry.save()

    assert problems() == [(4, "broken_link")]
    assert "at entry 3 or 4" in verify_chain().problems[0].message


def test_it_names_a_deleted_entry(append: Append) -> None:
    append(5)
    AuditEntry.objects.filter(seq=3).delete()

    assert problems() == [(3, "missing")]
    assert verify_chain().problems[0].message == "entry 3 is missing: deleted from the log"


def test_it_names_the_first_of_several_deleted_entries(append: Append) -> None:
    append(6)
    AuditEntry.objects.filter(seq__in=[2, 3, 4]).delete()

    assert problems() == [(2, "missing")]
    assert "entries 2 to 4 are missing" in verify_chain().problems[0].message


def test_it_names_a_forged_entry_inserted_in_the_middle(append: Append) -> None:
    append(5)
    # Make room at seq 3 the way a careful forger would, then chain a forged entry
    # correctly onto entry 2: the entry that was at 3 no longer links to it.
    for entry in AuditEntry.objects.filter(seq__gte=3).order_by("-seq"):
        AuditEntry.objects.filter(pk=entry.pk).update(seq=F("seq") + 1)
    entry_2 = AuditEntry.objects.get(seq=2)
    forged = AuditEntry(
        seq=3, actor_id=CHARLIE, code=100, object_type="user", object_id="x", created_at=entry_2.created_at
    )
    forged.prev_hash = bytes(entry_2.entry_hash)
    forged.entry_hash = chain_hash(forged.prev_hash, entry_payload(forged))
    forged.save()

    found = problems()

    assert found[0] == (4, "edited")
    assert (4, "broken_link") in found
    assert (3, "edited") not in found
    assert (6, "beyond_head") in found


def test_it_names_a_forged_entry_added_after_the_head(append: Append) -> None:
    append(3)
    last = AuditEntry.objects.get(seq=3)
    prev_hash = bytes(last.entry_hash)
    forged = AuditEntry(seq=4, actor_id=CHARLIE, code=100, created_at=last.created_at, prev_hash=prev_hash)
    forged.entry_hash = chain_hash(prev_hash, entry_payload(forged))
    forged.save()

    assert problems() == [(4, "beyond_head")]


def test_it_names_an_entry_numbered_before_the_start(append: Append) -> None:
    append(2)
    first = AuditEntry.objects.get(seq=1)
    AuditEntry.objects.create(
        seq=0, code=100, created_at=first.created_at, prev_hash=bytes(32), entry_hash=bytes(first.prev_hash)
    )

    assert problems() == [(0, "inserted")]


def test_it_names_two_swapped_entries(append: Append) -> None:
    append(5)
    AuditEntry.objects.filter(seq=3).update(seq=-1)
    AuditEntry.objects.filter(seq=4).update(seq=3)
    AuditEntry.objects.filter(seq=-1).update(seq=4)

    found = problems()

    # Entry 5 still links to the entry that now sits at 3, so its link breaks too.
    assert found[0][0] == 3
    assert {seq for seq, _kind in found} == {3, 4, 5}
    assert {(3, "broken_link"), (4, "broken_link"), (5, "broken_link")} <= set(found)


def test_it_names_a_truncated_tail(append: Append) -> None:
    append(5)
    AuditEntry.objects.filter(seq__gte=4).delete()

    assert problems() == [(4, "truncated")]
    assert "entries 4 to 5 are removed from the end" in verify_chain().problems[0].message


def test_a_checkpoint_reveals_a_truncated_tail_even_when_the_head_was_reset(append: Append) -> None:
    append(5)
    do_sign_checkpoint()
    AuditEntry.objects.filter(seq__gte=4).delete()
    entry_3 = AuditEntry.objects.get(seq=3)
    AuditHead.objects.update(seq=3, entry_hash=entry_3.entry_hash)

    assert problems() == [(5, "checkpoint_orphan")]


def test_it_names_a_replaced_head_entry(append: Append) -> None:
    append(3)
    AuditHead.objects.update(entry_hash=bytes(32))

    assert problems() == [(3, "head_mismatch")]


def test_it_reports_a_missing_head(append: Append) -> None:
    append(3)
    AuditHead.objects.all().delete()

    assert problems() == [(None, "head_missing")]


def test_it_reports_a_malformed_link_as_an_edit(append: Append) -> None:
    append(2)
    AuditEntry.objects.filter(seq=2).update(prev_hash=b"short")

    assert problems() == [(2, "edited"), (2, "broken_link")]


def test_a_problem_reads_as_a_sentence_with_its_seq() -> None:
    assert str(Problem(7, "missing", "entry 7 is missing")) == "seq 7: entry 7 is missing"
    assert str(Problem(None, "head_missing", "the head is missing")) == "the head is missing"


def test_checkpoints_are_compared_with_their_entries(append: Append) -> None:
    append(3)
    do_sign_checkpoint()
    append(2)

    report = verify_chain()

    assert report.ok
    assert (report.entries, report.checkpoints) == (5, 1)
    assert AuditCheckpoint.objects.get().seq == 3


def test_entries_appended_while_verify_runs_are_not_mistaken_for_tampering(
    append: Append, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "CHECKPOINT_EVERY", 4)
    append(3)
    walk_entries = verify.iter_entries

    def entries_then_a_concurrent_append(*args: Any, **kwargs: Any) -> Iterator[EntryRow]:
        yield from walk_entries(*args, **kwargs)
        append(2)

    monkeypatch.setattr(verify, "iter_entries", entries_then_a_concurrent_append)

    report = verify_chain()

    # The concurrent append also signed a checkpoint at entry 4, past the walk.
    assert report.ok
    assert (report.entries, report.checkpoints) == (3, 1)
