"""Personas and tampering helpers shared by the audit tests."""

from __future__ import annotations

import uuid

from refuge.audit.chain import GENESIS_HASH, entry_payload
from refuge.audit.models import AuditEntry, AuditHead
from refuge.crypto import chain_hash

# The personas of tests/personas.py, reduced to the ids the log holds: Alice
# works for "north"; Charlie for "south". No users are needed to test the log.
ALICE = uuid.UUID("a11ce000-0000-4000-8000-000000000001")
CHARLIE = uuid.UUID("c4a71e00-0000-4000-8000-000000000002")
NORTH = uuid.UUID("00000000-0000-4000-8000-00000000000a")
SOUTH = uuid.UUID("00000000-0000-4000-8000-00000000000b")


def rechain(*, edit_seq: int) -> None:
    """Rewrite the log as an attacker with database access would: edit one entry, re-hash all."""
    previous = GENESIS_HASH
    for entry in AuditEntry.objects.order_by("seq"):
        if entry.seq == edit_seq:
            entry.actor_id = CHARLIE
        entry.prev_hash = previous
        entry.entry_hash = chain_hash(previous, entry_payload(entry))
        entry.save()
        previous = entry.entry_hash
    AuditHead.objects.filter(id=1).update(entry_hash=previous)
