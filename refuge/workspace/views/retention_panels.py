"""The case page's retention panel: the case's legal hold, or when a rule will shred it (coordinators only).

The section itself is the `legal_hold_section` tag (templatetags/retention_hold.py), which
the outline page of a case outside the coordinator's team shows too.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from refuge.retention.access import may_manage_retention
from refuge.retention.queries import CASE_QUESTIONS, case_retention
from refuge.workspace.panels import CasePanel, CaseView, register_case_panel


def _for_coordinators(view: CaseView) -> bool:
    return may_manage_retention(view.member)


def _retention(view: CaseView) -> dict[str, Any]:
    # The hold was asked with every panel's question; a rule is looked up only for a closed or declined case.
    return {"retention": case_retention(view.case, view.answers)}


def register() -> None:
    register_case_panel(
        CasePanel(
            name="retention",
            order=105,
            title=_("Retention"),
            template="workspace/retention/_case_panel.html",
            context=_retention,
            shown=_for_coordinators,
            asks=CASE_QUESTIONS,
        )
    )
