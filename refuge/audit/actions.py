"""Appending to the audit log and signing checkpoints over its head.

Checkpoints: record() signs one automatically whenever an entry's seq is a
multiple of CHECKPOINT_EVERY, inside the same transaction and under the same
head lock (Ed25519 costs tens of microseconds). `refuge audit checkpoint` and
`refuge audit export` sign the current head on demand, so a quiet installation
is still covered. A checkpoint covers the head as it was when signed; signing
writes no audit entry of its own, because that entry would move the head past
the checkpoint that describes it.
"""

from __future__ import annotations

import logging
import re
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from refuge.audit.chain import GENESIS_HASH, checkpoint_message, entry_payload
from refuge.audit.events import AuditEvent
from refuge.audit.keys import installation_private_key, installation_public_key
from refuge.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from refuge.audit.verify import verify_since_checkpoint
from refuge.core.errors import UserError
from refuge.crypto import chain_hash, sign

__all__ = ["CHECKPOINT_EVERY", "GENESIS_HASH", "do_sign_checkpoint", "record"]

logger = logging.getLogger(__name__)

CHECKPOINT_EVERY = 100

# Only identifiers may enter the log, never names, e-mail addresses or free
# text: the log is kept in clear and outlives crypto-shredded cases.
_OBJECT_TYPE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_OBJECT_ID = re.compile(r"[A-Za-z0-9_:-]{0,64}")


def record(
    event: AuditEvent,
    *,
    actor_id: uuid.UUID | None,
    organisation_id: uuid.UUID | None,
    object_type: str = "",
    object_id: str | int | uuid.UUID = "",
) -> AuditEntry:
    """Append one entry to the chain; must run inside the caller's transaction."""
    # Appending outside a transaction could leave an entry for an act that was
    # rolled back, or an act without its entry.
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside transaction.atomic()")
    object_id = str(object_id)
    if object_type and not _OBJECT_TYPE.fullmatch(object_type):
        raise ValueError("audit object_type must be a lowercase identifier")
    if not _OBJECT_ID.fullmatch(object_id):
        raise ValueError("audit object_id must be an id (letters, digits, '-', '_', ':'), never personal data")
    head, _created = AuditHead.objects.select_for_update().get_or_create(id=1, defaults={"entry_hash": GENESIS_HASH})
    prev_hash = bytes(head.entry_hash)
    entry = AuditEntry(
        seq=head.seq + 1,
        organisation_id=organisation_id,
        actor_id=actor_id,
        code=int(event),
        object_type=object_type,
        object_id=object_id,
        created_at=timezone.now().replace(microsecond=0),
        prev_hash=prev_hash,
    )
    entry_hash = chain_hash(prev_hash, entry_payload(entry))
    entry.entry_hash = entry_hash
    entry.save(force_insert=True)
    AuditHead.objects.filter(id=1).update(seq=entry.seq, entry_hash=entry_hash)
    if entry.seq % CHECKPOINT_EVERY == 0:
        _auto_checkpoint(entry.seq, entry_hash)
    return entry


def do_sign_checkpoint() -> AuditCheckpoint:
    """Sign the current head with the installation key, after checking the chain up to it."""
    with transaction.atomic():
        # Holding the head lock: no entry can be appended between check and signature.
        head = AuditHead.objects.select_for_update().filter(id=1).first()
        if head is None or head.seq == 0:
            raise UserError("audit_log_empty", _("The audit log is empty: there is nothing to sign yet."))
        head_hash = bytes(head.entry_hash)
        # Threat: signing over a tail someone re-chained in the database would
        # turn their rewrite into signed history, so the chain is checked first.
        if not verify_since_checkpoint(head.seq, head_hash).ok:
            raise UserError(
                "audit_chain_broken",
                _(
                    "The audit log does not verify since its last checkpoint, so nothing was signed. Run `refuge audit verify`."
                ),
            )
        existing = AuditCheckpoint.objects.filter(seq=head.seq).first()
        return existing if existing is not None else _sign(head.seq, head_hash)


def _auto_checkpoint(seq: int, entry_hash: bytes) -> None:
    # Same check as do_sign_checkpoint, but a broken chain must not block the
    # caller's casework: log it (no personal data: only a seq) and sign nothing.
    # `refuge audit verify` names the problem.
    if not verify_since_checkpoint(seq, entry_hash).ok:
        logger.error("audit log does not verify since its last checkpoint; checkpoint at entry %d not signed", seq)
        return
    _sign(seq, entry_hash)


def _sign(seq: int, entry_hash: bytes) -> AuditCheckpoint:
    signed_at = timezone.now().replace(microsecond=0)
    signature = sign(installation_private_key(), checkpoint_message(seq, entry_hash, signed_at))
    return AuditCheckpoint.objects.create(
        seq=seq,
        entry_hash=entry_hash,
        signed_at=signed_at,
        signature=signature,
        public_key=installation_public_key(),
    )
