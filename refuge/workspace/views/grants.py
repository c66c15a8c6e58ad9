"""Keys owed to members, and a holder's decision on each (refuge/accounts/grants.py).

A member who holds a key sees the grants of it owed to colleagues, with who and why,
and approves (the key is sealed to the colleague) or refuses each one. The member a key
is owed to sees that their access is pending. Administrators and auditors hold no
content keys: the page is not theirs (404).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from refuge.accounts.grants import do_approve_grant, do_refuse_grant
from refuge.accounts.models import User
from refuge.keyring.access import access_grant
from refuge.keyring.models import GrantReason, KeyGrant, Purpose
from refuge.keyring.queries import grants_awaiting, grants_to_approve
from refuge.shelter.queries import grant_subjects
from refuge.workspace.decorators import LOCKED, UNREADABLE, Refusal, StaffRequest, staff_view


@dataclass(frozen=True)
class ShownGrant:
    """A grant as a page shows it: which key, and why the member is owed it."""

    grant: KeyGrant
    what: str
    why: str


def _content_member(request: StaffRequest) -> User:
    if not request.member.sees_content:
        raise Http404
    return request.member


def shown_grants(viewer: User, grants: list[KeyGrant]) -> list[ShownGrant]:
    """Describe grants by metadata only (shelter code names, case references): nothing is decrypted."""
    shelters, references = grant_subjects(viewer, grants)
    return [ShownGrant(g, _what(g, shelters), _why(g, references)) for g in grants]


def _what(grant: KeyGrant, shelters: dict[uuid.UUID, str]) -> str:
    if grant.key.purpose == Purpose.INTAKE_GROUP:
        return _("The intake key: it opens every new request")
    if grant.key_id in shelters:
        return _("The key of shelter %(name)s: its city and house rules") % {"name": shelters[grant.key_id]}
    if grant.key.label == "partner":
        return _("The key of a partner in the register: its name, contacts and public key")
    if grant.key.label == "letter-template":
        return _("The key of one of the organisation's own support letter wordings")
    return _("A key of the organisation")


def _why(grant: KeyGrant, references: dict[uuid.UUID, str]) -> str:
    if grant.reason == GrantReason.INTAKE:
        return _("Joined as %(role)s: reads new requests") % {"role": grant.member.get_role_display()}
    if grant.reason == GrantReason.COORDINATOR:
        return _("Coordinator: holds the keys of every shelter, partner and letter wording")
    if grant.case_id in references:
        return _("On the team of case %(reference)s, whose person stays in this shelter") % {
            "reference": references[grant.case_id]
        }
    return _("On the team of a case whose person stays in this shelter")


@staff_view()
def key_grants_view(request: StaffRequest) -> HttpResponse:
    """Grants the member can decide on, and their own access that is pending."""
    user = _content_member(request)
    context = {
        "to_approve": shown_grants(user, list(grants_to_approve(user)[:200])),
        "awaiting": shown_grants(user, list(grants_awaiting(user))),
    }
    return render(request, "workspace/grants.html", context)


def _grants_page(request: StaffRequest, refusal: Refusal, **_rest: object) -> HttpResponse:
    """A decision that could not be made is said above the list of owed keys."""
    if refusal.code in {LOCKED, UNREADABLE}:
        messages.error(request, _("Your copy of this key is out of date, so you cannot give it."))
    else:
        messages.error(request, refusal.message)
    return redirect("workspace:key_grants")


@require_POST
@staff_view(page=_grants_page)
def key_grant_decide_view(request: StaffRequest, grant_id: uuid.UUID, decision: str) -> HttpResponse:
    """Approve (seal the key to the member) or refuse one owed grant; only a holder reaches it."""
    user = _content_member(request)
    if decision not in {"approve", "refuse"}:
        raise Http404
    grant = access_grant(user, grant_id)
    name = grant.member.username
    if decision == "approve":
        do_approve_grant(actor=user, keyring=request.keyring, grant=grant)
        messages.success(request, _("%(name)s now holds the key.") % {"name": name})
    else:
        do_refuse_grant(actor=user, grant=grant)
        messages.success(request, _("The request for %(name)s was refused: nothing was shared.") % {"name": name})
    return redirect("workspace:key_grants")
