"""`refuge restore`: a backup into an empty installation, all or nothing, then checked.

Everything happens in one database transaction: a backup found damaged at its last
byte, a restored audit log that does not verify, or rows that do not hash back to the
manifest roll back every row written, so a refused restore changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, BinaryIO

from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction

from refuge.accounts.models import Organisation, User
from refuge.audit.actions import record
from refuge.audit.verify import verify_chain, verify_export
from refuge.ops.backup.container import BackupRefused
from refuge.ops.backup.make import applied_migrations, secret_fingerprints
from refuge.ops.backup.read import BackupContents, Row, TableEnd, TableStart, read_backup
from refuge.ops.backup.tables import BATCH_BYTES, Table, backed_up_tables, decode_row, encode_row, iter_rows
from refuge.retention.audit_events import OperationsEvent

MAX_INSERT_ROWS = 500


def _check_empty() -> None:
    if Organisation.objects.exists() or User.objects.exists():
        raise BackupRefused(
            "this installation is not empty (it has organisations or accounts): restore only into a new one "
            "(`refuge init` with a new data directory or database)"
        )


def _check_meta(meta: dict[str, Any]) -> None:
    if meta.get("migrations") != applied_migrations():
        raise BackupRefused(
            f"this backup was made by Refuge {meta.get('refuge_version', '?')} with another database schema: "
            "install that version, run `refuge init` and restore, then upgrade (docs/operations.md)"
        )
    differing = sorted(
        name for name, value in secret_fingerprints().items() if meta.get("secrets", {}).get(name) != value
    )
    if differing:
        raise BackupRefused(
            f"this installation's secrets differ from the backup's ({', '.join(differing)}): copy the old "
            "installation's secrets into REFUGE_SECRETS_DIR before restoring (docs/operations.md)"
        )


class _Loader:
    """Writes one table's rows in batches bounded by bytes."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.batch: list[models.Model] = []
        self.bytes = 0

    def add(self, body: bytes) -> None:
        try:
            values = decode_row(self.table, body)
        except (ValueError, TypeError, KeyError):
            raise BackupRefused(f"the backup is damaged (a row of {self.table.label} does not parse)") from None
        self.batch.append(self.table.model(**values))
        self.bytes += len(body)
        if self.bytes >= BATCH_BYTES or len(self.batch) >= MAX_INSERT_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            self.table.model._base_manager.bulk_create(self.batch)
        self.batch, self.bytes = [], 0


def _clear(table: Table) -> None:
    """Remove the rows an empty installation still has (the pathways catalogue, the audit head)."""
    # One DELETE of the whole table, without Django's cascade collection: every table is
    # emptied in the same transaction, and the foreign keys are checked at its commit.
    table.model._base_manager.all()._raw_delete(connection.alias)


def _reset_sequences(tables: Iterable[Table]) -> None:
    """PostgreSQL: the next generated id follows the restored ones."""
    statements = connection.ops.sequence_reset_sql(no_style(), [table.model for table in tables])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _check_written(tables: list[Table], contents: BackupContents) -> None:
    """Read every restored table back and compare it with the manifest's hashes."""
    for table in tables:
        digest, count = hashlib.sha256(), 0
        for values in iter_rows(table):
            body = encode_row(table, values)
            digest.update(len(body).to_bytes(8, "big") + body)
            count += 1
        if contents.tables[table.label] != {"rows": count, "sha256": digest.hexdigest()}:
            raise BackupRefused(f"the restored table {table.label} does not match the backup")


def _check_audit(witness: list[str] | None) -> None:
    report = verify_chain()
    if not report.ok:
        raise BackupRefused("the backup's audit log does not verify (`refuge audit verify` would fail)")
    if witness is not None and not verify_export(witness).ok:
        # Threat: an old backup replayed to roll the organisation back (to access since
        # revoked, to cases since shredded). The witness holds checkpoints it lacks.
        raise BackupRefused(
            "the backup does not match the witness's audit export: it is older than the witness's last "
            "checkpoint (a replayed backup) or from another installation"
        )


def restore_backup(source: BinaryIO, private_key: bytes, *, witness: list[str] | None = None) -> BackupContents:
    """Restore a backup into this empty installation; BackupRefused (nothing changed) otherwise."""
    contents = BackupContents()
    targets = {table.label: table for table in backed_up_tables()}
    restored: list[Table] = []
    try:
        with transaction.atomic(durable=True):
            _check_empty()
            loader: _Loader | None = None
            for event in read_backup(source, private_key, contents):
                if isinstance(event, TableStart):
                    if not restored:
                        _check_meta(contents.meta)
                    table = targets.get(event.label)
                    if table is None or table.columns != event.columns:
                        raise BackupRefused(f"the backup's table {event.label} does not fit this installation")
                    _clear(table)
                    loader = _Loader(table)
                    restored.append(table)
                elif isinstance(event, Row) and loader is not None:
                    loader.add(event.body)
                elif isinstance(event, TableEnd) and loader is not None:
                    loader.flush()
            if not restored:
                _check_meta(contents.meta)
            _reset_sequences(restored)
            _check_written(restored, contents)
            _check_audit(witness)
            record(
                OperationsEvent.RESTORED,
                actor_id=None,
                organisation_id=None,
                object_type="backup",
                object_id=contents.backup_id,
            )
    except (KeyError, TypeError, ValueError):
        raise BackupRefused("the backup is damaged (its description does not parse)") from None
    except DatabaseError as error:
        raise BackupRefused(
            f"the backup's rows do not fit together ({type(error).__name__}): nothing was restored"
        ) from None
    return contents
