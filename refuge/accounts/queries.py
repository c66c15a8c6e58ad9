"""Read-only queries over accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from refuge.accounts.models import Organisation, StaffAlert, User


def members_of(organisation: Organisation) -> QuerySet[User]:
    """Every account of one organisation, active first, by handle."""
    return User.objects.filter(organisation=organisation).order_by("-is_active", "username")


def open_alerts(organisation: Organisation) -> QuerySet[StaffAlert]:
    """Alerts coordinators have not resolved yet, newest first."""
    return (
        StaffAlert.objects.filter(organisation=organisation, resolved=False)
        .select_related("subject_user")
        .order_by("-created_at")
    )
