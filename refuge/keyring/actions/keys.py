"""New keys: prepared outside a transaction, stored with their first wraps; the blind-index keys of an organisation."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Required, TypedDict, Unpack

from django.db import transaction

from refuge.audit.events import AuditEvent
from refuge.core.rows import insert_new_rows
from refuge.crypto import generate_keypair, random_key
from refuge.keyring.actions.base import audit_key, check_actor, check_member, unique_members
from refuge.keyring.holders import Member, Organisation, lock_organisation, new_key
from refuge.keyring.models import Key, KeyWrap, Purpose
from refuge.keyring.wraps import all_wraps

_FIELD_NAME = re.compile(r"[a-z0-9_]{1,48}")


@dataclasses.dataclass(frozen=True)
class NewKey:
    """A key made and wrapped for its holders but not yet written (see `prepare_key`)."""

    key: Key
    secret: bytes = dataclasses.field(repr=False)
    wraps: list[KeyWrap] = dataclasses.field(repr=False)


class KeySpec(TypedDict, total=False):
    """A new key: who makes it, of which organisation, for what, and whom it is wrapped for besides recovery."""

    actor: Required[Member | None]
    organisation: Required[Organisation]
    purpose: Required[Purpose | str]
    label: str
    members: Iterable[Member]
    # An X25519 keypair (intake-group keys are always one), not a 32-byte secret.
    keypair: bool
    groups: Iterable[Key]
    requester_public_key: bytes | None


def prepare_key(**spec: Unpack[KeySpec]) -> NewKey:
    """Check the holders, make the secret and seal its wraps, without touching the database.

    The crypto runs before the caller's transaction begins, so that a transaction that
    holds a lock (SQLite's one write lock, PostgreSQL's row locks) spends its time on
    INSERTs only. `do_store_key` writes the result.
    """
    organisation, purpose = spec["organisation"], Purpose(spec["purpose"])
    keypair, requester_public_key = spec.get("keypair", False), spec.get("requester_public_key")
    check_actor(spec["actor"], organisation.pk)
    holders = unique_members(spec.get("members", ()))
    groups = list(spec.get("groups", ()))
    if purpose == Purpose.BLIND_INDEX and (holders or keypair or groups or requester_public_key):
        # The server computes every blind index; a member holding the key could only
        # use it to test guesses against a seized dump ("is Ivan Petrov a requester?").
        raise ValueError("blind-index keys are held by the server and recovery only")
    for member in holders:
        check_member(organisation.pk, member)
    if keypair or purpose == Purpose.INTAKE_GROUP:
        pair = generate_keypair()
        secret, public = pair.private, pair.public
    else:
        secret, public = random_key(), None
    # The id is made here (uuid4), so the wraps can name their key before it is saved.
    key = new_key(organisation, purpose=purpose, label=spec.get("label", ""), public_key=public)
    return NewKey(key, secret, all_wraps(key, secret, holders, groups, requester_public_key))


def do_store_key(new: NewKey, *, actor: Member | None, audited_by_caller: bool = False) -> Key:
    """Write a prepared key and its wraps, with a KEY_CREATED entry unless the caller's entry stands for it.

    `audited_by_caller=True` is for an action whose own audit entry, written in the same
    transaction, names the object the key was made for (docs/audit.md: a request's
    REQUEST_RECEIVED stands for the creation of its record key).
    """
    # No savepoint inside a caller's transaction: a failure here fails the whole action anyway.
    with transaction.atomic(savepoint=False):
        insert_new_rows([new.key])
        insert_new_rows(new.wraps)
        if not audited_by_caller:
            audit_key(AuditEvent.KEY_CREATED, actor, new.key)
    return new.key


def do_create_key(*, audited_by_caller: bool = False, **spec: Unpack[KeySpec]) -> tuple[Key, bytes]:
    """Create a key wrapped for members, groups, a requester and recovery (and the server for blind indexes)."""
    new = prepare_key(**spec)
    do_store_key(new, actor=spec["actor"], audited_by_caller=audited_by_caller)
    return new.key, new.secret


def do_ensure_blind_index_key(*, actor: Member | None, organisation: Organisation, field: str) -> Key:
    """Return the organisation's blind-index key for field, creating it the first time.

    Organisations get their keys when they are created (refuge.accounts.actions); this
    is the fallback for older ones and new fields, and locks only when the key is missing.
    """
    if not _FIELD_NAME.fullmatch(field):
        raise ValueError("field must be 1-48 characters of a-z, 0-9 and _")
    label = f"blind-index:{field}"
    keys = Key.objects.filter(organisation_id=organisation.pk, purpose=Purpose.BLIND_INDEX, label=label)
    existing = keys.first()
    if existing is not None:
        return existing
    with transaction.atomic():
        # Locking the organisation row serialises first uses: two keys for one field
        # would split its index so duplicates were missed. Checked again under the lock.
        lock_organisation(organisation.pk)
        existing = keys.first()
        if existing is not None:
            return existing
        key, _secret = do_create_key(actor=actor, organisation=organisation, purpose=Purpose.BLIND_INDEX, label=label)
    return key
