"""The empty duress versions of a member's own pages and the organisation's (refuge/workspace/duress.py).

The home page, the account, API tokens, members and the organisation's settings, as a real
member alone in a new organisation sees them. Nothing of the organisation is read.
"""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from refuge.accounts.access import can_manage_members
from refuge.accounts.models import Role, User
from refuge.intake.notify import mail_configured
from refuge.workspace.duress import EmptyPage, register_empty_page
from refuge.workspace.forms import DuressForm, InviteForm, PasswordChangeForm
from refuge.workspace.forms_api_tokens import ApiTokenForm
from refuge.workspace.forms_intake import NotificationEmailForm
from refuge.workspace.panels import HomeView, compose_home_panels


def _home(request: HttpRequest, user: User) -> HttpResponse:
    # Only the static cards (links, no data): the organisation is not read at all.
    view = HomeView(user, cast(Any, request).keyring, timezone.localdate())
    return render(request, "workspace/home.html", compose_home_panels(view, duress=True))


def _account(request: HttpRequest, user: User) -> HttpResponse:
    # The member's real session count: the duress session is one of them, as on a real login.
    context = {
        "password_form": PasswordChangeForm(),
        "duress_form": DuressForm(),
        "session_count": user.sessions.count(),
    }
    return render(request, "workspace/account.html", context)


def _api_tokens(request: HttpRequest, user: User) -> HttpResponse:
    # No token listed (a real account without one looks the same); making one is refused (404).
    return render(request, "workspace/api_tokens.html", {"form": ApiTokenForm(), "tokens": [], "refusal": None})


def _members(request: HttpRequest, user: User) -> HttpResponse:
    return render(request, "workspace/members.html", {"members": [user], "form": InviteForm()})


def _organisation(request: HttpRequest, user: User) -> HttpResponse:
    # No mailbox shown: the real one would tell a coercer where alerts go.
    context = {"form": NotificationEmailForm(initial={"email": ""}), "mail_configured": mail_configured()}
    return render(request, "workspace/organisation.html", context)


def register() -> None:
    register_empty_page(EmptyPage("workspace:home", _home))
    register_empty_page(EmptyPage("workspace:account", _account))
    register_empty_page(EmptyPage("workspace:api_tokens", _api_tokens))
    register_empty_page(EmptyPage("workspace:members", _members, can_manage_members))
    register_empty_page(EmptyPage("workspace:organisation", _organisation, lambda user: user.role == Role.COORDINATOR))
