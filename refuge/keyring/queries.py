"""Read-only questions about keys: who holds one, which are due for rotation."""

from __future__ import annotations

from django.db.models import F, QuerySet

from refuge.accounts.models import Organisation, User
from refuge.keyring.models import HolderKind, Key


def holders_of(key: Key) -> QuerySet[User]:
    """Members holding a wrap of the key's current version (recovery and server not included)."""
    return User.objects.filter(
        key_wraps__key=key,
        key_wraps__holder_kind=HolderKind.USER,
        key_wraps__key_version=key.version,
    ).order_by("username")


def keys_due_for_rotation(organisation: Organisation) -> QuerySet[Key]:
    """Keys of the organisation that lost a holder since they were last rotated."""
    return Key.objects.filter(organisation=organisation, rotation_due=True).order_by("created_on", "id")


def is_shredded(key: Key) -> bool:
    """True if no wrap of the key's current version is left: nobody can open it again."""
    return not key.wraps.filter(key_version=F("key__version")).exists()
