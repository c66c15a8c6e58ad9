"""Backup → wipe → restore with the demo data and files: everything decrypts identically after.

Runs on SQLite and, with REFUGE_TEST_DATABASE=postgres, on PostgreSQL (the snapshot and
the sequences differ there). Transactional tests: the backup takes its own snapshot
transaction and the restore its own, as they do in production.
"""

from __future__ import annotations

import io

import pytest

from refuge.accounts.models import Organisation
from refuge.audit.models import AuditEntry
from refuge.audit.verify import verify_chain
from refuge.cases.models import CaseDocument
from refuge.ops.backup.read import verify_backup
from refuge.ops.backup.restore import restore_backup
from refuge.retention.audit_events import OperationsEvent
from tests.ops.backup_support import BIG_FILE, backup_bytes, make_demo, plaintexts, table_digests, wipe

pytestmark = pytest.mark.django_db(transaction=True)

AUDIT_TABLES = ("audit.AuditEntry", "audit.AuditHead", "audit.AuditCheckpoint")


def test_a_restored_installation_decrypts_every_case_compartment_and_file_identically() -> None:
    demo = make_demo()
    before = plaintexts(demo.recovery_key)
    rows_before = table_digests(skip=AUDIT_TABLES)
    audit_before = list(AuditEntry.objects.order_by("seq").values_list("seq", "entry_hash"))
    labels = {label for label, _pk, _column in before}
    assert {"intake.HelpRequest", "cases.Case", "cases.Compartment", "cases.CaseDocument"} <= labels
    assert BIG_FILE in before.values()

    backup = backup_bytes()
    assert AuditEntry.objects.order_by("-seq").values_list("code", flat=True)[0] == OperationsEvent.BACKUP_MADE
    wipe()
    assert not Organisation.objects.exists() and not CaseDocument.objects.exists()

    contents = restore_backup(io.BytesIO(backup), demo.recovery_key)

    assert plaintexts(demo.recovery_key) == before
    assert table_digests(skip=AUDIT_TABLES) == rows_before
    restored_audit = list(AuditEntry.objects.order_by("seq").values_list("seq", "entry_hash"))
    assert [(seq, bytes(digest)) for seq, digest in restored_audit[: len(audit_before)]] == [
        (seq, bytes(digest)) for seq, digest in audit_before
    ]
    assert AuditEntry.objects.order_by("-seq").values_list("code", flat=True)[0] == OperationsEvent.RESTORED
    assert verify_chain().ok
    assert contents.rows == sum(entry["rows"] for entry in contents.tables.values())


def test_verify_reads_a_backup_through_without_changing_anything() -> None:
    demo = make_demo()
    backup = backup_bytes()
    rows_before = table_digests()
    contents = verify_backup(io.BytesIO(backup), demo.recovery_key)
    assert contents.tables["cases.CaseDocument"]["rows"] == 2
    assert contents.meta["database"] in {"sqlite", "postgresql"}
    assert table_digests() == rows_before
