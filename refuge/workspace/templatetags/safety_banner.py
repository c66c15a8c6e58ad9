"""The alarm banner on every workspace page, for the team and the coordinators, until an outcome is recorded."""

from __future__ import annotations

from typing import Any

from django import template

from refuge.accounts.session_keys import SESSION_DURESS
from refuge.safety.queries import LISTED_COLUMNS, open_alarms_for

register = template.Library()

MAX_SHOWN = 5


@register.inclusion_tag("workspace/safety/_banner.html", takes_context=True)
def alarm_banner(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    # A duress session sees what an empty account would: no alarm (refuge/workspace/duress.py).
    session = getattr(request, "session", None)
    if user is None or not user.is_authenticated or session is None or session.get(SESSION_DURESS):
        return {"alarms": []}
    alarms = list(open_alarms_for(user).only(*LISTED_COLUMNS).order_by("raised_at")[: MAX_SHOWN + 1])
    return {"alarms": alarms[:MAX_SHOWN], "more": len(alarms) > MAX_SHOWN}
