"""Administrators and coordinators manage their organisation's accounts."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from refuge.accounts.access import access_member, can_manage_members
from refuge.accounts.actions.invitations import do_invite_member
from refuge.accounts.actions.members import do_deactivate_member, do_revoke_sessions, do_unlock_member
from refuge.accounts.approvals import access_invitation_to_decide, do_decide_invitation, invitations_awaiting_approval
from refuge.accounts.models import CONTENT_ROLES, Role, User
from refuge.accounts.queries import members_of
from refuge.workspace.decorators import Refusal, StaffRequest, staff_view
from refuge.workspace.forms import InviteForm
from refuge.workspace.submit import submit


def _require_manager(request: StaffRequest) -> User:
    if not can_manage_members(request.member):
        raise Http404
    return request.member


@staff_view()
def members_view(request: StaffRequest) -> HttpResponse:
    user = _require_manager(request)
    form = InviteForm(request.POST or None)
    invited = None
    if request.method == "POST":
        act = lambda data: do_invite_member(actor=user, username=data["username"], role=data["role"])  # noqa: E731
        invited = submit(form, act)
    if invited is not None:
        link = request.build_absolute_uri(reverse("workspace:enrol", args=[invited.value]))
        # Shown once; only the token's hash is stored.
        context = {"link": link, "username": form.cleaned_data["username"]}
        context["needs_approval"] = user.role == Role.ADMINISTRATOR and form.cleaned_data["role"] in CONTENT_ROLES
        return render(request, "workspace/invitation.html", context)
    context = {"form": form} | _members_context(user)
    return render(request, "workspace/members.html", context, status=400 if form.errors else 200)


def _members_context(user: User) -> dict[str, object]:
    """The member list with what deactivating each one destroys, and invitations awaiting a coordinator."""
    members = members_of(user.organisation).annotate(
        key_count=Count("key_wraps", filter=Q(key_wraps__holder_kind="user"))
    )
    return {
        "members": members,
        "invitations": list(invitations_awaiting_approval(user.organisation)),
    }


def _members_page(request: StaffRequest, refusal: Refusal, **_rest: object) -> HttpResponse:
    """A refused act on a member (or an invitation) is said above the list of members."""
    messages.error(request, refusal.message)
    return redirect("workspace:members")


@require_POST
@staff_view(page=_members_page)
def invitation_decide_view(request: StaffRequest, invitation_id: uuid.UUID, decision: str) -> HttpResponse:
    """A coordinator approves or refuses an administrator's invitation to a content role."""
    user = _require_manager(request)
    if decision not in {"approve", "refuse"}:
        raise Http404
    invitation = access_invitation_to_decide(user, invitation_id)
    do_decide_invitation(actor=user, invitation=invitation, approve=decision == "approve")
    done = _("The invitation of %(name)s is approved: the enrolment link works now.")
    if decision == "refuse":
        done = _("The invitation of %(name)s is refused: the enrolment link will never work.")
    messages.success(request, done % {"name": invitation.username})
    return redirect("workspace:members")


@require_POST
@staff_view(page=_members_page)
def member_action_view(request: StaffRequest, member_id: uuid.UUID, action: str) -> HttpResponse:
    user = _require_manager(request)
    member = access_member(user, member_id)
    if action == "revoke-sessions":
        do_revoke_sessions(actor=user, member=member)
        messages.success(request, _("All sessions of %(name)s have ended.") % {"name": member.username})
    elif action == "deactivate":
        do_deactivate_member(actor=user, member=member)
        messages.success(
            request, _("%(name)s can no longer log in; their keys were removed.") % {"name": member.username}
        )
    elif action == "unlock":
        do_unlock_member(actor=user, member=member)
        messages.success(request, _("%(name)s can log in again.") % {"name": member.username})
    else:
        raise Http404
    return redirect("workspace:members")
