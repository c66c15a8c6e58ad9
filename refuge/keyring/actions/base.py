"""What every key write shares: the checks on actor, member and keyring, the row lock, and the audit entry."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.crypto import KEY_BYTES
from refuge.keyring.holders import Member
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import Key

KEY_FIELDS = ("version", "public_key", "rotation_due")


def lock_key(key: Key) -> Key:
    """Lock and reload the key row, so grants, rotations and shreds of one key queue."""
    # Without the lock a grant racing a rotation could seal the retired secret to a
    # member after the new wraps were written.
    return Key.objects.select_for_update().get(pk=key.pk)


def sync_key(key: Key, locked: Key) -> None:
    """Copy what an action changed onto the caller's instance."""
    for name in KEY_FIELDS:
        setattr(key, name, getattr(locked, name))


def unique_members(members: Iterable[Member]) -> list[Member]:
    """Members without repeats, in the order given."""
    seen: dict[uuid.UUID, Member] = {}
    for member in members:
        seen.setdefault(member.pk, member)
    return list(seen.values())


def member_problem(organisation_id: uuid.UUID, member: Member) -> UserError | None:
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


def check_member(organisation_id: uuid.UUID, member: Member) -> None:
    """Raise the UserError for a member who may not hold this organisation's keys."""
    problem = member_problem(organisation_id, member)
    if problem is not None:
        raise problem


def check_actor(actor: Member | None, organisation_id: uuid.UUID) -> None:
    """Refuse an actor from another organisation (None is the server acting for a requester)."""
    if actor is not None and actor.organisation_id != organisation_id:
        raise UserError("wrong_organisation", _("This key belongs to another organisation."))


def check_keyring(actor: Member, keyring: Keyring) -> None:
    """Refuse a keyring that is not the actor's own."""
    # Acting with someone else's keyring would share keys in their name, not the actor's.
    if keyring.user.pk != actor.pk:
        raise ValueError("the keyring belongs to another user")


def audit_key(event: AuditEvent, actor: Member | None, key: Key) -> None:
    """Record an act on a key: who, which key; never who else or what it protects."""
    audit_key_id(event, actor, key.organisation_id, key.pk)


def audit_key_id(event: AuditEvent, actor: Member | None, organisation_id: uuid.UUID, key_id: uuid.UUID) -> None:
    """Record an act on a key given by id."""
    record(
        event,
        actor_id=actor.pk if actor is not None else None,
        organisation_id=organisation_id,
        object_type="key",
        object_id=key_id,
    )
