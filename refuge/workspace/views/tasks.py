"""The case page's tasks panel: adding a task or an appointment, and marking one done."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import HttpResponse
from django.utils.translation import gettext as _

from refuge.accounts.models import User
from refuge.cases.access import access_task
from refuge.cases.actions.tasks import do_add_task, do_complete_task
from refuge.cases.models import Case
from refuge.workspace.decorators import StaffRequest
from refuge.workspace.forms_tasks import TaskForm
from refuge.workspace.views.cases import Build, act_on_case, case_post
from refuge.workspace.views.team import team_users


@case_post
def case_task_add_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def build(case: Case) -> forms.Form:
        return TaskForm(request.POST, prefix="task", team=team_users(case))

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        do_add_task(
            actor=user,
            keyring=request.keyring,
            case=case,
            title=data["title"],
            due_on=data["due_on"],
            owner=data["owner"],
            kind=data["kind"],
        )

    return act_on_case(request, case_id, "task_form", build, act, _("The task is added."), "tasks")


@case_post
def case_task_done_view(request: StaffRequest, case_id: uuid.UUID, task_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        task = access_task(case, task_id)
        do_complete_task(actor=user, keyring=request.keyring, task=task)

    build: Build = lambda case: forms.Form(request.POST, prefix="action")  # noqa: E731
    return act_on_case(request, case_id, "action_form", build, act, _("The task is marked done."), "tasks")
