"""The case page's safety panel (the check-in schedule, a link to set it, the case's alarms) and the home page's open alarms.

It shows what is in clear (the next check-in owed, the grace period, alarms and their
tasks); the rule and the check-ins themselves are decrypted on the check-ins page
(`open_check_ins_page`): a panel decrypts nothing.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.cases.access import CASE_ROLES
from refuge.safety import clock
from refuge.safety.queries import CASE_QUESTIONS, LISTED_COLUMNS, case_safety, open_alarms_for
from refuge.workspace.forms_safety import StopScheduleForm
from refuge.workspace.panels import (
    CasePanel,
    CaseView,
    HomePanel,
    HomeView,
    register_case_panel,
    register_home_panel,
)

# The home card lists this many open alarms, oldest first (one query, through alarm_open_idx).
ALARMS_SHOWN = 20


def _safety(view: CaseView) -> dict[str, Any]:
    return {"safety": case_safety(view.case, view.answers), "safety_now": clock.now()}


def _answers_alarms(member: User) -> bool:
    # The case teams and the coordinators (open_alarms_for); auditors and administrators answer none.
    return member.role in CASE_ROLES


def _alarms(view: HomeView) -> dict[str, Any] | None:
    listed = (
        open_alarms_for(view.member)
        .select_related("acknowledged_by")
        .only(*LISTED_COLUMNS, "acknowledged_by__username")
        .order_by("raised_at", "pk")
    )
    alarms = list(listed[: ALARMS_SHOWN + 1])
    return {"alarms": alarms[:ALARMS_SHOWN], "alarms_more": len(alarms) > ALARMS_SHOWN} if alarms else None


def register() -> None:
    register_case_panel(
        CasePanel(
            name="safety",
            order=15,
            title=_("Safety check-ins"),
            template="workspace/safety/_panel.html",
            context=_safety,
            asks=CASE_QUESTIONS,
            # The schedule form (597 time zones) is on the check-ins page, which the panel links to.
            forms={"schedule_stop_form": lambda case: StopScheduleForm()},
        )
    )
    # Above everything else on "what needs me today": someone may be in danger now.
    register_home_panel(HomePanel("alarms", 5, "workspace/safety/_home_alarms.html", _alarms, shown=_answers_alarms))
