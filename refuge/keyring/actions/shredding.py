"""Shredding a key: every wrap destroyed, so what it encrypted can never be read again."""

from __future__ import annotations

from django.db import models, transaction
from django.db.models import ForeignObjectRel

from refuge.audit.events import AuditEvent
from refuge.keyring.actions.base import audit_key, check_actor, lock_key
from refuge.keyring.holders import Member
from refuge.keyring.models import GrantStatus, Key, KeyGrant, KeyWrap


def do_shred_key(*, actor: Member, key: Key) -> None:
    """Destroy every wrap of a key, so what it encrypts can never be read again."""
    check_actor(actor, key.organisation_id)
    with transaction.atomic():
        locked = lock_key(key)
        # Recovery and server wraps too: a surviving wrap is a way back to the data.
        # Backups taken earlier still hold wraps until they expire (docs/keys.md).
        KeyWrap.objects.filter(key=locked).delete()
        # Nobody can give a destroyed key: what was owed of it lapses with it.
        KeyGrant.objects.filter(key=locked, status=GrantStatus.PENDING).update(status=GrantStatus.WITHDRAWN)
        audit_key(AuditEvent.KEY_SHREDDED, actor, locked)
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
