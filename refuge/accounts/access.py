"""The only ways views get accounts: the same 404 for missing and not yours."""

from __future__ import annotations

import uuid

from django.http import Http404

from refuge.accounts.models import Role, User
from refuge.core.lookup import by_id_or_404

MANAGER_ROLES = frozenset({Role.ADMINISTRATOR, Role.COORDINATOR})


def can_manage_members(user: User) -> bool:
    """Administrators and coordinators manage their own organisation's accounts."""
    return user.role in MANAGER_ROLES


def access_member(user: User, member_id: uuid.UUID | str) -> User:
    """A member of the user's own organisation whom the user may manage; else 404."""
    # One answer for "no such id" and "someone else's": ids reveal nothing.
    if not can_manage_members(user):
        raise Http404
    return by_id_or_404(User.objects.filter(organisation_id=user.organisation_id), member_id)
