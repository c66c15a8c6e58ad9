"""Guards for workspace views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from refuge.accounts.models import User
from refuge.accounts.session_keys import SESSION_DURESS, SESSION_PENDING_TOTP, end_session
from refuge.workspace.duress import duress_page

View = Callable[..., HttpResponse]


def staff_view() -> Callable[[View], View]:
    """Require a logged-in member whose keys are unlocked for this session."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect("workspace:login")
            if request.session.get(SESSION_PENDING_TOTP):
                return redirect("workspace:enrol_confirm")
            if request.session.get(SESSION_DURESS):
                # Under duress the view never runs: the page is the empty one a real
                # member of the same role would see, or a 404 (refuge/workspace/duress.py).
                return duress_page(request)
            if not request.keyring.unlocked:  # type: ignore[attr-defined]
                # Key cookie gone (browser restarted) or session row tampered with.
                end_session(request)
                messages.info(request, _("Your session has ended. Please log in again."))
                return redirect("workspace:login")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def member(request: HttpRequest) -> User:
    """The logged-in member of a request that passed `staff_view`."""
    return cast(User, request.user)
