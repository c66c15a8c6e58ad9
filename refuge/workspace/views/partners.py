"""The partner register (coordinators): embassies, UNHCR, receiving NGOs, lawyers, other installations.

Everything but the code name and the way packets reach a partner is encrypted under the
partner's key (coordinators and recovery); opening an entry is audited (refuge/disclosures/reads.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from refuge.accounts.models import User
from refuge.disclosures import actions
from refuge.disclosures.access import access_partner, can_manage_partners
from refuge.disclosures.models import Partner, PartnerKind
from refuge.disclosures.queries import organisation_packets
from refuge.disclosures.reads import open_partner
from refuge.workspace.decorators import StaffRequest, staff_view
from refuge.workspace.forms_disclosures import PartnerEditForm, PartnerForm
from refuge.workspace.submit import submit


def _coordinator(request: StaffRequest) -> User:
    if not can_manage_partners(request.member):
        raise Http404
    return request.member


def _details(data: dict[str, Any]) -> actions.PartnerDetails:
    return actions.PartnerDetails(
        code_name=data["code_name"],
        name=data["name"],
        kind=data["kind"],
        country=data["country"],
        delivery=data["delivery"],
        recipient=data["recipient"],
        contact_notes=data["contact_notes"],
    )


@staff_view()
def partner_list_view(request: StaffRequest) -> HttpResponse:
    user = _coordinator(request)
    partners = Partner.objects.filter(organisation_id=user.organisation_id)
    return render(request, "workspace/disclosures/partners.html", {"partners": partners})


@staff_view()
def partner_new_view(request: StaffRequest) -> HttpResponse:
    user = _coordinator(request)
    form = PartnerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        done = submit(form, lambda data: actions.do_add_partner(actor=user, details=_details(data)))
        if done is not None:
            messages.success(request, _("The partner %(name)s is added.") % {"name": done.value.code_name})
            return redirect("workspace:partner_detail", done.value.pk)
    return render(request, "workspace/disclosures/partner_new.html", {"form": form}, status=400 if form.errors else 200)


@staff_view()
def partner_detail_view(request: StaffRequest, partner_id: uuid.UUID) -> HttpResponse:
    _coordinator(request)
    page = open_partner(request.member, request.keyring, partner_id)
    kind = PartnerKind(page.text.kind).label if page.text.kind in PartnerKind.values else page.text.kind
    context = {"partner": page.partner, "text": page.text, "kind_label": kind}
    return render(request, "workspace/disclosures/partner_detail.html", context)


@staff_view()
def partner_edit_view(request: StaffRequest, partner_id: uuid.UUID) -> HttpResponse:
    user = _coordinator(request)
    partner = access_partner(user, partner_id)
    if request.method == "POST":
        form = PartnerEditForm(request.POST)
        act = lambda data: actions.do_edit_partner(  # noqa: E731
            actor=user,
            keyring=request.keyring,
            partner=partner,
            details=_details(data),
            active=data["active"],
            version=data["version"],
        )
        if submit(form, act) is not None:
            messages.success(request, _("The partner is saved."))
            return redirect("workspace:partner_detail", partner.pk)
    else:
        text = open_partner(user, request.keyring, partner_id).text
        form = PartnerEditForm(
            initial={
                "code_name": partner.code_name,
                "name": text.name,
                "kind": text.kind,
                "country": text.country,
                "delivery": partner.delivery,
                "recipient": text.recipient,
                "contact_notes": text.contact_notes,
                "active": partner.active,
                "version": partner.version,
            }
        )
    context = {"form": form, "partner": partner}
    return render(request, "workspace/disclosures/partner_edit.html", context, status=400 if form.errors else 200)


@staff_view()
def disclosure_register_view(request: StaffRequest) -> HttpResponse:
    """Every disclosure of the organisation: what, to whom, when, who prepared and approved, consent, opened."""
    user = _coordinator(request)
    rows = organisation_packets(user.organisation_id)
    return render(request, "workspace/disclosures/register.html", {"rows": rows})
