"""Who sees the shelter register: coordinators, and caseworkers of the people placed there.

Everyone else gets 404 for every shelter, as if it did not exist. Placing a person
needs only the coded names and free places (see `placeable_shelters`): city, rules,
occupants and the address stay behind the register's door.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from refuge.accounts.models import Role, User
from refuge.cases.access import CASE_ROLES
from refuge.cases.models import TeamMember
from refuge.core.lookup import by_id_or_404
from refuge.shelter.models import Placement, Shelter


def can_manage_shelters(user: User) -> bool:
    return user.role == Role.COORDINATOR and user.is_active


def visible_shelters(user: User) -> QuerySet[Shelter]:
    """The shelters whose register entry the user may open."""
    if can_manage_shelters(user):
        return Shelter.objects.filter(organisation_id=user.organisation_id)
    if user.role in CASE_ROLES and user.is_active:
        return Shelter.objects.filter(
            organisation_id=user.organisation_id,
            placements__ended_on__isnull=True,
            placements__case__team__user=user,
        ).distinct()
    return Shelter.objects.none()


def placeable_shelters(user: User) -> QuerySet[Shelter]:
    """Active shelters a team member may place someone in (coded name and capacity only)."""
    if user.role not in CASE_ROLES or not user.is_active:
        return Shelter.objects.none()
    return Shelter.objects.filter(organisation_id=user.organisation_id, active=True)


def access_shelter(user: User, shelter_id: uuid.UUID | str) -> Shelter:
    return by_id_or_404(visible_shelters(user).select_related("key"), shelter_id)


def access_placement(user: User, placement_id: uuid.UUID | str) -> Placement:
    """A stay the user may end: a coordinator's organisation's, or one of the user's cases; else 404."""
    if user.role not in CASE_ROLES or not user.is_active:
        raise Http404
    scope = Placement.objects.select_related("shelter", "person", "case").filter(organisation_id=user.organisation_id)
    placement = by_id_or_404(scope, placement_id)
    if not can_manage_shelters(user) and not TeamMember.objects.filter(case_id=placement.case_id, user=user).exists():
        raise Http404
    return placement


def stays_shown(user: User, stays: list[Placement]) -> tuple[list[Placement], int]:
    """The stays of a shelter the user may see by pseudonym, and how many others there are.

    Need-to-know: coordinators see everyone; a caseworker sees the people of their own cases
    and only a count of the others (other teams' people are not theirs to know).
    """
    if can_manage_shelters(user):
        return stays, 0
    mine = set(
        TeamMember.objects.filter(user=user, case_id__in={s.case_id for s in stays}).values_list("case_id", flat=True)
    )
    shown = [stay for stay in stays if stay.case_id in mine]
    return shown, len(stays) - len(shown)
