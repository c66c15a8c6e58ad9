"""Every write to keys and wraps: one function, one transaction, its own audit entry."""

from __future__ import annotations

import copy
import dataclasses
import hmac
import re
import uuid
from collections.abc import Iterable

from django.db import models, transaction
from django.db.models import ForeignObjectRel
from django.utils.translation import gettext_lazy as _

from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.core.rows import insert_new_rows
from refuge.crypto import KEY_BYTES, CryptoError, generate_keypair, open_sealed, public_key_of, random_key, seal_for
from refuge.keyring.holders import Member, Organisation, lock_organisation, new_key
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import GrantStatus, HolderKind, Key, KeyGrant, KeyWrap, Purpose
from refuge.keyring.registry import (
    decrypt_column,
    encrypt_column,
    open_sealed_column,
    registrations,
    seal_column,
)
from refuge.keyring.wraps import all_wraps, open_recovery_wrap, user_wrap

_FIELD_NAME = re.compile(r"[a-z0-9_]{1,48}")
_KEY_FIELDS = ("version", "public_key", "rotation_due")


@dataclasses.dataclass(frozen=True)
class NewKey:
    """A key made and wrapped for its holders but not yet written (see `prepare_key`)."""

    key: Key
    secret: bytes = dataclasses.field(repr=False)
    wraps: list[KeyWrap] = dataclasses.field(repr=False)


def prepare_key(
    *,
    actor: Member | None,
    organisation: Organisation,
    purpose: Purpose | str,
    label: str = "",
    members: Iterable[Member] = (),
    keypair: bool = False,
    groups: Iterable[Key] = (),
    requester_public_key: bytes | None = None,
) -> NewKey:
    """Check the holders, make the secret and seal its wraps, without touching the database.

    The crypto runs before the caller's transaction begins, so that a transaction that
    holds a lock (SQLite's one write lock, PostgreSQL's row locks) spends its time on
    INSERTs only. `do_store_key` writes the result.
    """
    purpose = Purpose(purpose)
    _check_actor(actor, organisation.pk)
    holders = _unique(members)
    groups = list(groups)
    if purpose == Purpose.BLIND_INDEX and (holders or keypair or groups or requester_public_key):
        # The server computes every blind index; a member holding the key could only
        # use it to test guesses against a seized dump ("is Ivan Petrov a requester?").
        raise ValueError("blind-index keys are held by the server and recovery only")
    for member in holders:
        _check_member(organisation.pk, member)
    if keypair or purpose == Purpose.INTAKE_GROUP:
        pair = generate_keypair()
        secret, public = pair.private, pair.public
    else:
        secret, public = random_key(), None
    # The id is made here (uuid4), so the wraps can name their key before it is saved.
    key = new_key(organisation, purpose=purpose, label=label, public_key=public)
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
            _audit(AuditEvent.KEY_CREATED, actor, new.key)
    return new.key


def do_create_key(
    *,
    actor: Member | None,
    organisation: Organisation,
    purpose: Purpose | str,
    label: str = "",
    members: Iterable[Member] = (),
    keypair: bool = False,
    groups: Iterable[Key] = (),
    requester_public_key: bytes | None = None,
    audited_by_caller: bool = False,
) -> tuple[Key, bytes]:
    """Create a key wrapped for members, groups, a requester and recovery (and the server for blind indexes)."""
    new = prepare_key(
        actor=actor,
        organisation=organisation,
        purpose=purpose,
        label=label,
        members=members,
        keypair=keypair,
        groups=groups,
        requester_public_key=requester_public_key,
    )
    do_store_key(new, actor=actor, audited_by_caller=audited_by_caller)
    return new.key, new.secret


def do_grant_key(*, actor: Member, keyring: Keyring, key: Key, member: Member) -> KeyWrap:
    """Seal a key the actor holds to another member of its organisation."""
    _check_keyring(actor, keyring)
    _check_actor(actor, key.organisation_id)
    if key.purpose == Purpose.BLIND_INDEX:
        raise UserError("key_not_grantable", _("This key is not given to members."))
    _check_member(key.organisation_id, member)
    with transaction.atomic():
        locked = _lock(key)
        secret = keyring.secret_for(locked)
        # A stale wrap of an older version is replaced, not kept beside the new one.
        KeyWrap.objects.filter(key=locked, holder_id=member.pk).delete()
        wrap = user_wrap(locked, secret, member)
        wrap.save(force_insert=True)
        _audit(AuditEvent.KEY_WRAPPED_FOR_MEMBER, actor, locked)
    return wrap


def do_revoke_key(*, actor: Member, key: Key, member: Member) -> None:
    """Delete a member's wrap of a key and mark the key for rotation."""
    _check_actor(actor, key.organisation_id)
    with transaction.atomic():
        locked = _lock(key)
        removed, _counts = KeyWrap.objects.filter(key=locked, holder_kind=HolderKind.USER, holder_id=member.pk).delete()
        if not removed:
            raise UserError("key_not_held", _("This member does not hold this key."))
        # The member may have kept the secret: only rotation makes their copy useless
        # for what is written from now on and for what is re-encrypted.
        locked.rotation_due = True
        locked.save(update_fields=["rotation_due"])
        _audit(AuditEvent.KEY_WRAP_REMOVED, actor, locked)
    _sync(key, locked)


def do_rotate_key(*, actor: Member, keyring: Keyring, key: Key) -> Key:
    """Replace a key's secret: re-encrypt its registered rows and rewrap for remaining holders."""
    _check_keyring(actor, keyring)
    _check_actor(actor, key.organisation_id)
    if key.purpose == Purpose.BLIND_INDEX:
        # Every stored index would have to be recomputed from plaintext the server
        # cannot see; blind-index keys are never held by members, so none can leave.
        raise UserError("key_not_rotatable", _("Blind-index keys are not rotated."))
    with transaction.atomic():
        locked = _lock(key)
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
        locked.save(update_fields=list(_KEY_FIELDS))
        # Departed or deactivated holders are not carried over: rotation is how they
        # lose what they could still open (DESIGN.md §4, departed caseworker).
        holders = [
            wrap.holder
            for wrap in KeyWrap.objects.filter(
                key=locked, holder_kind=HolderKind.USER, key_version=old.version
            ).select_related("holder")
            if wrap.holder is not None and _member_problem(locked.organisation_id, wrap.holder) is None
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
        _audit(AuditEvent.KEY_ROTATED, actor, locked)
    _sync(key, locked)
    return locked


def do_remove_member_everywhere(*, actor: Member, member: Member) -> int:
    """Delete every wrap a departing member holds and mark those keys for rotation."""
    _check_actor(actor, member.organisation_id)
    with transaction.atomic():
        wraps = KeyWrap.objects.filter(holder_id=member.pk, holder_kind=HolderKind.USER)
        key_ids = list(wraps.values_list("key_id", flat=True))
        # The member may have copied secrets before leaving: every key they held is
        # rotated, so their copies open nothing written or re-encrypted afterwards.
        Key.objects.filter(pk__in=key_ids).update(rotation_due=True)
        removed, _counts = wraps.delete()
        for key_id in key_ids:
            _audit_id(AuditEvent.KEY_WRAP_REMOVED, actor, member.organisation_id, key_id)
    return removed


def do_shred_key(*, actor: Member, key: Key) -> None:
    """Destroy every wrap of a key, so what it encrypts can never be read again."""
    _check_actor(actor, key.organisation_id)
    with transaction.atomic():
        locked = _lock(key)
        # Recovery and server wraps too: a surviving wrap is a way back to the data.
        # Backups taken earlier still hold wraps until they expire (docs/keys.md).
        KeyWrap.objects.filter(key=locked).delete()
        # Nobody can give a destroyed key: what was owed of it lapses with it.
        KeyGrant.objects.filter(key=locked, status=GrantStatus.PENDING).update(status=GrantStatus.WITHDRAWN)
        _audit(AuditEvent.KEY_SHREDDED, actor, locked)
        if _is_referenced(locked):
            # The row stays for the rows pointing at it; without a public half nobody
            # can seal new data (e.g. a new request) to a key no one can open.
            locked.public_key = None
            locked.rotation_due = False
            locked.save(update_fields=["public_key", "rotation_due"])
        else:
            locked.delete()
    key.public_key = None
    key.rotation_due = False


def do_recover_key_with_recovery(*, actor: Member, key: Key, recovery_private_key: bytes, member: Member) -> KeyWrap:
    """Open a key's recovery wrap with the rebuilt recovery key and seal it to a member."""
    _check_actor(actor, key.organisation_id)
    _check_member(key.organisation_id, member)
    organisation = key.organisation
    # Checked against the public half before use, so a wrongly rebuilt key is named
    # as such instead of looking like a tampered wrap (DESIGN.md §5).
    if len(recovery_private_key) != KEY_BYTES or not hmac.compare_digest(
        public_key_of(recovery_private_key), bytes(organisation.recovery_public_key)
    ):
        raise UserError("recovery_key_mismatch", _("This is not the organisation recovery key."))
    with transaction.atomic():
        locked = _lock(key)
        wrap = KeyWrap.objects.filter(key=locked, holder_kind=HolderKind.RECOVERY).first()
        if wrap is None or wrap.key_version != locked.version:
            raise UserError("key_shredded", _("This key has been destroyed."))
        secret = open_recovery_wrap(wrap, recovery_private_key)
        if locked.public_key is not None and not hmac.compare_digest(public_key_of(secret), bytes(locked.public_key)):
            raise CryptoError("sealed box did not open")
        KeyWrap.objects.filter(key=locked, holder_id=member.pk).delete()
        new_wrap = user_wrap(locked, secret, member)
        new_wrap.save(force_insert=True)
        _audit(AuditEvent.KEY_WRAPPED_FOR_MEMBER, actor, locked)
    return new_wrap


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


def _lock(key: Key) -> Key:
    """Lock and reload the key row, so grants, rotations and shreds of one key queue."""
    # Without the lock a grant racing a rotation could seal the retired secret to a
    # member after the new wraps were written.
    return Key.objects.select_for_update().get(pk=key.pk)


def _sync(key: Key, locked: Key) -> None:
    """Copy what an action changed onto the caller's instance."""
    for name in _KEY_FIELDS:
        setattr(key, name, getattr(locked, name))


def _is_referenced(key: Key) -> bool:
    """True if any row other than its wraps refers to the key."""
    # include_hidden: a foreign key declared with related_name="+" still refers to it.
    for relation in Key._meta.get_fields(include_hidden=True):
        # Wraps and grants are the key's own rows, not rows encrypted under it.
        if not isinstance(relation, ForeignObjectRel) or relation.related_model in (KeyWrap, KeyGrant):
            continue
        related: type[models.Model] = relation.related_model  # type: ignore[assignment]
        if related._default_manager.filter(**{relation.field.name: key.pk}).exists():
            return True
    return False


def _unique(members: Iterable[Member]) -> list[Member]:
    """Members without repeats, in the order given."""
    seen: dict[uuid.UUID, Member] = {}
    for member in members:
        seen.setdefault(member.pk, member)
    return list(seen.values())


def _member_problem(organisation_id: uuid.UUID, member: Member) -> UserError | None:
    """Why member may not hold a key of this organisation, or None."""
    # Nothing crosses between organisations (threat: a member of another NGO).
    if member.organisation_id != organisation_id:
        return UserError("member_other_organisation", _("This person is not in your organisation."))
    # A departed member must not receive anything new.
    if not member.is_active:
        return UserError("member_inactive", _("This account is not active."))
    # Administrators and auditors manage the system, never read case content.
    if not member.sees_content:
        return UserError("member_no_content_role", _("This role cannot be given case content."))
    if len(bytes(member.public_key)) != KEY_BYTES:
        return UserError("member_not_enrolled", _("This member has not finished enrolment."))
    return None


def _check_member(organisation_id: uuid.UUID, member: Member) -> None:
    """Raise the UserError for a member who may not hold this organisation's keys."""
    problem = _member_problem(organisation_id, member)
    if problem is not None:
        raise problem


def _check_actor(actor: Member | None, organisation_id: uuid.UUID) -> None:
    """Refuse an actor from another organisation (None is the server acting for a requester)."""
    if actor is not None and actor.organisation_id != organisation_id:
        raise UserError("wrong_organisation", _("This key belongs to another organisation."))


def _check_keyring(actor: Member, keyring: Keyring) -> None:
    """Refuse a keyring that is not the actor's own."""
    # Acting with someone else's keyring would share keys in their name, not the actor's.
    if keyring.user.pk != actor.pk:
        raise ValueError("the keyring belongs to another user")


def _audit(event: AuditEvent, actor: Member | None, key: Key) -> None:
    """Record an act on a key: who, which key; never who else or what it protects."""
    _audit_id(event, actor, key.organisation_id, key.pk)


def _audit_id(event: AuditEvent, actor: Member | None, organisation_id: uuid.UUID, key_id: uuid.UUID) -> None:
    """Record an act on a key given by id."""
    record(
        event,
        actor_id=actor.pk if actor is not None else None,
        organisation_id=organisation_id,
        object_type="key",
        object_id=key_id,
    )
