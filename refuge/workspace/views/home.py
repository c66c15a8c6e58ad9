"""The home page: what needs me today."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from refuge.accounts.models import Role, User
from refuge.accounts.queries import open_alerts
from refuge.accounts.session_keys import SESSION_DURESS
from refuge.keyring.queries import keys_due_for_rotation
from refuge.workspace.decorators import staff_view


@staff_view(allow_duress=True)
def home(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    if request.session.get(SESSION_DURESS):
        # An empty, ordinary-looking workspace: nothing to read, nothing to follow.
        return render(request, "workspace/home.html", {"empty": True})
    context: dict[str, object] = {"empty": False}
    if user.role in {Role.COORDINATOR, Role.ADMINISTRATOR}:
        context["alerts"] = list(open_alerts(user.organisation)[:20])
    if user.role == Role.COORDINATOR:
        context["keys_due"] = keys_due_for_rotation(user.organisation).count()
    return render(request, "workspace/home.html", context)
