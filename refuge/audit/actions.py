"""Appending to the audit log. Called by other apps' actions, inside their transaction."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from refuge.audit.chain import entry_payload
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry, AuditHead
from refuge.crypto import chain_hash

GENESIS_HASH = bytes(32)


def record(
    event: AuditEvent,
    *,
    actor_id: uuid.UUID | None,
    organisation_id: uuid.UUID | None,
    object_type: str = "",
    object_id: str | uuid.UUID = "",
) -> AuditEntry:
    """Append one entry to the chain; must run inside the caller's transaction."""
    # Appending outside a transaction could leave an entry for an act that was
    # rolled back, or an act without its entry.
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside transaction.atomic()")
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1, defaults={"entry_hash": GENESIS_HASH})
    entry = AuditEntry(
        seq=head.seq + 1,
        organisation_id=organisation_id,
        actor_id=actor_id,
        code=int(event),
        object_type=object_type,
        object_id=str(object_id),
        created_at=timezone.now().replace(microsecond=0),
        prev_hash=bytes(head.entry_hash),
    )
    entry.entry_hash = chain_hash(entry.prev_hash, entry_payload(entry))
    entry.save(force_insert=True)
    AuditHead.objects.filter(id=1).update(seq=entry.seq, entry_hash=entry.entry_hash)
    return entry
