"""The case page's panel of requests attached to the case (refuge/cases/attach.py)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from refuge.workspace.forms_attach import AttachedReplyForm
from refuge.workspace.panels import CasePanel, CaseView, register_case_panel
from refuge.workspace.views.intake import ShownRequest, answer_rows


def _attached(view: CaseView) -> dict[str, Any]:
    # Decrypted by open_case_page (each read audited); shown here with their answers as rows.
    return {"attached": [ShownRequest(page, answer_rows(page.answers, page.help_request)) for page in view.attached]}


def register() -> None:
    # After the conversation with the requester the case was opened from (60).
    register_case_panel(
        CasePanel(
            "attached",
            65,
            _("Requests attached"),
            "workspace/cases/_attached.html",
            context=_attached,
            forms={"attached_form": lambda case: AttachedReplyForm(prefix="attached")},
            shown=lambda view: bool(view.attached),
        )
    )
