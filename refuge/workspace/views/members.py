"""Administrators and coordinators manage their organisation's accounts."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from refuge.accounts import actions
from refuge.accounts.access import access_member, can_manage_members
from refuge.accounts.models import User
from refuge.accounts.queries import members_of
from refuge.core.errors import UserError
from refuge.core.forms import add_user_error
from refuge.workspace.decorators import staff_view
from refuge.workspace.forms import InviteForm


def _require_manager(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not can_manage_members(user):
        raise Http404
    return user


@staff_view()
def members_view(request: HttpRequest) -> HttpResponse:
    user = _require_manager(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token = actions.do_invite_member(
                actor=user, username=form.cleaned_data["username"], role=form.cleaned_data["role"]
            )
        except UserError as error:
            add_user_error(form, error)
        else:
            link = request.build_absolute_uri(reverse("workspace:enrol", args=[token]))
            # Shown once; only the token's hash is stored.
            return render(
                request, "workspace/invitation.html", {"link": link, "username": form.cleaned_data["username"]}
            )
    context = {"members": members_of(user.organisation), "form": form}
    return render(request, "workspace/members.html", context, status=400 if form.errors else 200)


@require_POST
@staff_view()
def member_action_view(request: HttpRequest, member_id: uuid.UUID, action: str) -> HttpResponse:
    user = _require_manager(request)
    member = access_member(user, member_id)
    try:
        if action == "revoke-sessions":
            actions.do_revoke_sessions(actor=user, member=member)
            messages.success(request, _("All sessions of %(name)s have ended.") % {"name": member.username})
        elif action == "deactivate":
            actions.do_deactivate_member(actor=user, member=member)
            messages.success(
                request, _("%(name)s can no longer log in; their keys were removed.") % {"name": member.username}
            )
        elif action == "unlock":
            actions.do_unlock_member(actor=user, member=member)
            messages.success(request, _("%(name)s can log in again.") % {"name": member.username})
        else:
            raise Http404
    except UserError as error:
        messages.error(request, str(error.message))
    return redirect("workspace:members")
