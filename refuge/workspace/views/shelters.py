"""The shelter register: safe houses, who stays where, occupancy, and the addresses.

Coordinators see every shelter of their organisation; caseworkers (and intake
members) only the shelters where people of their own cases stay; everyone else,
and every other organisation, gets 404 (`access_shelter`). Two real abductions
happened at NGO safe houses (DOMAIN.md): the address is under a key of its own and
is decrypted only on an explicit "show the address" step, audited apart.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from refuge.accounts.models import User
from refuge.cases.access import CASE_ROLES, holds_key
from refuge.cases.models import TeamMember
from refuge.core.errors import UserError
from refuge.core.forms import add_user_error
from refuge.crypto import CryptoError
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.shelter import actions
from refuge.shelter.access import access_shelter, can_manage_shelters
from refuge.shelter.models import Placement, Shelter
from refuge.shelter.queries import (
    ShelterText,
    address_candidates,
    current_stays,
    occupied_now,
    read_address,
    read_shelter,
    register,
    shelter_address,
    weekly_occupancy,
)
from refuge.workspace.decorators import member, staff_view
from refuge.workspace.forms_shelters import GrantAddressForm, ShelterEditForm, ShelterForm

log = logging.getLogger(__name__)


def _keyring(request: HttpRequest) -> Keyring:
    return cast(Keyring, request.keyring)  # type: ignore[attr-defined]


def _coordinator(request: HttpRequest) -> User:
    user = member(request)
    if not can_manage_shelters(user):
        raise Http404
    return user


def _details(data: dict[str, Any]) -> actions.ShelterDetails:
    return actions.ShelterDetails(
        code_name=data["code_name"],
        capacity=data["capacity"],
        city=data["city"],
        rules=data["rules"],
        address=data.get("address", ""),
    )


# --- the register ----------------------------------------------------------------------------


@staff_view()
def shelter_list_view(request: HttpRequest) -> HttpResponse:
    user = member(request)
    if user.role not in CASE_ROLES:
        raise Http404
    context = {"shelters": list(register(user, timezone.localdate())), "manager": can_manage_shelters(user)}
    return render(request, "workspace/shelters/list.html", context)


@staff_view()
def shelter_new_view(request: HttpRequest) -> HttpResponse:
    user = _coordinator(request)
    form = ShelterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            shelter = actions.do_create_shelter(actor=user, details=_details(form.cleaned_data))
        except UserError as error:
            add_user_error(form, error)
        else:
            messages.success(request, _("The shelter %(name)s is added.") % {"name": shelter.code_name})
            return redirect("workspace:shelter_detail", shelter.pk)
    return render(request, "workspace/shelters/new.html", {"form": form}, status=400 if form.errors else 200)


# --- one shelter --------------------------------------------------------------------------------


def _stays(user: User, shelter: Shelter) -> tuple[list[Placement], int]:
    """The stays the user may see by pseudonym, and how many others there are.

    Coordinators see everyone; a caseworker sees the people of their own cases and
    only a count of the others (need-to-know: other teams' people are not theirs).
    """
    stays = current_stays(shelter)
    if can_manage_shelters(user):
        return stays, 0
    mine = set(
        TeamMember.objects.filter(user=user, case_id__in={s.case_id for s in stays}).values_list("case_id", flat=True)
    )
    shown = [stay for stay in stays if stay.case_id in mine]
    return shown, len(stays) - len(shown)


def _render_detail(
    request: HttpRequest, shelter: Shelter, *, grant_form: GrantAddressForm | None = None, status: int = 200
) -> HttpResponse:
    user = member(request)
    today = timezone.localdate()
    context: dict[str, Any] = {"shelter": shelter, "today": today, "manager": can_manage_shelters(user)}
    try:
        text: ShelterText | None = read_shelter(shelter, _keyring(request))
    except KeyNotHeld:
        # Placed by a member without the key: it reaches the team once a holder approves the grant.
        text = None
    except CryptoError:
        log.error("shelter %s did not decrypt; it may have been tampered with", shelter.pk)
        context["unreadable"] = True
        text = None
    if text is not None:
        actions.do_record_shelter_read(actor=user, shelter=shelter)
    address = shelter_address(shelter)
    holds_address = address is not None and holds_key(user, address.key)
    if holds_address and address is not None and request.GET.get("show") == "address":
        try:
            context["address"] = read_address(address, _keyring(request))
        except (KeyNotHeld, CryptoError):
            log.error("the address of shelter %s did not decrypt", shelter.pk)
            context["unreadable"] = True
        else:
            actions.do_record_shelter_read(actor=user, shelter=shelter, address=True)
    stays, others = _stays(user, shelter)
    context |= {
        "text": text,
        "holds_address": holds_address,
        "stays": stays,
        "other_stays": others,
        "occupied": occupied_now(shelter),
        "weeks": weekly_occupancy(shelter, today),
    }
    if context["manager"] and holds_address:
        context["grant_form"] = grant_form or GrantAddressForm(candidates=address_candidates(shelter, address))
    return render(request, "workspace/shelters/detail.html", context, status=status)


@staff_view()
def shelter_detail_view(request: HttpRequest, shelter_id: uuid.UUID) -> HttpResponse:
    """The register entry; a coordinator's POST gives the address to one member."""
    user = member(request)
    shelter = access_shelter(user, shelter_id)
    if request.method != "POST":
        return _render_detail(request, shelter)
    user = _coordinator(request)
    address = shelter_address(shelter)
    form = GrantAddressForm(request.POST, candidates=address_candidates(shelter, address))
    if form.is_valid():
        chosen = form.cleaned_data["member"]
        try:
            actions.do_grant_shelter_address(actor=user, keyring=_keyring(request), shelter=shelter, member=chosen)
        except UserError as error:
            add_user_error(form, error)
        except (KeyNotHeld, CryptoError):
            form.add_error(None, _("You do not hold the address of this shelter, so you cannot give it."))
        else:
            messages.success(request, _("%(name)s can now read the address.") % {"name": chosen.username})
            return redirect("workspace:shelter_detail", shelter.pk)
    return _render_detail(request, shelter, grant_form=form, status=400)


@staff_view()
def shelter_edit_view(request: HttpRequest, shelter_id: uuid.UUID) -> HttpResponse:
    user = _coordinator(request)
    shelter = access_shelter(user, shelter_id)
    address = shelter_address(shelter)
    with_address = address is not None and holds_key(user, address.key)
    try:
        text = read_shelter(shelter, _keyring(request))
        current_address = read_address(address, _keyring(request)) if with_address and address else ""
    except (KeyNotHeld, CryptoError):
        return _render_detail(request, shelter, status=403)
    initial = {
        "code_name": shelter.code_name,
        "capacity": shelter.capacity,
        "city": text.city,
        "rules": text.rules,
        "address": current_address,
        "active": shelter.active,
        "version": shelter.version,
    }
    form = ShelterEditForm(initial=initial, with_address=with_address)
    status = 200
    if request.method == "POST":
        posted = ShelterEditForm(request.POST, with_address=with_address)
        if posted.is_valid():
            data = posted.cleaned_data
            try:
                actions.do_edit_shelter(
                    actor=user,
                    keyring=_keyring(request),
                    shelter=shelter,
                    details=_details(data),
                    active=data["active"],
                    version=data["version"],
                )
            except UserError as error:
                if error.code == "conflict":
                    messages.error(request, str(error.message))
                    status = 409
                else:
                    add_user_error(posted, error)
                    form, status = posted, 400
            else:
                messages.success(request, _("The shelter is saved."))
                return redirect("workspace:shelter_detail", shelter.pk)
        else:
            form, status = posted, 400
    else:
        actions.do_record_shelter_read(actor=user, shelter=shelter)
        if with_address:
            actions.do_record_shelter_read(actor=user, shelter=shelter, address=True)
    context = {"shelter": shelter, "form": form, "with_address": with_address}
    return render(request, "workspace/shelters/edit.html", context, status=status)
