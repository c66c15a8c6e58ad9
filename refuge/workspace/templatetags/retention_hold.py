"""A record's legal hold and retention date, for coordinators: a case's on the case page (a panel) and on its
outline page, a request's on the request's page in the inbox.

A coordinator off the case's team sees the outline page (views/cases.py), which has no
panels; a hold is needed most on closed cases, whose teams have often gone, so both pages
show the same section through this tag (the panel passes the case's retention it read with every
panel's question, `CasePanel.asks`; the outline page lets the tag look it up). A request's section needs no key either: a
coordinator who does not hold the intake key yet can still hold a request a court asked for.
"""

from __future__ import annotations

from typing import Any

from django import template

from refuge.cases.models import Case
from refuge.intake.models import HelpRequest
from refuge.retention.access import may_manage_retention
from refuge.retention.queries import CaseRetention, case_retention, request_retention

register = template.Library()


@register.inclusion_tag("workspace/retention/_case_section.html", takes_context=True)
def legal_hold_section(context: dict[str, Any], case: Case, retention: CaseRetention | None = None) -> dict[str, Any]:
    if not _for_coordinator(context):
        return {"shown": False}
    return {
        "shown": True,
        "case": case,
        "retention": retention or case_retention(case),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("workspace/retention/_request_section.html", takes_context=True)
def request_legal_hold_section(context: dict[str, Any], help_request: HelpRequest) -> dict[str, Any]:
    if not _for_coordinator(context):
        return {"shown": False}
    return {
        "shown": True,
        "help_request": help_request,
        "retention": request_retention(help_request),
        "csrf_token": context.get("csrf_token"),
    }


def _for_coordinator(context: dict[str, Any]) -> bool:
    user = getattr(context.get("request"), "user", None)
    return user is not None and user.is_authenticated and may_manage_retention(user)
