"""The retention page for coordinators: the organisation's rules, what the next 30 days will shred, legal holds.

Nothing here decrypts anything: the page names records by their staff references, which a
coordinator sees on the case list and in the inbox already (docs/operations.md, "Retention").
A hold is set or lifted from this page, from the case page (views/retention_panels.py) or from
the request's page in the inbox (templatetags/retention_hold.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from refuge.cases.models import Case
from refuge.intake.models import HelpRequest
from refuge.retention.access import access_case_for_hold, access_request_for_hold, access_retention
from refuge.retention.actions import do_lift_legal_hold, do_set_legal_hold, do_set_rules
from refuge.retention.models import Subject
from refuge.retention.queries import holds_of, plan_of, rules_of
from refuge.workspace.decorators import Refusal, StaffRequest, staff_view
from refuge.workspace.forms_retention import LegalHoldForm, RetentionRulesForm
from refuge.workspace.submit import submit
from refuge.workspace.views.cases import case_url

DECISIONS = ("hold", "release")


def _render(request: StaffRequest, form: RetentionRulesForm | None = None, status: int = 200) -> HttpResponse:
    organisation = access_retention(request.member)
    plan = plan_of(organisation, today=timezone.localdate())
    context = {
        "form": form or RetentionRulesForm(initial=rules_of(organisation)),
        "plan": plan,
        "counts": [(subject.label, plan.counts[subject.value]) for subject in Subject],
        "holds": holds_of(organisation),
    }
    return render(request, "workspace/retention/page.html", context, status=status)


def retention_page(request: StaffRequest, refusal: Refusal, **_rest: Any) -> HttpResponse:
    """The boundary's page for an act on retention: the page as it is now, saying why nothing changed."""
    messages.error(request, refusal.message)
    return _render(request, status=refusal.status)


@staff_view(page=retention_page)
def retention_view(request: StaffRequest) -> HttpResponse:
    if request.method != "POST":
        return _render(request)
    organisation = access_retention(request.member)
    form = RetentionRulesForm(request.POST)
    act = lambda data: do_set_rules(actor=request.member, organisation=organisation, rules=form.rules())  # noqa: E731
    if submit(form, act) is None:
        return _render(request, form, status=400)
    messages.success(request, _("The retention rules are saved."))
    return redirect("workspace:retention")


@require_POST
@staff_view(page=retention_page)
def case_hold_view(request: StaffRequest, case_id: uuid.UUID, decision: str) -> HttpResponse:
    return _decide(request, access_case_for_hold(request.member, case_id), decision)


@require_POST
@staff_view(page=retention_page)
def request_hold_view(request: StaffRequest, request_id: uuid.UUID, decision: str) -> HttpResponse:
    return _decide(request, access_request_for_hold(request.member, request_id), decision)


def _decide(request: StaffRequest, record: Case | HelpRequest, decision: str) -> HttpResponse:
    if decision not in DECISIONS:
        raise Http404
    form = LegalHoldForm(request.POST)
    if decision == "hold":
        act = lambda data: do_set_legal_hold(actor=request.member, record_=record, today=timezone.localdate())  # noqa: E731
        done = _("%(reference)s is on legal hold: no retention rule shreds it until the hold is lifted.")
    else:
        act = lambda data: do_lift_legal_hold(actor=request.member, record_=record)  # noqa: E731
        done = _("The legal hold on %(reference)s is lifted: the retention rules apply to it again.")
    if submit(form, act) is None:
        return _render(request, status=400)
    messages.success(request, done % {"reference": record.reference})
    if form.cleaned_data["back"] == "case" and isinstance(record, Case):
        return redirect(case_url(record, "retention"))
    if form.cleaned_data["back"] == "request" and isinstance(record, HelpRequest):
        return redirect(reverse("workspace:intake_request", args=[record.pk]) + "#retention")
    return redirect("workspace:retention")
