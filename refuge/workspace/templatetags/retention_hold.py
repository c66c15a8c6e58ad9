"""The case's legal hold and retention date, for coordinators: on the case page (a panel) and on its outline page.

A coordinator off the case's team sees the outline page (views/cases.py), which has no
panels; a hold is needed most on closed cases, whose teams have often gone, so both pages
show the same section through this tag.
"""

from __future__ import annotations

from typing import Any

from django import template

from refuge.cases.models import Case
from refuge.retention.access import may_manage_retention
from refuge.retention.queries import case_retention

register = template.Library()


@register.inclusion_tag("workspace/retention/_case_section.html", takes_context=True)
def legal_hold_section(context: dict[str, Any], case: Case) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not may_manage_retention(user):
        return {"shown": False}
    return {
        "shown": True,
        "case": case,
        "retention": case_retention(case),
        "csrf_token": context.get("csrf_token"),
    }
