"""Safety in the workspace: a case's check-in schedule and check-ins, alarms, the escalation checklist.

The case page's safety panel (safety_panels.py) says how the schedule stands and links to the
check-ins page, where the schedule is set (its form's 597 time zones are rendered there only,
not on every case page: BENCHMARKS.md, "No regression from the restructuring"); an
alarm has a page of its own (reached from the banner on every page) where the team and the
coordinators take it on, tick off the checklist and record what happened.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.cases.access import access_case
from refuge.cases.models import Case
from refuge.safety.access import access_alarm, access_alarm_task, access_escalation_checklist, access_escalation_step
from refuge.safety.actions import alarms as alarm_actions
from refuge.safety.actions import escalation, schedules
from refuge.safety.models import Alarm
from refuge.safety.queries import escalation_steps
from refuge.safety.reads import open_check_ins_page
from refuge.workspace.decorators import Refusal, StaffRequest, staff_view
from refuge.workspace.forms_safety import EscalationStepForm, OutcomeForm, ScheduleForm, StopScheduleForm
from refuge.workspace.submit import submit
from refuge.workspace.views.cases import act_on_case, case_post, case_url


@case_post
def case_schedule_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    """Set the schedule from the check-ins page; a refused schedule is shown there again, as typed."""
    case = access_case(request.member, case_id).case
    form = ScheduleForm(request.POST, prefix="schedule")
    act = lambda data: schedules.do_set_schedule(  # noqa: E731
        actor=request.member, keyring=request.keyring, case=case, data=form.schedule_input()
    )
    if submit(form, act) is None:
        return _render_check_ins(request, case_id, status=400, schedule_form=form)
    messages.success(request, _("The check-in schedule is set."))
    return redirect(case_url(case, "safety"))


@case_post
def case_schedule_stop_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        schedules.do_stop_schedule(actor=user, case=case)

    return act_on_case(
        request,
        case_id,
        "schedule_stop_form",
        lambda case: StopScheduleForm({}),
        act,
        _("Check-ins are stopped."),
        "safety",
    )


@staff_view()
def case_check_ins_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    return _render_check_ins(request, case_id)


def _render_check_ins(
    request: StaffRequest, case_id: uuid.UUID, *, status: int = 200, schedule_form: ScheduleForm | None = None
) -> HttpResponse:
    """The check-ins page: the rule and the check-ins (decrypted, audited), and the schedule form if one may be set."""
    page = open_check_ins_page(request.member, request.keyring, case_id)
    context: dict[str, Any] = {"page": page, "case": page.case}
    if page.case.request_id is not None:  # check-ins come from the requester the case was opened from
        context["schedule_form"] = schedule_form or ScheduleForm(prefix="schedule")
    return render(request, "workspace/safety/check_ins.html", context, status=status)


# --- alarms ------------------------------------------------------------------------------------


def alarm_page(request: StaffRequest, refusal: Refusal, alarm_id: uuid.UUID, **_rest: Any) -> HttpResponse:
    """The boundary's page for an act on an alarm: the alarm as it is now, saying why nothing changed."""
    messages.error(request, refusal.message)
    return _render_alarm(request, access_alarm(request.member, alarm_id), status=refusal.status)


def _render_alarm(request: StaffRequest, alarm: Alarm, *, status: int = 200, **forms: Any) -> HttpResponse:
    context = {
        "alarm": alarm,
        "tasks": list(alarm.tasks.all()),
        "outcome_form": forms.get("outcome_form") or OutcomeForm(),
    }
    return render(request, "workspace/safety/alarm.html", context, status=status)


@staff_view(page=alarm_page)
def alarm_view(request: StaffRequest, alarm_id: uuid.UUID) -> HttpResponse:
    return _render_alarm(request, access_alarm(request.member, alarm_id))


@require_POST
@staff_view(page=alarm_page)
def alarm_acknowledge_view(request: StaffRequest, alarm_id: uuid.UUID) -> HttpResponse:
    alarm = access_alarm(request.member, alarm_id)
    alarm_actions.do_acknowledge_alarm(actor=request.member, alarm=alarm)
    messages.success(request, _("You have taken the alarm on."))
    return redirect("workspace:alarm", alarm.pk)


@require_POST
@staff_view(page=alarm_page)
def alarm_outcome_view(request: StaffRequest, alarm_id: uuid.UUID) -> HttpResponse:
    alarm = access_alarm(request.member, alarm_id)
    form = OutcomeForm(request.POST)
    act = lambda data: alarm_actions.do_record_outcome(actor=request.member, alarm=alarm, outcome=data["outcome"])  # noqa: E731
    if submit(form, act) is None:
        return _render_alarm(request, alarm, status=400, outcome_form=form)
    messages.success(request, _("The outcome is recorded; the alarm is closed."))
    return redirect("workspace:alarm", alarm.pk)


@require_POST
@staff_view(page=alarm_page)
def alarm_task_done_view(request: StaffRequest, alarm_id: uuid.UUID, task_id: uuid.UUID) -> HttpResponse:
    alarm = access_alarm(request.member, alarm_id)
    task = access_alarm_task(request.member, alarm, task_id)
    alarm_actions.do_finish_alarm_task(actor=request.member, task=task)
    return redirect("workspace:alarm", alarm.pk)


# --- the escalation checklist (coordinators) ---------------------------------------------------


def _render_escalation(
    request: StaffRequest, form: EscalationStepForm | None = None, status: int = 200
) -> HttpResponse:
    access_escalation_checklist(request.member)
    context = {"steps": list(escalation_steps(request.member)), "form": form or EscalationStepForm()}
    return render(request, "workspace/safety/escalation.html", context, status=status)


def escalation_page(request: StaffRequest, refusal: Refusal, **_rest: Any) -> HttpResponse:
    messages.error(request, refusal.message)
    return _render_escalation(request, status=refusal.status)


@staff_view(page=escalation_page)
def escalation_view(request: StaffRequest) -> HttpResponse:
    if request.method != "POST":
        return _render_escalation(request)
    access_escalation_checklist(request.member)
    form = EscalationStepForm(request.POST)
    act = lambda data: escalation.do_add_escalation_step(  # noqa: E731
        actor=request.member, title=data["title"], minutes=data["minutes"], owner=data["owner"]
    )
    if submit(form, act) is None:
        return _render_escalation(request, form, status=400)
    return redirect("workspace:escalation")


@require_POST
@staff_view(page=escalation_page)
def escalation_remove_view(request: StaffRequest, step_id: uuid.UUID) -> HttpResponse:
    step = access_escalation_step(request.member, step_id)
    escalation.do_remove_escalation_step(actor=request.member, step=step)
    return redirect("workspace:escalation")
