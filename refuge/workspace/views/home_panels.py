"""The home page's cards about the organisation and its keys, registered as panels (refuge/workspace/panels.py).

Alerts, keys to rotate, keys owed between colleagues, invitations waiting for approval and the
auditor's links. The cards about cases are in views/case_panels.py, about shelters in
views/shelter_panels.py; a new capability adds its own in its `views/<app>_panels.py`.
Nothing here is decrypted.
"""

from __future__ import annotations

from typing import Any

from refuge.accounts.approvals import invitations_awaiting_approval
from refuge.accounts.models import Role, User
from refuge.accounts.queries import open_alerts
from refuge.keyring.queries import grants_awaiting, grants_to_approve, keys_due_for_rotation
from refuge.workspace.panels import HomePanel, HomeView, register_home_panel
from refuge.workspace.views.grants import shown_grants

ALERTS_SHOWN = 20
GRANTS_SHOWN = 5


def _coordinator(member: User) -> bool:
    return member.role == Role.COORDINATOR


def _alerts(view: HomeView) -> dict[str, Any] | None:
    alerts = list(open_alerts(view.member.organisation)[:ALERTS_SHOWN])
    return {"alerts": alerts} if alerts else None


def _keys_due(view: HomeView) -> dict[str, Any] | None:
    due = keys_due_for_rotation(view.member.organisation).count()
    return {"keys_due": due} if due else None


def _keys(view: HomeView) -> dict[str, Any] | None:
    # Keys owed to colleagues that this member holds, and this member's own pending access.
    waiting = grants_to_approve(view.member)
    grants_waiting = waiting.count()
    my_pending_keys = grants_awaiting(view.member).count()
    if not grants_waiting and not my_pending_keys:
        return None
    return {
        "grants_waiting": grants_waiting,
        # Read only when some wait: a member whose own access is pending has none to list.
        "grants_shown": shown_grants(view.member, list(waiting[:GRANTS_SHOWN])) if grants_waiting else [],
        "my_pending_keys": my_pending_keys,
    }


def _invitations(view: HomeView) -> dict[str, Any] | None:
    waiting = invitations_awaiting_approval(view.member.organisation).count()
    return {"invitations_waiting": waiting} if waiting else None


PANELS = (
    HomePanel(
        "alerts",
        10,
        "workspace/home/_alerts.html",
        _alerts,
        shown=lambda member: member.role in {Role.COORDINATOR, Role.ADMINISTRATOR},
    ),
    HomePanel("keys-due", 20, "workspace/home/_keys_due.html", _keys_due, shown=_coordinator),
    HomePanel("keys", 30, "workspace/home/_keys.html", _keys, shown=lambda member: member.sees_content),
    HomePanel("invitations", 40, "workspace/home/_invitations.html", _invitations, shown=_coordinator),
    # An auditor's work is the log: links only, the same for an empty account and under duress.
    HomePanel(
        "audit",
        200,
        "workspace/audit/_home.html",
        lambda view: {},
        shown=lambda member: member.role == Role.AUDITOR,
        waits=False,
        static=True,
    ),
)


def register() -> None:
    for panel in PANELS:
        register_home_panel(panel)
