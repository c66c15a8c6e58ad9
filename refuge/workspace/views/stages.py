"""The case page's stage panel: moving the case to another stage (refuge/cases/stages.py says which moves are allowed)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import HttpResponse
from django.utils.translation import gettext as _

from refuge.accounts.models import User
from refuge.cases.actions.details import do_change_stage
from refuge.cases.models import Case
from refuge.cases.stages import allowed_by_hand
from refuge.workspace.decorators import StaffRequest
from refuge.workspace.forms_stages import StageForm
from refuge.workspace.views.cases import act_on_case, case_post


@case_post
def case_stage_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def build(case: Case) -> forms.Form:
        return StageForm(request.POST, prefix="stage", current=case.stage, allowed=allowed_by_hand(case.stage))

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        do_change_stage(
            actor=user,
            keyring=request.keyring,
            case=case,
            stage=data["stage"],
            version=data["version"],
            closing_reason=data["closing_reason"],
        )

    return act_on_case(request, case_id, "stage_form", build, act, _("The stage is changed."), "stage")
