"""The staff surface's door: a typed request for views, and one error boundary.

`staff_view` lets in a logged-in member whose keys are unlocked and hands the view a
`StaffRequest` (`request.member`, `request.keyring`). It is also the one place where what a
view could not do becomes a page (docs/architecture.md, "How a staff view is written"):

- `KeyNotHeld` (a key the member does not hold, or not yet) and `CryptoError` (stored data
  that does not open: altered in the database) become a 403 and `UserError` a 400 (409 for
  a conflict), rendered by the view's `page` (the page the act belongs to, showing why), or
  by a plain refusal page (also when that page itself needs a key the member does not
  hold). Nothing was written: actions run in one transaction.
- A view keeps its happy path; a form's own refusals are shown next to their field by
  `refuge.workspace.submit.submit`, before they reach this boundary.

The JSON API renders the same `Refusal` (refuge/core/refusals.py) as its error body (refuge/api/errors.py).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from refuge.accounts.models import User
from refuge.accounts.session_keys import SESSION_DURESS, SESSION_PENDING_TOTP, end_session
from refuge.core.errors import UserError
from refuge.core.refusals import CONFLICT, LOCKED, UNREADABLE, Refusal, refusal_of
from refuge.crypto import CryptoError
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.workspace.carry import CARRIES, PREFIX, Carried, carried_from_post
from refuge.workspace.duress import duress_page
from refuge.workspace.forms import LoginForm

log = logging.getLogger(__name__)

View = Callable[..., HttpResponse]

# The refusal itself lives in core, so that the JSON API renders the very same one.
__all__ = ["CONFLICT", "LOCKED", "UNREADABLE", "Refusal", "StaffRequest", "refusal_of", "staff_view"]


class StaffRequest(HttpRequest):
    """A request that passed `staff_view`: the member and their unlocked keyring, typed."""

    member: User
    keyring: Keyring


# A view's refusal page: (request, refusal, **the view's URL arguments) -> the page that says why.
Page = Callable[..., HttpResponse]


def _refused(request: StaffRequest, error: Exception, page: Page | None, kwargs: dict[str, Any]) -> HttpResponse:
    refusal = refusal_of(error)
    if isinstance(error, CryptoError):
        # Data that does not open with its key was altered (or a wrap was): worth an operator's look.
        # Only the view's name and the ids in its address, never what was typed or stored.
        view_name = request.resolver_match.view_name if request.resolver_match else "?"
        ids = ", ".join(str(value) for value in kwargs.values())
        log.error("%s (%s) did not decrypt; it may have been tampered with", view_name, ids)
    if page is not None:
        try:
            return page(request, refusal, **kwargs)
        except (KeyNotHeld, CryptoError):
            # The page the act belongs to needs a key the member lacks too (a packet prepared
            # before a coordinator joined): the plain refusal says why, never a 500.
            pass
    return render(request, "workspace/refused.html", {"refusal": refusal}, status=refusal.status)


def staff_view(*, page: Page | None = None) -> Callable[[View], View]:
    """Require a logged-in member whose keys are unlocked for this session; render refusals (see above)."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return _carry_or_login(request)
            if request.session.get(SESSION_PENDING_TOTP):
                return redirect("workspace:enrol_confirm")
            staff = cast(StaffRequest, request)
            staff.member = request.user
            if request.session.get(SESSION_DURESS):
                # Under duress the view never runs: the page is the empty one a real
                # member of the same role would see, or a 404 (refuge/workspace/duress.py).
                return duress_page(request)
            if not staff.keyring.unlocked:
                # Key cookie gone (browser restarted) or session row tampered with.
                end_session(request)
                if request.method == "POST":
                    return _carry_or_login(request)
                messages.info(request, _("Your session has ended. Please log in again."))
                return redirect("workspace:login")
            try:
                return view(staff, *args, **kwargs)
            except (KeyNotHeld, CryptoError, UserError) as error:
                return _refused(staff, error, page, kwargs)

        setattr(wrapper, CARRIES, True)
        return wrapper

    return decorate


def _carry_or_login(request: HttpRequest) -> HttpResponse:
    """A form posted after the session ended: the login page, carrying what was typed (carry.py)."""
    carried = carried_from_post(request)
    if carried is None:
        return redirect("workspace:login")
    return login_page(request, LoginForm(), carried, status=403)


def login_page(request: HttpRequest, form: LoginForm, carried: Carried | None, *, status: int) -> HttpResponse:
    """The login page; with `carried`, the fields of a form posted after the session ended ride along."""
    context = {"form": form, "carried": carried, "carry_prefix": PREFIX}
    return render(request, "workspace/login.html", context, status=status)


def member(request: HttpRequest) -> User:
    """The logged-in member of a request outside `staff_view` (logging out, confirming enrolment)."""
    return cast(User, request.user)
