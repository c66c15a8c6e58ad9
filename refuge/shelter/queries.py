"""Reading the shelter register: occupancy, free places, stays, decryption of what is shown.

Counting needs no key: code names, capacities and placement dates are in clear
(docs/threat-model.md) so that a full shelter is refused and occupancy is charted
without opening anything. City, rules and the address are decrypted only on the
shelter's own page, after the read is audited.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from refuge.accounts.models import Role, User
from refuge.cases.access import CASE_ROLES
from refuge.cases.home import LIMIT, on_my_team, sees_whole_organisation
from refuge.cases.models import Case, TeamMember
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import KeyGrant
from refuge.keyring.records import decrypt_text
from refuge.shelter.access import placeable_shelters, visible_shelters
from refuge.shelter.models import Placement, Shelter, ShelterAddress

OCCUPANCY_WEEKS = 12
MAX_STAYS_SHOWN = 200


def _stays_count(**conditions: Any) -> Coalesce:
    """Stays of the shelter of the outer row, counted in a subquery.

    A subquery, not a join: `visible_shelters` already joins placements for
    caseworkers, and counting over that join would count only their own people.
    A stay counts from the day it is recorded until it is ended, as in do_place_person.
    """
    stays = (
        Placement.objects.filter(shelter=OuterRef("pk"), ended_on__isnull=True, **conditions)
        .order_by()
        .values("shelter")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(stays, output_field=IntegerField()), 0)


def register(user: User, today: datetime.date) -> QuerySet[Shelter]:
    """The shelters the user may open, each with `occupied` and `overdue` counts (one query)."""
    return (
        visible_shelters(user)
        .annotate(occupied=_stays_count(), overdue=_stays_count(planned_until__lt=today))
        .order_by("code_name")
    )


def placeable_with_occupancy(user: User) -> QuerySet[Shelter]:
    """Active shelters a team member may place someone in, each with `occupied` (no city, no address)."""
    return placeable_shelters(user).annotate(occupied=_stays_count()).order_by("code_name")


def current_stays(shelter: Shelter) -> list[Placement]:
    """Who stays in a shelter now (pseudonyms and dates only), the longest overdue first."""
    return list(
        Placement.objects.filter(shelter=shelter, ended_on__isnull=True)
        .select_related("person", "case")
        .order_by("planned_until", "starts_on")[:MAX_STAYS_SHOWN]
    )


def occupied_now(shelter: Shelter) -> int:
    return Placement.objects.filter(shelter=shelter, ended_on__isnull=True).count()


def current_placement(person_id: Any) -> Placement | None:
    """The stay a person is in now, if any."""
    return Placement.objects.filter(person_id=person_id, ended_on__isnull=True).select_related("shelter").first()


@dataclass(frozen=True)
class Week:
    starts_on: datetime.date
    ends_on: datetime.date
    occupied: int
    capacity: int

    @property
    def percent(self) -> int:
        """Share of the capacity used, capped at 100, for the bar."""
        if self.capacity <= 0:
            return 0
        return min(round(100 * self.occupied / self.capacity), 100)


def weekly_occupancy(shelter: Shelter, today: datetime.date, weeks: int = OCCUPANCY_WEEKS) -> list[Week]:
    """People staying at some point of each week (Monday to Sunday), the last `weeks` weeks, oldest first."""
    this_monday = today - datetime.timedelta(days=today.weekday())
    first = this_monday - datetime.timedelta(weeks=weeks - 1)
    # One query: every stay that overlaps the window; the weeks are counted here.
    stays = list(
        Placement.objects.filter(shelter=shelter, starts_on__lte=today)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))
        .values_list("starts_on", "ended_on")
    )
    series = []
    for index in range(weeks):
        starts_on = first + datetime.timedelta(weeks=index)
        ends_on = starts_on + datetime.timedelta(days=6)
        occupied = sum(1 for start, end in stays if start <= ends_on and (end is None or end >= starts_on))
        series.append(Week(starts_on, ends_on, occupied, shelter.capacity))
    return series


def shelter_address(shelter: Shelter) -> ShelterAddress | None:
    return ShelterAddress.objects.select_related("key").filter(shelter=shelter).first()


def address_candidates(shelter: Shelter, address: ShelterAddress | None) -> QuerySet[User]:
    """Members a coordinator may give the address to: active, content roles, not holding it yet."""
    members = User.objects.filter(
        organisation_id=shelter.organisation_id, is_active=True, role__in=CASE_ROLES
    ).order_by("username")
    if address is not None:
        members = members.exclude(key_wraps__key_id=address.key_id, key_wraps__key_version=address.key.version)
    return members


@dataclass(frozen=True)
class ShelterText:
    city: str
    rules: str


def read_shelter(shelter: Shelter, keyring: Keyring) -> ShelterText:
    """City and house rules; KeyNotHeld if the shelter key was not shared with the user yet."""
    secret = keyring.secret_for(shelter.key)
    return ShelterText(
        city=decrypt_text(shelter, "city", secret, shelter.key),
        rules=decrypt_text(shelter, "rules", secret, shelter.key),
    )


def read_address(address: ShelterAddress, keyring: Keyring) -> str:
    """The address; KeyNotHeld unless a coordinator gave the user the address key."""
    return decrypt_text(address, "address", keyring.secret_for(address.key), address.key)


def cases_staying_in(shelter_id: Any) -> QuerySet[Placement, Any]:
    """The ids of the cases with someone staying in the shelter now: the case list's shelter filter."""
    return Placement.objects.filter(shelter_id=shelter_id, ended_on__isnull=True).values("case_id")


def overdue_stays(user: User, today: datetime.date) -> list[Placement]:
    """People still in a shelter after their planned date (coordinators: all; others: their cases)."""
    stays = Placement.objects.filter(
        organisation_id=user.organisation_id, ended_on__isnull=True, planned_until__lt=today
    )
    if not sees_whole_organisation(user):
        stays = stays.filter(on_my_team(user, "case_id"))
    return list(stays.select_related("person", "case", "shelter").order_by("planned_until")[:LIMIT])


def grant_subjects(viewer: User, grants: list[KeyGrant]) -> tuple[dict[Any, str], dict[Any, str]]:
    """What owed key grants are about, by metadata only (nothing is decrypted): the code names of
    the shelters whose keys they are, and the references of their cases that the viewer may see
    (the case's team, or a coordinator)."""
    shelters = dict(Shelter.objects.filter(key_id__in={g.key_id for g in grants}).values_list("key_id", "code_name"))
    case_ids = {g.case_id for g in grants if g.case_id is not None}
    if viewer.role == Role.COORDINATOR or not case_ids:
        visible = case_ids  # a coordinator sees every case's reference: no team to ask about
    else:
        visible = set(TeamMember.objects.filter(user=viewer, case_id__in=case_ids).values_list("case_id", flat=True))
    references = dict(Case.objects.filter(pk__in=visible).values_list("pk", "reference"))
    return shelters, references
