"""The only ways views reach cases and people: the same 404 for missing and not yours.

Who sees what (DESIGN.md §4, need-to-know):
- team members read a case's content (they hold its key);
- coordinators see every case of their organisation as metadata (reference, stage,
  priority, dates, team, pseudonyms) and read content only where they are on the team;
- everyone else — caseworkers and intake members of other teams, auditors,
  administrators, other organisations — gets 404.
Compartments need more: a wrap of the compartment's own key (see `holds_key`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from refuge.accounts.models import Role, User
from refuge.cases.models import Case, Compartment, Person, Task, TeamMember
from refuge.core.lookup import by_id_or_404
from refuge.keyring.models import HolderKind, Key, KeyWrap

CASE_ROLES = frozenset({Role.COORDINATOR, Role.CASEWORKER, Role.INTAKE})


@dataclass(frozen=True)
class CaseAccess:
    case: Case
    # True for team members; False for a coordinator seeing metadata only.
    member: bool


def visible_cases(user: User) -> QuerySet[Case]:
    """Cases whose metadata the user may list."""
    if user.role == Role.COORDINATOR:
        return Case.objects.filter(organisation_id=user.organisation_id)
    if user.role in CASE_ROLES:
        # A subquery, not a join: the database starts from the member's few team rows.
        teams = TeamMember.objects.filter(user=user).values("case_id")
        return Case.objects.filter(organisation_id=user.organisation_id, pk__in=teams)
    return Case.objects.none()


def is_team_member(user: User, case: Case) -> bool:
    return TeamMember.objects.filter(case=case, user=user).exists()


def access_case(user: User, case_id: uuid.UUID | str, *, content: bool = True) -> CaseAccess:
    """The case if the user may see it (content: only as a team member); else 404."""
    if user.role not in CASE_ROLES or not user.is_active:
        raise Http404
    scope = Case.objects.select_related("key", "pathway", "request").filter(organisation_id=user.organisation_id)
    case = by_id_or_404(scope, case_id)
    member = is_team_member(user, case)
    if member or (not content and user.role == Role.COORDINATOR):
        return CaseAccess(case, member)
    raise Http404


def access_person(user: User, case: Case, person_id: uuid.UUID | str) -> Person:
    """A person of a case the user already reached with `access_case`; else 404."""
    return by_id_or_404(Person.objects.select_related("key").filter(case=case), person_id)


def access_team_member(case: Case, member_id: uuid.UUID | str) -> TeamMember:
    """A member of the team of a case the user reached with `access_case` (with their account); else 404."""
    return by_id_or_404(TeamMember.objects.filter(case=case).select_related("user"), member_id, id_field="user_id")


def access_task(case: Case, task_id: uuid.UUID | str) -> Task:
    """A task of a case the user reached with `access_case`; else 404."""
    task = by_id_or_404(Task.objects.filter(case=case), task_id)
    task.case = case
    return task


def holds_key(user: User, key: Key) -> bool:
    """True if the user holds a current wrap of the key (the compartment test)."""
    return KeyWrap.objects.filter(key=key, holder_kind=HolderKind.USER, holder=user, key_version=key.version).exists()


def compartment_holders(compartment: Compartment) -> set[uuid.UUID]:
    """Ids of the members who hold the compartment's current key."""
    return set(
        KeyWrap.objects.filter(
            key_id=compartment.key_id, holder_kind=HolderKind.USER, key_version=compartment.key.version
        ).values_list("holder_id", flat=True)
    )
