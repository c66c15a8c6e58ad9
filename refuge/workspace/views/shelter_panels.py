"""The shelter app's panels (refuge/workspace/panels.py): a person's stay on the person page, and
the home page's stays past their planned date. Its acts (place a person, end a stay) are
views in views/people.py. Nothing here is decrypted: code names and dates are in clear.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from refuge.cases.access import CASE_ROLES
from refuge.cases.home import sees_whole_organisation
from refuge.shelter.access import can_manage_shelters
from refuge.shelter.queries import current_placement, overdue_stays, placeable_with_occupancy
from refuge.workspace.forms_people import PlaceForm
from refuge.workspace.panels import (
    HomePanel,
    HomeView,
    PersonPanel,
    PersonView,
    register_home_panel,
    register_person_panel,
)


def _stay(view: PersonView) -> dict[str, Any]:
    placement = current_placement(view.page.person.pk)
    return {
        "placement": placement,
        "overdue": bool(placement and placement.planned_until and placement.planned_until < timezone.localdate()),
        "can_open_shelter": bool(placement) and can_manage_shelters(view.member),
    }


def _overdue_stays(view: HomeView) -> dict[str, Any] | None:
    stays = overdue_stays(view.member, view.today)
    return {"overdue_stays": stays, "whole_organisation": sees_whole_organisation(view.member)} if stays else None


def register() -> None:
    register_person_panel(
        PersonPanel(
            "shelter",
            30,
            "workspace/shelters/_person_stay.html",
            context=_stay,
            # Shown only while the person stays nowhere; after a failed placement, as typed.
            forms={"place_form": lambda view: PlaceForm(shelters=placeable_with_occupancy(view.member))},
        )
    )
    register_home_panel(
        HomePanel(
            "overdue-stays",
            100,
            "workspace/shelters/_home_overdue_stays.html",
            _overdue_stays,
            shown=lambda member: member.role in CASE_ROLES,
        )
    )
