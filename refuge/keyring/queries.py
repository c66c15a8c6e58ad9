"""Read-only questions about keys: which are due for rotation, which are shredded.

Who holds a key is a question about members: `refuge.accounts.queries.holders_of`.
"""

from __future__ import annotations

from django.db.models import F, QuerySet

from refuge.keyring.holders import Organisation
from refuge.keyring.models import Key


def keys_due_for_rotation(organisation: Organisation) -> QuerySet[Key]:
    """Keys of the organisation that lost a holder since they were last rotated."""
    return Key.objects.filter(organisation_id=organisation.pk, rotation_due=True).order_by("created_on", "id")


def is_shredded(key: Key) -> bool:
    """True if no wrap of the key's current version is left: nobody can open it again."""
    return not key.wraps.filter(key_version=F("key__version")).exists()
