"""Keys owed to members, and a holder's decision on each (refuge/keyring/grants.py).

A member who holds a key sees the grants of it owed to colleagues, with who and why,
and approves (the key is sealed to the colleague) or refuses each one. The member a key
is owed to sees that their access is pending. Administrators and auditors hold no
content keys: the page is not theirs (404).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from refuge.accounts.models import Role, User
from refuge.cases.models import Case, TeamMember
from refuge.core.errors import UserError
from refuge.crypto import CryptoError
from refuge.keyring.access import access_grant
from refuge.keyring.grants import do_approve_grant, do_refuse_grant
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.keyring.models import GrantReason, KeyGrant, Purpose
from refuge.keyring.queries import grants_awaiting, grants_to_approve
from refuge.shelter.models import Shelter
from refuge.workspace.decorators import member, staff_view


@dataclass(frozen=True)
class ShownGrant:
    """A grant as a page shows it: which key, and why the member is owed it."""

    grant: KeyGrant
    what: str
    why: str


def _content_member(request: HttpRequest) -> User:
    user = member(request)
    if not user.sees_content:
        raise Http404
    return user


def shown_grants(viewer: User, grants: list[KeyGrant]) -> list[ShownGrant]:
    """Describe grants by metadata only (shelter code names, case references): nothing is decrypted."""
    shelters = {s.key_id: s.code_name for s in Shelter.objects.filter(key_id__in={g.key_id for g in grants})}
    case_ids = {g.case_id for g in grants if g.case_id is not None}
    # A case's reference only to those who may see the case: its team, or a coordinator.
    visible = set(TeamMember.objects.filter(user=viewer, case_id__in=case_ids).values_list("case_id", flat=True))
    if viewer.role == Role.COORDINATOR:
        visible = case_ids
    references = dict(Case.objects.filter(pk__in=visible).values_list("pk", "reference"))
    return [ShownGrant(g, _what(g, shelters), _why(g, references)) for g in grants]


def _what(grant: KeyGrant, shelters: dict[uuid.UUID, str]) -> str:
    if grant.key.purpose == Purpose.INTAKE_GROUP:
        return _("The intake key: it opens every new request")
    if grant.key_id in shelters:
        return _("The key of shelter %(name)s: its city and house rules") % {"name": shelters[grant.key_id]}
    return _("A key of the organisation")


def _why(grant: KeyGrant, references: dict[uuid.UUID, str]) -> str:
    if grant.reason == GrantReason.INTAKE:
        return _("Joined as %(role)s: reads new requests") % {"role": grant.member.get_role_display()}
    if grant.reason == GrantReason.COORDINATOR:
        return _("Coordinator: holds the key of every shelter")
    if grant.case_id in references:
        return _("On the team of case %(reference)s, whose person stays in this shelter") % {
            "reference": references[grant.case_id]
        }
    return _("On the team of a case whose person stays in this shelter")


@staff_view()
def key_grants_view(request: HttpRequest) -> HttpResponse:
    """Grants the member can decide on, and their own access that is pending."""
    user = _content_member(request)
    context = {
        "to_approve": shown_grants(user, list(grants_to_approve(user)[:200])),
        "awaiting": shown_grants(user, list(grants_awaiting(user))),
    }
    return render(request, "workspace/grants.html", context)


@require_POST
@staff_view()
def key_grant_decide_view(request: HttpRequest, grant_id: uuid.UUID, decision: str) -> HttpResponse:
    """Approve (seal the key to the member) or refuse one owed grant; only a holder reaches it."""
    user = _content_member(request)
    if decision not in {"approve", "refuse"}:
        raise Http404
    grant = access_grant(user, grant_id)
    name = grant.member.username
    try:
        if decision == "approve":
            do_approve_grant(actor=user, keyring=cast(Keyring, request.keyring), grant=grant)  # type: ignore[attr-defined]
            messages.success(request, _("%(name)s now holds the key.") % {"name": name})
        else:
            do_refuse_grant(actor=user, grant=grant)
            messages.success(request, _("The request for %(name)s was refused: nothing was shared.") % {"name": name})
    except UserError as error:
        messages.error(request, str(error.message))
    except (KeyNotHeld, CryptoError):
        messages.error(request, _("Your copy of this key is out of date, so you cannot give it."))
    return redirect("workspace:key_grants")
