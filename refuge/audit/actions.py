"""Appending to the audit log and signing checkpoints over its head.

Checkpoints: record() signs one automatically whenever an entry's seq is a
multiple of CHECKPOINT_EVERY, inside the same transaction and under the same
head lock (Ed25519 costs tens of microseconds). `refuge audit checkpoint` and
`refuge audit export` sign the current head on demand, so a quiet installation
is still covered. A checkpoint covers the head as it was when signed; signing
writes no audit entry of its own, because that entry would move the head past
the checkpoint that describes it.

Requester acts: `record_requester_act` holds an anonymous requester's entry, to
the hour, until its hour has ended; it then joins the chain in a shuffled batch
(docs/threat-model.md, "Requester times").
"""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from datetime import datetime
from enum import IntEnum

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from refuge.audit.chain import GENESIS_HASH, checkpoint_message, entry_payload
from refuge.audit.codes import registry
from refuge.audit.keys import installation_private_key, installation_public_key
from refuge.audit.models import AuditCheckpoint, AuditEntry, AuditHead, HeldEntry
from refuge.audit.verify import verify_since_checkpoint
from refuge.core.errors import UserError
from refuge.core.jobs import register
from refuge.core.rows import insert_new_rows
from refuge.crypto import chain_hash, sign

__all__ = [
    "CHECKPOINT_EVERY",
    "GENESIS_HASH",
    "do_sign_checkpoint",
    "flush_held_entries",
    "hour_of",
    "record",
    "record_requester_act",
]

logger = logging.getLogger(__name__)

CHECKPOINT_EVERY = 100

# Only identifiers may enter the log, never names, e-mail addresses or free
# text: the log is kept in clear and outlives crypto-shredded cases.
_OBJECT_TYPE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_OBJECT_ID = re.compile(r"[A-Za-z0-9_:-]{0,64}")


def record(
    event: IntEnum,
    *,
    actor_id: uuid.UUID | None,
    organisation_id: uuid.UUID | None,
    object_type: str = "",
    object_id: str | int | uuid.UUID = "",
) -> AuditEntry:
    """Append one entry to the chain; must run inside the caller's transaction."""
    _require_transaction()
    code = registry.check(event)
    object_id = _checked_object(object_type, object_id)
    head = _locked_head()
    now = timezone.now().replace(microsecond=0)
    # Requester acts of hours that have ended go in first: they belong before this act.
    _chain_ended_hours(head, hour_of(now))
    entry = _append(
        head,
        organisation_id=organisation_id,
        actor_id=actor_id,
        code=code,
        object_type=object_type,
        object_id=object_id,
        created_at=now,
    )
    return entry


def record_requester_act(
    event: IntEnum, *, organisation_id: uuid.UUID | None, object_type: str = "", object_id: str | int | uuid.UUID = ""
) -> HeldEntry:
    """Hold an anonymous requester's act until its hour ends; must run inside the caller's transaction.

    Threat: a seized database matched against an ISP's flow logs. An entry stamped to
    the second, or placed in the chain between two staff acts stamped to the second,
    would tell within seconds when someone submitted a request or wrote a message.
    This entry keeps only the hour, and joins the chain (in a shuffled batch with the
    rest of its hour) only after that hour has ended: `flush_held_entries`, or the
    first audit write of a later hour. Until then it is not covered by the chain or by
    a checkpoint (docs/audit.md).
    """
    _require_transaction()
    code = registry.check(event)
    object_id = _checked_object(object_type, object_id)
    hour = hour_of(timezone.now())
    _chain_ended_hours(None, hour)
    global _none_held_before
    if _none_held_before is not None and hour < _none_held_before:
        _none_held_before = None  # only when the clock went back
    held = HeldEntry(
        organisation_id=organisation_id, code=code, object_type=object_type, object_id=object_id, hour=hour
    )
    # One INSERT whose SQL is written once per process (on every submission and message);
    # the row's id is left to the database and not read back: nothing uses it before chaining.
    insert_new_rows([held])
    return held


def flush_held_entries() -> int:
    """Append every held requester entry of an hour that has ended; return how many.

    Run by `refuge audit flush`, before each checkpoint, and by any audit write; a
    scheduler should run it a few minutes after each hour, so that a quiet hour's
    requester acts are chained (and then signed) without waiting for the next act.
    """
    with transaction.atomic():
        return _append_held(_locked_head(), before=hour_of(timezone.now()))


def hour_of(moment: datetime) -> datetime:
    """The moment rounded down to its hour: requester times are never kept more exactly."""
    return moment.replace(minute=0, second=0, microsecond=0)


def do_sign_checkpoint() -> AuditCheckpoint:
    """Sign the current head with the installation key, after checking the chain up to it."""
    with transaction.atomic():
        # Holding the head lock: no entry can be appended between check and signature.
        head = _locked_head()
        # A checkpoint (and so an export) covers the requester acts of every ended hour.
        _append_held(head, before=hour_of(timezone.now()))
        if head.seq == 0:
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


def _require_transaction() -> None:
    # Appending outside a transaction could leave an entry for an act that was
    # rolled back, or an act without its entry.
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside transaction.atomic()")


def _checked_object(object_type: str, object_id: str | int | uuid.UUID) -> str:
    object_id = str(object_id)
    if object_type and not _OBJECT_TYPE.fullmatch(object_type):
        raise ValueError("audit object_type must be a lowercase identifier")
    if not _OBJECT_ID.fullmatch(object_id):
        raise ValueError("audit object_id must be an id (letters, digits, '-', '_', ':'), never personal data")
    return object_id


def _locked_head() -> AuditHead:
    head, _created = AuditHead.objects.select_for_update().get_or_create(id=1, defaults={"entry_hash": GENESIS_HASH})
    return head


# The opportunistic paths (every record(), every requester act) look for held entries
# of ended hours at most once an hour per process. A held entry is stamped with the hour
# in which it was written, so once none is found before hour H, none appears before H
# until H ends, except one whose transaction began before H and committed after the
# look: it waits for the next hour's look, a checkpoint or `refuge audit flush`, which
# always look. Waiting longer never places an entry earlier in the chain.
_none_held_before: datetime | None = None


def _chain_ended_hours(head: AuditHead | None, hour: datetime) -> None:
    """Chain the held entries of hours before `hour`, if this process may not have yet."""
    global _none_held_before
    if _none_held_before == hour:
        return
    if head is None:
        # A requester act: the head is locked only when there is something to chain.
        if not HeldEntry.objects.filter(hour__lt=hour).exists():
            _none_held_before = hour
            return
        head = _locked_head()
    if not _append_held(head, before=hour):
        # Only when nothing was chained: a chaining rolled back with its act leaves them held.
        _none_held_before = hour


def _append_held(head: AuditHead, *, before: datetime) -> int:
    """Append held requester entries of hours before `before`, shuffled, under the head lock."""
    # Read under the head lock, so two writers never append the same held entry.
    held = list(HeldEntry.objects.filter(hour__lt=before))
    if not held:
        return 0
    # The order they were held in is the order they happened: it must not reach the chain.
    secrets.SystemRandom().shuffle(held)
    held.sort(key=lambda entry: entry.hour)
    for entry in held:
        _append(
            head,
            organisation_id=entry.organisation_id,
            actor_id=None,
            code=entry.code,
            object_type=entry.object_type,
            object_id=entry.object_id,
            created_at=entry.hour,
        )
    HeldEntry.objects.filter(pk__in=[entry.pk for entry in held]).delete()
    return len(held)


def _append(
    head: AuditHead,
    *,
    organisation_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    code: int,
    object_type: str,
    object_id: str,
    created_at: datetime,
) -> AuditEntry:
    """Chain one entry after the head (held locked by the caller) and move the head to it."""
    prev_hash = bytes(head.entry_hash)
    entry = AuditEntry(
        seq=head.seq + 1,
        organisation_id=organisation_id,
        actor_id=actor_id,
        code=code,
        object_type=object_type,
        object_id=object_id,
        created_at=created_at,
        prev_hash=prev_hash,
    )
    entry_hash = chain_hash(prev_hash, entry_payload(entry))
    entry.entry_hash = entry_hash
    entry.save(force_insert=True)
    head.seq, head.entry_hash = entry.seq, entry_hash
    AuditHead.objects.filter(id=1).update(seq=entry.seq, entry_hash=entry_hash)
    if entry.seq % CHECKPOINT_EVERY == 0:
        _auto_checkpoint(entry.seq, entry_hash)
    return entry


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


@register("audit-held-entries", every=300, lease=120)
def chain_held_entries() -> str:
    """The scheduled flush: a quiet hour's requester acts are chained (and then signed) within
    minutes of the hour's end, not at the next audit write. Idempotent: nothing held, nothing done."""
    return f"{flush_held_entries()} held entries chained"
