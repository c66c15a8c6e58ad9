"""Audit events of operations: backup, restore and retention (block 7, docs/audit.md).

Declared here, in the lowest app that writes them, so that both refuge/ops (backup,
restore) and refuge/retention can record them; none carries content.
"""

from __future__ import annotations

from refuge.audit.codes import AppEvent, events_of


@events_of("retention", block=7)
class OperationsEvent(AppEvent):
    # The object is the backup's random id (printed by the command, in the file's header).
    BACKUP_MADE = 7000
    RESTORED = 7001
    # The object is the shredded case or request: its id only, which no longer opens anything.
    SHREDDED = 7002
    RULE_SET = 7003
    LEGAL_HOLD_SET = 7004
    LEGAL_HOLD_LIFTED = 7005
