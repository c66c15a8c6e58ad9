"""Who holds a key: a wrap given, taken back, removed everywhere for a member, or recovered with the recovery key."""

from __future__ import annotations

import hmac

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.crypto import KEY_BYTES, CryptoError, public_key_of
from refuge.keyring.actions.base import (
    audit_key,
    audit_key_id,
    check_actor,
    check_keyring,
    check_member,
    lock_key,
    sync_key,
)
from refuge.keyring.holders import Member
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import HolderKind, Key, KeyWrap, Purpose
from refuge.keyring.wraps import open_recovery_wrap, user_wrap


def do_grant_key(*, actor: Member, keyring: Keyring, key: Key, member: Member) -> KeyWrap:
    """Seal a key the actor holds to another member of its organisation."""
    check_keyring(actor, keyring)
    check_actor(actor, key.organisation_id)
    if key.purpose == Purpose.BLIND_INDEX:
        raise UserError("key_not_grantable", _("This key is not given to members."))
    check_member(key.organisation_id, member)
    with transaction.atomic():
        locked = lock_key(key)
        secret = keyring.secret_for(locked)
        # A stale wrap of an older version is replaced, not kept beside the new one.
        KeyWrap.objects.filter(key=locked, holder_id=member.pk).delete()
        wrap = user_wrap(locked, secret, member)
        wrap.save(force_insert=True)
        audit_key(AuditEvent.KEY_WRAPPED_FOR_MEMBER, actor, locked)
    return wrap


def do_revoke_key(*, actor: Member, key: Key, member: Member) -> None:
    """Delete a member's wrap of a key and mark the key for rotation."""
    check_actor(actor, key.organisation_id)
    with transaction.atomic():
        locked = lock_key(key)
        removed, _counts = KeyWrap.objects.filter(key=locked, holder_kind=HolderKind.USER, holder_id=member.pk).delete()
        if not removed:
            raise UserError("key_not_held", _("This member does not hold this key."))
        # The member may have kept the secret: only rotation makes their copy useless
        # for what is written from now on and for what is re-encrypted.
        locked.rotation_due = True
        locked.save(update_fields=["rotation_due"])
        audit_key(AuditEvent.KEY_WRAP_REMOVED, actor, locked)
    sync_key(key, locked)


def do_remove_member_everywhere(*, actor: Member, member: Member) -> int:
    """Delete every wrap a departing member holds and mark those keys for rotation."""
    check_actor(actor, member.organisation_id)
    with transaction.atomic():
        wraps = KeyWrap.objects.filter(holder_id=member.pk, holder_kind=HolderKind.USER)
        key_ids = list(wraps.values_list("key_id", flat=True))
        # The member may have copied secrets before leaving: every key they held is
        # rotated, so their copies open nothing written or re-encrypted afterwards.
        Key.objects.filter(pk__in=key_ids).update(rotation_due=True)
        removed, _counts = wraps.delete()
        for key_id in key_ids:
            audit_key_id(AuditEvent.KEY_WRAP_REMOVED, actor, member.organisation_id, key_id)
    return removed


def do_recover_key_with_recovery(*, actor: Member, key: Key, recovery_private_key: bytes, member: Member) -> KeyWrap:
    """Open a key's recovery wrap with the rebuilt recovery key and seal it to a member."""
    check_actor(actor, key.organisation_id)
    check_member(key.organisation_id, member)
    organisation = key.organisation
    # Checked against the public half before use, so a wrongly rebuilt key is named
    # as such instead of looking like a tampered wrap (DESIGN.md §5).
    if len(recovery_private_key) != KEY_BYTES or not hmac.compare_digest(
        public_key_of(recovery_private_key), bytes(organisation.recovery_public_key)
    ):
        raise UserError("recovery_key_mismatch", _("This is not the organisation recovery key."))
    with transaction.atomic():
        locked = lock_key(key)
        wrap = KeyWrap.objects.filter(key=locked, holder_kind=HolderKind.RECOVERY).first()
        if wrap is None or wrap.key_version != locked.version:
            raise UserError("key_shredded", _("This key has been destroyed."))
        secret = open_recovery_wrap(wrap, recovery_private_key)
        if locked.public_key is not None and not hmac.compare_digest(public_key_of(secret), bytes(locked.public_key)):
            raise CryptoError("sealed box did not open")
        KeyWrap.objects.filter(key=locked, holder_id=member.pk).delete()
        new_wrap = user_wrap(locked, secret, member)
        new_wrap.save(force_insert=True)
        audit_key(AuditEvent.KEY_WRAPPED_FOR_MEMBER, actor, locked)
    return new_wrap
