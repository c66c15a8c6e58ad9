"""Reading entries and checkpoints in seq order, a chunk at a time (bounded memory)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from django.db.models import Max

from refuge.audit.models import AuditCheckpoint, AuditEntry, AuditHead

CHUNK = 1000

Row = TypeVar("Row")


class EntryRow(NamedTuple):
    """The stored fields of one entry, bytes already unwrapped from memoryview."""

    seq: int
    organisation_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    code: int
    object_type: str
    object_id: str
    created_at: datetime
    prev_hash: bytes
    entry_hash: bytes


class CheckpointRow(NamedTuple):
    """The stored fields of one checkpoint."""

    seq: int
    entry_hash: bytes
    signed_at: datetime
    signature: bytes
    public_key: bytes


def iter_entries(after_seq: int | None = None, upto_seq: int | None = None) -> Iterator[EntryRow]:
    """Yield entries with after_seq < seq <= upto_seq (None: no bound) in seq order."""
    yield from _in_seq_order(AuditEntry, EntryRow._fields, _entry, after_seq, upto_seq)


def iter_checkpoints(after_seq: int | None = None, upto_seq: int | None = None) -> Iterator[CheckpointRow]:
    """Yield checkpoints with after_seq < seq <= upto_seq (None: no bound) in seq order."""
    yield from _in_seq_order(AuditCheckpoint, CheckpointRow._fields, _checkpoint, after_seq, upto_seq)


def _in_seq_order(
    model: type[AuditEntry] | type[AuditCheckpoint],
    fields: tuple[str, ...],
    make: Callable[[tuple[Any, ...]], Row],
    after_seq: int | None,
    upto_seq: int | None,
) -> Iterator[Row]:
    """Yield the model's rows with after_seq < seq <= upto_seq in seq order, CHUNK at a time."""
    # Keyset pagination rather than one cursor: same memory on SQLite and
    # PostgreSQL, and no long-lived read transaction on a busy log.
    while True:
        query = model.objects.order_by("seq")
        if after_seq is not None:
            query = query.filter(seq__gt=after_seq)
        if upto_seq is not None:
            query = query.filter(seq__lte=upto_seq)
        rows = list(query.values_list(*fields)[:CHUNK])
        for row in rows:
            yield make(row)
        if len(rows) < CHUNK:
            return
        after_seq = rows[-1][0]


def latest_checkpoint() -> CheckpointRow | None:
    """Return the checkpoint with the highest seq, if any."""
    row = AuditCheckpoint.objects.order_by("-seq").values_list(*CheckpointRow._fields).first()
    if row is None:
        return None
    return _checkpoint(row)


def entry_at(seq: int) -> EntryRow | None:
    """Return the entry at seq, if there is one."""
    row = AuditEntry.objects.filter(seq=seq).values_list(*EntryRow._fields).first()
    if row is None:
        return None
    return _entry(row)


def highest_seq() -> int | None:
    """Return the highest seq stored, if any entry is."""
    return AuditEntry.objects.aggregate(top=Max("seq"))["top"]


def head_row() -> tuple[int, bytes] | None:
    """Return the head's (seq, entry_hash), or None if there is no head row."""
    row = AuditHead.objects.filter(id=1).values_list("seq", "entry_hash").first()
    return None if row is None else (row[0], bytes(row[1]))


def _entry(row: tuple[Any, ...]) -> EntryRow:
    # BinaryField values are memoryview on PostgreSQL: compare bytes, not views.
    seq, organisation_id, actor_id, code, object_type, object_id, created_at, prev_hash, entry_hash = row
    return EntryRow(
        seq, organisation_id, actor_id, code, object_type, object_id, created_at, bytes(prev_hash), bytes(entry_hash)
    )


def _checkpoint(row: tuple[Any, ...]) -> CheckpointRow:
    seq, entry_hash, signed_at, signature, public_key = row
    return CheckpointRow(seq, bytes(entry_hash), signed_at, bytes(signature), bytes(public_key))
