"""Which tables a backup holds, and how one row is written and read (database-neutral).

A row is one record: a JSON list of its columns' values (binary columns replaced by
their length, or null) followed by the binary values themselves, so that stored files
are carried as they are, not inflated by base64. The same encoding of a restored row
must give the same bytes: restore checks each table's SHA-256 against the manifest by
encoding the rows it wrote (on SQLite or PostgreSQL alike).
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models

# Not carried over: Django's own bookkeeping (recreated by `refuge init`), sessions
# (everyone signs in again on the new server; a session is no data), and the scheduler's
# job rows (the new installation runs its own jobs), and the brakes' per-minute counts
# (refuge/core/counters.py: a minute's counts mean nothing on another server a day later).
SKIPPED_APPS = frozenset({"auth", "contenttypes", "sessions"})
SKIPPED_MODELS = frozenset({"accounts.StaffSession", "scheduler.ScheduledJob", "core.MinuteCount"})

# Bytes of rows fetched or written at once: memory stays bounded whatever the table holds.
BATCH_BYTES = 16 * 1024 * 1024
MAX_BATCH_ROWS = 1000


@dataclass(frozen=True)
class Table:
    model: type[models.Model]
    fields: tuple[models.Field[Any, Any], ...]

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def columns(self) -> list[str]:
        return [field.attname for field in self.fields]


def backed_up_tables() -> list[Table]:
    """Every table of the installation that a backup holds, in a fixed order."""
    tables = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.app_label in SKIPPED_APPS or meta.label in SKIPPED_MODELS or not meta.managed or meta.proxy:
            continue
        # A generated column is computed by the database from the others: never written.
        fields = tuple(field for field in meta.concrete_fields if not getattr(field, "generated", False))
        tables.append(Table(model, fields))
    return sorted(tables, key=lambda table: table.label)


def _is_binary(field: models.Field[Any, Any]) -> bool:
    return isinstance(field, models.BinaryField)


def encode_row(table: Table, values: Sequence[Any]) -> bytes:
    """One row as a record body (see the module docstring)."""
    return b"".join(encode_row_parts(table, values))


def encode_row_parts(table: Table, values: Sequence[Any]) -> list[bytes | memoryview]:
    """encode_row's bytes in pieces: the head, then each binary value as the database gave it.

    A backup hashes and encrypts the pieces one after the other: a stored file of 10 MiB is
    never copied into a joined record first (issue #15, backup throughput).
    """
    clear: list[Any] = []
    blobs: list[bytes | memoryview] = []
    for field, value in zip(table.fields, values, strict=True):
        if _is_binary(field):
            if value is None:
                clear.append(None)
            else:
                blob = value if isinstance(value, bytes | memoryview) else bytes(value)
                clear.append(len(blob))
                blobs.append(blob)
        else:
            clear.append(_plain(value))
    head = json.dumps(clear, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return [len(head).to_bytes(4, "big") + head, *blobs]


def decode_row(table: Table, body: bytes) -> dict[str, Any]:
    """A record body back to {attname: value} for the target database; ValueError if malformed."""
    head_length = int.from_bytes(body[:4], "big")
    clear = json.loads(body[4 : 4 + head_length])
    if not isinstance(clear, list) or len(clear) != len(table.fields):
        raise ValueError("row does not match the table")
    position = 4 + head_length
    row: dict[str, Any] = {}
    for field, value in zip(table.fields, clear, strict=True):
        if _is_binary(field):
            if value is None:
                row[field.attname] = None
                continue
            if not isinstance(value, int) or value < 0 or position + value > len(body):
                raise ValueError("row does not match the table")
            row[field.attname] = body[position : position + value]
            position += value
        else:
            row[field.attname] = None if value is None else field.to_python(value)
    if position != len(body):
        raise ValueError("row does not match the table")
    return row


def _plain(value: Any) -> Any:
    """A column value as JSON, the same on SQLite and PostgreSQL."""
    if isinstance(value, datetime.datetime):
        # Aware and in UTC on both databases (USE_TZ, TIME_ZONE = "UTC").
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def iter_rows(table: Table) -> Iterator[tuple[Any, ...]]:
    """Every row in primary-key order, fetched in pages whose size keeps memory bounded.

    Pages are read by key (pk > last), not by offset: each query costs the same, and no
    server-side cursor is needed. A page starts at one row and grows while rows are
    small, so a table of stored files is read a few rows at a time and a table of audit
    entries a thousand at a time.
    """
    manager = table.model._base_manager
    pk = table.model._meta.pk
    if pk is None:  # every concrete Django model has one
        raise ValueError(f"{table.label} has no primary key")
    index = table.columns.index(pk.attname)
    last: Any = None
    page = 1
    while True:
        query = manager.order_by(pk.attname)
        if last is not None:
            query = query.filter(**{f"{pk.attname}__gt": last})
        rows = list(query.values_list(*table.columns)[:page])
        yield from rows
        if len(rows) < page:
            return
        last = rows[-1][index]
        size = sum(len(value) for row in rows for value in row if isinstance(value, bytes | memoryview))
        average = max(1, size // len(rows)) + 100
        page = max(1, min(MAX_BATCH_ROWS, BATCH_BYTES // average))
