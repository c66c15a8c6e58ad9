"""The case page's applications panel (refuge/workspace/panels.py): who applied where, and how it stands.

It shows the clear columns only (person, pathway, status, month of submission) and decrypts
nothing; each application's page (views/applications.py) opens its folder.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from refuge.applications.queries import CASE_QUESTIONS, applications_of_case, case_travel
from refuge.workspace.panels import CasePanel, CaseView, register_case_panel


def _applications_and_journey(view: CaseView) -> dict[str, Any]:
    # Both panels' context from this panel's questions, answered with every panel's; the applications
    # themselves are read only when there are some. The journey panel, right after this one, shows
    # `journey` and `legs_count`.
    travel = case_travel(view.answers)
    applications = list(applications_of_case(view.case)) if travel.has_applications else []
    return {"applications": applications, "journey": travel, "legs_count": travel.legs}


def register() -> None:
    register_case_panel(
        CasePanel(
            name="applications",
            # After people (30) and before tasks (40): where the case is heading.
            order=35,
            title=_("Applications"),
            template="workspace/applications/panel.html",
            # The start form (people and the pathway catalogue) is on its own page, linked from here.
            context=_applications_and_journey,
            asks=CASE_QUESTIONS,
        )
    )
    register_case_panel(
        CasePanel(
            name="journey",
            order=36,
            title=_("Travel and arrival"),
            template="workspace/applications/journey_panel.html",
            # Its context (`journey`: the months of departure and arrival; `legs_count`) comes with the applications panel's.
        )
    )
