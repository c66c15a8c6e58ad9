"""The case page's safety panel: the check-in schedule, its form, and the case's alarms.

It shows what is in clear (the next check-in owed, the grace period, alarms and their
tasks); the rule and the check-ins themselves are decrypted on the check-ins page
(`open_check_ins_page`): a panel decrypts nothing.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from refuge.safety import clock
from refuge.safety.queries import case_safety
from refuge.workspace.forms_safety import ScheduleForm, StopScheduleForm
from refuge.workspace.panels import CasePanel, CaseView, register_case_panel


def _safety(view: CaseView) -> dict[str, Any]:
    return {"safety": case_safety(view.case), "safety_now": clock.now()}


def register() -> None:
    register_case_panel(
        CasePanel(
            name="safety",
            order=15,
            title=_("Safety check-ins"),
            template="workspace/safety/_panel.html",
            context=_safety,
            forms={
                "schedule_form": lambda case: ScheduleForm(prefix="schedule"),
                "schedule_stop_form": lambda case: StopScheduleForm(),
            },
        )
    )
