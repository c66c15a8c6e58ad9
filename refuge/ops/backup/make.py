"""`refuge backup`: one file holding a consistent snapshot of the installation.

Why a logical export and not the SQLite backup API or pg_dump: one format restores into
either database (a move from SQLite to PostgreSQL is a restore), the manifest's hashes
are of rows, so the restored database itself is checked against them, and memory stays
bounded. Consistency is the database's own: on PostgreSQL one REPEATABLE READ, READ ONLY
transaction (the snapshot pg_dump takes), on SQLite one read transaction in WAL mode
(a snapshot too). Either way the server keeps serving and writing while it runs.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from refuge.accounts.models import Organisation
from refuge.audit.actions import record
from refuge.ops.backup.container import frame, write_backup
from refuge.ops.backup.tables import backed_up_tables, encode_row_parts, iter_rows
from refuge.retention.audit_events import OperationsEvent

# Record kinds of the payload, in the order they come.
META, TABLE, ROW, TABLE_END, MANIFEST = b"M", b"T", b"R", b"E", b"Z"


@dataclass
class BackupReport:
    backup_id: str = ""
    rows: int = 0
    tables: dict[str, dict[str, object]] = field(default_factory=dict)


def applied_migrations() -> list[str]:
    """The schema a backup belongs to: every applied migration, as app.name."""
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())


def secret_fingerprints() -> dict[str, str]:
    """Which installation secrets the data depends on, as one-way fingerprints.

    The secrets are not in the backup (docs/operations.md: kept apart, so that one copy
    opens nothing): restore compares these to refuse a server with other secrets, on
    which the blind indexes, receipts and audit checkpoints would no longer work.
    """
    secrets = {
        "server_key": settings.REFUGE_SERVER_KEY,
        "receipt_pepper": settings.REFUGE_RECEIPT_PEPPER,
        "audit_signing_key": settings.REFUGE_AUDIT_SIGNING_KEY,
    }
    return {
        name: hashlib.sha256(b"refuge-backup-secret-fingerprint\x00" + name.encode() + b"\x00" + value).hexdigest()
        for name, value in secrets.items()
    }


def recipients(extra: list[bytes]) -> list[bytes]:
    """Every organisation's recovery public key, then the configured and given backup keys."""
    keys = [
        bytes(key)
        for key in Organisation.objects.order_by("created_on", "id").values_list("recovery_public_key", flat=True)
    ]
    return [*keys, *settings.REFUGE_BACKUP_PUBLIC_KEYS, *extra]


@contextmanager
def snapshot() -> Iterator[None]:
    """A consistent, read-only view of the whole database while the server keeps writing."""
    if connection.in_atomic_block:
        # Already inside a transaction (a test's): its view is the snapshot.
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic(durable=True), connection.cursor() as cursor:
            # The first statement of the transaction: every later query sees the same snapshot.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    # SQLite: Django would begin with BEGIN IMMEDIATE (a write lock, stopping every writer
    # for the whole backup). A deferred read transaction in WAL mode is a snapshot that
    # writers do not wait for; it begins at its first read.
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            cursor.execute("ROLLBACK")


def _payload(report: BackupReport) -> Iterator[bytes | memoryview]:
    tables = backed_up_tables()
    meta = {
        "created_at": timezone.now().isoformat(),
        "refuge_version": version("refuge"),
        "database": connection.vendor,
        "migrations": applied_migrations(),
        "secrets": secret_fingerprints(),
        "tables": [table.label for table in tables],
    }
    yield frame(META, json.dumps(meta, sort_keys=True).encode())
    for table in tables:
        yield frame(TABLE, json.dumps({"table": table.label, "columns": table.columns}).encode())
        digest = hashlib.sha256()
        count = 0
        for values in iter_rows(table):
            # The record is frame(ROW, encode_row(...)), handed over in its pieces (no joined copy).
            parts = encode_row_parts(table, values)
            size = sum(len(part) for part in parts)
            digest.update(size.to_bytes(8, "big"))
            for part in parts:
                digest.update(part)
            count += 1
            yield ROW + size.to_bytes(4, "big")
            yield from parts
        entry = {"table": table.label, "rows": count, "sha256": digest.hexdigest()}
        report.tables[table.label] = entry
        report.rows += count
        yield frame(TABLE_END, json.dumps(entry).encode())
    yield frame(MANIFEST, json.dumps({"tables": report.tables, "rows": report.rows}, sort_keys=True).encode())


def make_backup(sink: BinaryIO, *, extra_recipients: list[bytes]) -> BackupReport:
    """Write a backup of the whole installation to sink; audited once it is complete."""
    report = BackupReport()
    with snapshot():
        keys = recipients(extra_recipients)
        if not keys:
            raise ValueError("no organisation and no backup key: nobody could open this backup")
        report.backup_id = write_backup(sink, keys, _payload(report))
    with transaction.atomic():
        record(
            OperationsEvent.BACKUP_MADE,
            actor_id=None,
            organisation_id=None,
            object_type="backup",
            object_id=report.backup_id,
        )
    return report


def write_backup_file(path: Path, *, extra_recipients: list[bytes]) -> BackupReport:
    """make_backup into path: written beside it, synced, then renamed, so a file at path is always whole."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as sink:
            report = make_backup(sink, extra_recipients=extra_recipients)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return report
