"""Read-only questions about keys: which are due for rotation, which are shredded.

Who holds a key is a question about members: `refuge.accounts.queries.holders_of`.
"""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, QuerySet

from refuge.keyring.holders import Member, Organisation
from refuge.keyring.models import GrantStatus, HolderKind, Key, KeyGrant, KeyWrap


def keys_due_for_rotation(organisation: Organisation) -> QuerySet[Key]:
    """Keys of the organisation that lost a holder since they were last rotated."""
    return Key.objects.filter(organisation_id=organisation.pk, rotation_due=True).order_by("created_on", "id")


def is_shredded(key: Key) -> bool:
    """True if no wrap of the key's current version is left: nobody can open it again."""
    return not key.wraps.filter(key_version=F("key__version")).exists()


def grants_to_approve(user: Member) -> QuerySet[KeyGrant]:
    """Pending grants of keys the user holds (current version), for other active members, oldest first."""
    if not user.sees_content:
        # Administrators and auditors hold no content keys and decide on none.
        return KeyGrant.objects.none()
    # A correlated EXISTS: one probe of the (key, holder) index per pending grant. `key_id IN (keys
    # the user holds)` built the whole list first, thousands of keys for a busy caseworker (30 ms
    # of every home page at 100,000 cases).
    held = KeyWrap.objects.filter(
        key_id=OuterRef("key_id"), holder_id=user.pk, holder_kind=HolderKind.USER, key_version=OuterRef("key__version")
    )
    return (
        KeyGrant.objects.filter(
            Exists(held),
            organisation_id=user.organisation_id,
            status=GrantStatus.PENDING,
            member__is_active=True,
        )
        .exclude(member_id=user.pk)
        .select_related("key", "member", "requested_by")
        .order_by("requested_at", "id")
    )


def grants_awaiting(member: Member) -> QuerySet[KeyGrant]:
    """The member's own pending grants: access they are waiting for."""
    return (
        KeyGrant.objects.filter(member_id=member.pk, status=GrantStatus.PENDING)
        .select_related("key", "requested_by")
        .order_by("requested_at", "id")
    )
