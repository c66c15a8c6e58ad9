"""The shelter register: safe houses, who stays where, occupancy, and the addresses.

Coordinators see every shelter of their organisation; caseworkers (and intake
members) only the shelters where people of their own cases stay; everyone else,
and every other organisation, gets 404 (`access_shelter`). Two real abductions
happened at NGO safe houses (DOMAIN.md): the address is under a key of its own and
is decrypted only on an explicit "show the address" step, audited apart. Access, decryption
and the audit of each read are refuge/shelter/reads.py's: this module only shows.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from refuge.accounts.models import User
from refuge.cases.access import CASE_ROLES
from refuge.shelter import actions
from refuge.shelter.access import access_shelter, can_manage_shelters
from refuge.shelter.models import Shelter
from refuge.shelter.queries import (
    address_candidates,
    occupied_now,
    register,
    shelter_address,
    weekly_occupancy,
)
from refuge.shelter.reads import holds_shelter_address, open_shelter, open_shelter_for_edit
from refuge.workspace.decorators import CONFLICT, LOCKED, UNREADABLE, Refusal, StaffRequest, staff_view
from refuge.workspace.forms_shelters import GrantAddressForm, ShelterEditForm, ShelterForm
from refuge.workspace.submit import submit


def _coordinator(request: StaffRequest) -> User:
    if not can_manage_shelters(request.member):
        raise Http404
    return request.member


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
def shelter_list_view(request: StaffRequest) -> HttpResponse:
    user = request.member
    if user.role not in CASE_ROLES:
        raise Http404
    context = {"shelters": list(register(user, timezone.localdate())), "manager": can_manage_shelters(user)}
    return render(request, "workspace/shelters/list.html", context)


@staff_view()
def shelter_new_view(request: StaffRequest) -> HttpResponse:
    user = _coordinator(request)
    form = ShelterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        created = submit(form, lambda data: actions.do_create_shelter(actor=user, details=_details(data)))
        if created is not None:
            shelter = created.value
            messages.success(request, _("The shelter %(name)s is added.") % {"name": shelter.code_name})
            return redirect("workspace:shelter_detail", shelter.pk)
    return render(request, "workspace/shelters/new.html", {"form": form}, status=400 if form.errors else 200)


# --- one shelter --------------------------------------------------------------------------------


def _render_detail(
    request: StaffRequest, shelter_id: uuid.UUID, *, grant_form: GrantAddressForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.member
    today = timezone.localdate()
    page = open_shelter(user, request.keyring, shelter_id, with_address=request.GET.get("show") == "address")
    shelter = page.shelter
    context: dict[str, Any] = {
        "shelter": shelter,
        "today": today,
        "manager": can_manage_shelters(user),
        "unreadable": page.unreadable,
        "text": page.text,
        "holds_address": page.holds_address,
        "stays": page.stays,
        "other_stays": page.other_stays,
        "occupied": occupied_now(shelter),
        "weeks": weekly_occupancy(shelter, today),
    }
    if page.address is not None:
        context["address"] = page.address
    if context["manager"] and page.holds_address:
        context["grant_form"] = grant_form or GrantAddressForm(
            candidates=address_candidates(shelter, page.address_record)
        )
    return render(request, "workspace/shelters/detail.html", context, status=status)


def _grant_form(request: StaffRequest, shelter: Shelter) -> GrantAddressForm:
    return GrantAddressForm(request.POST, candidates=address_candidates(shelter, shelter_address(shelter)))


def _shelter_page(request: StaffRequest, refusal: Refusal, shelter_id: uuid.UUID, **_rest: Any) -> HttpResponse:
    """The boundary's page for a shelter: its entry again, saying why nothing was changed."""
    if refusal.code not in {LOCKED, UNREADABLE}:
        messages.error(request, refusal.message)
    return _render_detail(request, shelter_id, status=refusal.status)


def _detail_page(request: StaffRequest, refusal: Refusal, shelter_id: uuid.UUID, **_rest: Any) -> HttpResponse:
    if request.method != "POST" or refusal.code not in {LOCKED, UNREADABLE}:
        return _shelter_page(request, refusal, shelter_id)
    # Giving the address needs it: said next to the form.
    form = _grant_form(request, access_shelter(request.member, shelter_id))
    form.is_valid()
    form.add_error(None, _("You do not hold the address of this shelter, so you cannot give it."))
    return _render_detail(request, shelter_id, grant_form=form, status=400)


@staff_view(page=_detail_page)
def shelter_detail_view(request: StaffRequest, shelter_id: uuid.UUID) -> HttpResponse:
    """The register entry; a coordinator's POST gives the address to one member."""
    shelter = access_shelter(request.member, shelter_id)
    if request.method != "POST":
        return _render_detail(request, shelter.pk)
    user = _coordinator(request)
    form = _grant_form(request, shelter)
    act = lambda data: actions.do_grant_shelter_address(  # noqa: E731
        actor=user, keyring=request.keyring, shelter=shelter, member=data["member"]
    )
    if submit(form, act) is None:
        return _render_detail(request, shelter.pk, grant_form=form, status=400)
    messages.success(request, _("%(name)s can now read the address.") % {"name": form.cleaned_data["member"].username})
    return redirect("workspace:shelter_detail", shelter.pk)


def _edit_form(request: StaffRequest, shelter: Shelter, *, status: int = 200) -> HttpResponse:
    """The edit form filled with what is stored now (each read audited)."""
    opened = open_shelter_for_edit(request.member, request.keyring, shelter)
    initial = {
        "code_name": shelter.code_name,
        "capacity": shelter.capacity,
        "city": opened.text.city,
        "rules": opened.text.rules,
        "address": opened.address,
        "active": shelter.active,
        "version": shelter.version,
    }
    form = ShelterEditForm(initial=initial, with_address=opened.with_address)
    return _render_edit(request, shelter, form, opened.with_address, status=status)


def _render_edit(
    request: StaffRequest, shelter: Shelter, form: ShelterEditForm, with_address: bool, *, status: int
) -> HttpResponse:
    context = {"shelter": shelter, "form": form, "with_address": with_address}
    return render(request, "workspace/shelters/edit.html", context, status=status)


def _shelter_edit_page(request: StaffRequest, refusal: Refusal, shelter_id: uuid.UUID, **_rest: Any) -> HttpResponse:
    if refusal.code != CONFLICT:
        return _shelter_page(request, refusal, shelter_id)
    # Someone saved first: what is saved now, and why the typed change was not kept.
    messages.error(request, refusal.message)
    return _edit_form(request, access_shelter(_coordinator(request), shelter_id), status=refusal.status)


@staff_view(page=_shelter_edit_page)
def shelter_edit_view(request: StaffRequest, shelter_id: uuid.UUID) -> HttpResponse:
    user = _coordinator(request)
    shelter = access_shelter(user, shelter_id)
    if request.method != "POST":
        return _edit_form(request, shelter)
    with_address = holds_shelter_address(user, shelter)
    posted = ShelterEditForm(request.POST, with_address=with_address)
    act = lambda data: actions.do_edit_shelter(  # noqa: E731
        actor=user,
        keyring=request.keyring,
        shelter=shelter,
        details=_details(data),
        active=data["active"],
        version=data["version"],
    )
    if submit(posted, act) is None:
        return _render_edit(request, shelter, posted, with_address, status=400)
    messages.success(request, _("The shelter is saved."))
    return redirect("workspace:shelter_detail", shelter.pk)
