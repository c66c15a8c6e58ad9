"""Reading a backup back: its structure and hashes checked as it streams (verify and restore)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from refuge.ops.backup.container import BackupRefused, iter_records, open_data_key, read_header
from refuge.ops.backup.make import MANIFEST, META, ROW, TABLE, TABLE_END


@dataclass
class BackupContents:
    """What a backup says about itself, filled in as it is read."""

    backup_id: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    rows: int = 0


@dataclass(frozen=True)
class TableStart:
    label: str
    columns: list[str]


@dataclass(frozen=True)
class Row:
    label: str
    body: bytes


@dataclass(frozen=True)
class TableEnd:
    label: str
    rows: int
    sha256: str


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise BackupRefused("the backup is damaged (a record does not parse)") from None


def read_backup(
    source: BinaryIO, private_key: bytes, contents: BackupContents
) -> Iterator[TableStart | Row | TableEnd]:
    """Yield each table's start, rows and end; BackupRefused on any damage, checked as it comes.

    The manifest at the end must name exactly the tables read, with their row counts
    and SHA-256: a stream that authenticates but was written by a broken or hostile
    program (a table left out, rows missing) is refused as well.
    """
    header = read_header(source)
    contents.backup_id = header.backup_id
    records = iter_records(source, header, open_data_key(header, private_key))
    kind, body = next(records, (b"", b""))
    if kind != META:
        raise BackupRefused("the backup is damaged (it does not start with its description)")
    contents.meta = _json(body)
    current: str | None = None
    digest = hashlib.sha256()
    count = 0
    for kind, body in records:
        if kind == TABLE and current is None:
            start = _json(body)
            current, digest, count = str(start["table"]), hashlib.sha256(), 0
            if current in contents.tables:
                raise BackupRefused(f"the backup is damaged (table {current} appears twice)")
            yield TableStart(current, list(start["columns"]))
        elif kind == ROW and current is not None:
            digest.update(len(body).to_bytes(8, "big") + body)
            count += 1
            yield Row(current, body)
        elif kind == TABLE_END and current is not None:
            end = _json(body)
            if end != {"table": current, "rows": count, "sha256": digest.hexdigest()}:
                raise BackupRefused(f"the backup is damaged (table {current} does not match its hash)")
            contents.tables[current] = {"rows": count, "sha256": digest.hexdigest()}
            contents.rows += count
            yield TableEnd(current, count, digest.hexdigest())
            current = None
        elif kind == MANIFEST and current is None:
            manifest = _json(body)
            expected = {label: {"table": label, **entry} for label, entry in contents.tables.items()}
            if manifest != {"tables": expected, "rows": contents.rows} or list(contents.tables) != contents.meta.get(
                "tables"
            ):
                raise BackupRefused("the backup is damaged (its manifest does not match its tables)")
            if next(records, None) is not None:
                raise BackupRefused("the backup is damaged (data after its manifest)")
            return
        else:
            raise BackupRefused("the backup is damaged (records out of order)")
    raise BackupRefused("the backup is incomplete (it ends before its manifest)")


def verify_backup(source: BinaryIO, private_key: bytes) -> BackupContents:
    """Read a whole backup and check it without restoring anything."""
    contents = BackupContents()
    for _event in read_backup(source, private_key, contents):
        pass
    return contents
