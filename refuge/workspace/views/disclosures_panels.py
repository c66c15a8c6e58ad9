"""The case page's disclosures panel: every packet of the case, and a link to prepare one."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from refuge.disclosures.queries import CASE_QUESTIONS, case_packets
from refuge.workspace.panels import CasePanel, CaseView, register_case_panel


def _disclosures(view: CaseView) -> dict[str, Any]:
    return {"disclosures": case_packets(view.case, view.answers)}


PANELS = (
    CasePanel(
        "disclosures",
        85,
        _("Disclosures"),
        "workspace/disclosures/_panel.html",
        context=_disclosures,
        asks=CASE_QUESTIONS,
    ),
)


def register() -> None:
    for panel in PANELS:
        register_case_panel(panel)
