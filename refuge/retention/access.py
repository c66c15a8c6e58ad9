"""Who may see and change retention: the organisation's coordinators; everyone else gets the missing page."""

from __future__ import annotations

import uuid

from django.http import Http404

from refuge.accounts.models import Organisation, Role, User
from refuge.cases.models import Case
from refuge.core.lookup import by_id_or_404
from refuge.intake.models import HelpRequest


def may_manage_retention(user: User) -> bool:
    """Coordinators answer for what the organisation keeps and destroys (docs/operations.md, "Retention")."""
    return user.is_active and user.role == Role.COORDINATOR


def access_retention(user: User) -> Organisation:
    """The user's organisation, for its coordinators; else 404."""
    if not may_manage_retention(user):
        raise Http404
    return user.organisation


def access_case_for_hold(user: User, case_id: uuid.UUID | str) -> Case:
    """A case of the coordinator's organisation, whoever its team is: a hold needs no key, only its id."""
    organisation = access_retention(user)
    return by_id_or_404(Case.objects.filter(organisation=organisation), case_id)


def access_request_for_hold(user: User, request_id: uuid.UUID | str) -> HelpRequest:
    """A request of the coordinator's organisation (coordinators read the intake inbox too)."""
    organisation = access_retention(user)
    return by_id_or_404(HelpRequest.objects.filter(organisation=organisation), request_id)
