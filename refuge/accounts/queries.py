"""Read-only queries over accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from refuge.accounts.models import Organisation, StaffAlert, User
from refuge.keyring.models import HolderKind, Key


def members_of(organisation: Organisation) -> QuerySet[User]:
    """Every account of one organisation, active first, by handle."""
    return User.objects.filter(organisation=organisation).order_by("-is_active", "username")


def holders_of(key: Key) -> QuerySet[User]:
    """Members holding a wrap of the key's current version (recovery and server not included)."""
    return User.objects.filter(
        key_wraps__key=key,
        key_wraps__holder_kind=HolderKind.USER,
        key_wraps__key_version=key.version,
    ).order_by("username")


def open_alerts(organisation: Organisation) -> QuerySet[StaffAlert]:
    """Alerts coordinators have not resolved yet, newest first."""
    return (
        StaffAlert.objects.filter(organisation=organisation, resolved=False)
        .select_related("subject_user")
        .order_by("-created_at")
    )
