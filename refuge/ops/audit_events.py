"""Audit events of operations: backup and restore (block 7, docs/audit.md)."""

from __future__ import annotations

from refuge.audit.codes import AppEvent, events_of


@events_of("ops", block=7)
class OpsEvent(AppEvent):
    # The object is the backup's random id (printed by the command, in the file's header).
    BACKUP_MADE = 7000
    RESTORED = 7001
