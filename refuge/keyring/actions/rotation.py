"""Rotating a key: a new version, every row under the old one re-encrypted, every holder's wrap renewed."""

from __future__ import annotations

import copy

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.crypto import generate_keypair, open_sealed, public_key_of, random_key, seal_for
from refuge.keyring.actions.base import (
    KEY_FIELDS,
    audit_key,
    check_actor,
    check_keyring,
    lock_key,
    member_problem,
    sync_key,
)
from refuge.keyring.holders import Member
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import HolderKind, Key, KeyWrap, Purpose
from refuge.keyring.registry import decrypt_column, encrypt_column, open_sealed_column, registrations, seal_column
from refuge.keyring.wraps import all_wraps


def do_rotate_key(*, actor: Member, keyring: Keyring, key: Key) -> Key:
    """Replace a key's secret: re-encrypt its registered rows and rewrap for remaining holders."""
    check_keyring(actor, keyring)
    check_actor(actor, key.organisation_id)
    if key.purpose == Purpose.BLIND_INDEX:
        # Every stored index would have to be recomputed from plaintext the server
        # cannot see; blind-index keys are never held by members, so none can leave.
        raise UserError("key_not_rotatable", _("Blind-index keys are not rotated."))
    with transaction.atomic():
        locked = lock_key(key)
        old_secret = keyring.secret_for(locked)
        old = copy.copy(locked)
        if locked.public_key is not None:
            pair = generate_keypair()
            new_secret, locked.public_key = pair.private, pair.public
        else:
            new_secret = random_key()
        locked.version += 1
        locked.rotation_due = False
        _reencrypt_rows(old, old_secret, locked, new_secret)
        locked.save(update_fields=list(KEY_FIELDS))
        # Departed or deactivated holders are not carried over: rotation is how they
        # lose what they could still open (DESIGN.md §4, departed caseworker).
        holders = [
            wrap.holder
            for wrap in KeyWrap.objects.filter(
                key=locked, holder_kind=HolderKind.USER, key_version=old.version
            ).select_related("holder")
            if wrap.holder is not None and member_problem(locked.organisation_id, wrap.holder) is None
        ]
        old_wraps = KeyWrap.objects.filter(key=locked, key_version=old.version)
        groups = [
            wrap.holder_key
            for wrap in old_wraps.filter(holder_kind=HolderKind.GROUP).select_related("holder_key")
            if wrap.holder_key is not None and wrap.holder_key.public_key is not None
        ]
        requester = old_wraps.filter(holder_kind=HolderKind.REQUESTER).first()
        requester_public = bytes(requester.holder_public_key) if requester and requester.holder_public_key else None
        KeyWrap.objects.filter(key=locked).delete()
        KeyWrap.objects.bulk_create(all_wraps(locked, new_secret, holders, groups, requester_public))
        if locked.public_key is not None:
            _reseal_group_wraps(locked, old_secret, new_secret)
        audit_key(AuditEvent.KEY_ROTATED, actor, locked)
    sync_key(key, locked)
    return locked


def _reencrypt_rows(old: Key, old_secret: bytes, new: Key, new_secret: bytes) -> None:
    """Re-encrypt every registered column of every row referring to the key."""
    for registration in registrations():
        rows = registration.model._default_manager.select_for_update().filter(**{registration.key_field: new.pk})
        for row in rows.iterator(chunk_size=500):
            changed = []
            for column in registration.columns:
                if _is_empty(getattr(row, column)):
                    continue
                plaintext = decrypt_column(row, column, old_secret, old)
                encrypt_column(row, column, plaintext, new_secret, new)
                changed.append(column)
            for column in registration.sealed:
                if _is_empty(getattr(row, column)):
                    continue
                plaintext = open_sealed_column(row, column, old_secret, old)
                seal_column(row, column, plaintext, new)
                changed.append(column)
            if changed:
                row.save(update_fields=changed)


def _reseal_group_wraps(group: Key, old_private: bytes, new_private: bytes) -> None:
    """After a group keypair rotates, seal every key it holds to its new public half."""
    # Otherwise a departed intake member's copy of the old group key would still open
    # every request sealed to the group.
    new_public = public_key_of(new_private)
    for wrap in KeyWrap.objects.select_for_update().filter(holder_kind=HolderKind.GROUP, holder_key=group):
        secret = open_sealed(old_private, bytes(wrap.wrapped))
        wrap.wrapped = seal_for(new_public, secret)
        wrap.save(update_fields=["wrapped"])


def _is_empty(value: bytes | memoryview | None) -> bool:
    """True for an unset optional column, which holds no ciphertext to re-encrypt."""
    return value is None or len(value) == 0
