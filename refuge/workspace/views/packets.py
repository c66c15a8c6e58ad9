"""Disclosure packets: prepared by the case's team, consented, approved by a coordinator, produced once.

The team prepares a packet from the case (`packet_new_view`: nothing chosen by default), sees it
as the partner will, records consent, and may revoke it until it is opened. A coordinator who did
not prepare it approves it (`packet_approve_view`); the answer shows the download link (and the
password, for a password delivery) once: neither is stored (refuge/disclosures/packets.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from refuge.cases.access import access_case
from refuge.disclosures import packets, portal, selection
from refuge.disclosures.access import (
    access_case_packet,
    access_packet_to_approve,
    can_approve_packets,
    choosable_partners,
)
from refuge.disclosures.acknowledgements import do_confirm_receipt
from refuge.disclosures.letters import LetterKind, LetterLanguage
from refuge.disclosures.models import ConsentWay
from refuge.disclosures.packet_documents import document_choices
from refuge.disclosures.queries import STATES, packet_state
from refuge.disclosures.reads import PacketPage, open_case_packet, open_packet_to_approve
from refuge.workspace.decorators import LOCKED, UNREADABLE, Refusal, StaffRequest, staff_view
from refuge.workspace.forms_disclosures import AcknowledgementForm, ApproveForm, ConsentForm, PacketForm
from refuge.workspace.submit import submit


def _packet_url(packet: Any) -> str:
    return reverse("workspace:packet_detail", args=[packet.case_id, packet.pk])


@staff_view()
def packet_new_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    user = request.member
    case = access_case(user, case_id).case
    form = PacketForm(
        request.POST if request.method == "POST" else None,
        partners=choosable_partners(user),
        checklist=selection.checklist(user, case),
        documents=document_choices(case, request.keyring),
    )
    if request.method == "POST":
        act = lambda data: packets.do_prepare_packet(  # noqa: E731
            actor=user,
            keyring=request.keyring,
            case=case,
            partner=data["partner"],
            purpose=data["purpose"],
            selection=list(data["chosen"]),
            documents=list(data["documents"]),
            letter=data["letter"],
            letter_language=data["letter_language"],
        )
        done = submit(form, act)
        if done is not None:
            messages.success(request, _("The packet is prepared. Check it, then record the person's consent."))
            return redirect(_packet_url(done.value))
    context = {"case": case, "form": form, "checklist": form.checklist}
    return render(request, "workspace/disclosures/packet_new.html", context, status=400 if form.errors else 200)


def _letter_kind(content: dict[str, Any]) -> str:
    """Which letter, in which language ("Resettlement referral (English)"), or "" without one."""
    chosen = content.get("letter") or {}
    if chosen.get("kind") not in LetterKind.values or chosen.get("language") not in LetterLanguage.values:
        return ""
    return f"{LetterKind(chosen['kind']).label} ({LetterLanguage(chosen['language']).label})"


def _shown(page: PacketPage) -> dict[str, Any]:
    state = packet_state(page.packet)
    way = page.consent.get("way", "") if page.consent else ""
    return {
        "packet": page.packet,
        "content": page.content,
        "letter": page.letter,
        "letter_wording_hidden": page.letter_wording_hidden,
        "letter_kind": _letter_kind(page.content),
        "consent": page.consent,
        "question": page.question,
        "consent_way": ConsentWay(way).label if way in ConsentWay.values else way,
        "state": state,
        "state_label": STATES[state],
    }


def _render_packet(
    request: StaffRequest,
    page: PacketPage,
    *,
    consent_form: ConsentForm | None = None,
    receipt_form: AcknowledgementForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _shown(page) | {
        "case": page.packet.case,
        "consent_form": consent_form or ConsentForm(prefix="consent"),
        "receipt_form": receipt_form or AcknowledgementForm(prefix="receipt"),
        "receipt_url": reverse("workspace:packet_received", args=[page.packet.case_id, page.packet.pk]),
    }
    return render(request, "workspace/disclosures/packet_detail.html", context, status=status)


def _packet_page(
    request: StaffRequest, refusal: Refusal, case_id: uuid.UUID, packet_id: uuid.UUID, **_rest: Any
) -> HttpResponse:
    """The boundary's page for an act on a packet: the packet as it is now, saying why nothing changed."""
    if refusal.code not in {LOCKED, UNREADABLE}:
        messages.error(request, refusal.message)
    return _render_packet(
        request, open_case_packet(request.member, request.keyring, case_id, packet_id), status=refusal.status
    )


@never_cache
@staff_view()
def packet_detail_view(request: StaffRequest, case_id: uuid.UUID, packet_id: uuid.UUID) -> HttpResponse:
    return _render_packet(request, open_case_packet(request.member, request.keyring, case_id, packet_id))


@require_POST
@staff_view(page=_packet_page)
def packet_consent_view(request: StaffRequest, case_id: uuid.UUID, packet_id: uuid.UUID) -> HttpResponse:
    packet = access_case_packet(access_case(request.member, case_id).case, packet_id)
    form = ConsentForm(request.POST, prefix="consent")
    act = lambda data: packets.do_record_consent(  # noqa: E731
        actor=request.member,
        keyring=request.keyring,
        packet=packet,
        who=data["who"],
        given_on=data["given_on"],
        way=data["way"],
        purpose=data["consent_purpose"],
    )
    if submit(form, act) is None:
        page = open_case_packet(request.member, request.keyring, case_id, packet_id)
        return _render_packet(request, page, consent_form=form, status=400)
    messages.success(request, _("The consent is recorded. A coordinator can now approve the packet."))
    return redirect(_packet_url(packet))


@require_POST
@staff_view(page=_packet_page)
def packet_revoke_view(request: StaffRequest, case_id: uuid.UUID, packet_id: uuid.UUID) -> HttpResponse:
    packet = access_case_packet(access_case(request.member, case_id).case, packet_id)
    packets.do_revoke_packet(actor=request.member, packet=packet)
    messages.success(request, _("The packet is revoked: its link no longer works."))
    return redirect(_packet_url(packet))


@require_POST
@staff_view(page=_packet_page)
def packet_ask_view(request: StaffRequest, case_id: uuid.UUID, packet_id: uuid.UUID) -> HttpResponse:
    packet = access_case_packet(access_case(request.member, case_id).case, packet_id)
    portal.do_ask_consent(actor=request.member, keyring=request.keyring, packet=packet)
    messages.success(request, _("The requester is asked on their portal page. Their answer will show here."))
    return redirect(_packet_url(packet))


@require_POST
@staff_view(page=_packet_page)
def packet_referred_view(request: StaffRequest, case_id: uuid.UUID, packet_id: uuid.UUID) -> HttpResponse:
    packet = access_case_packet(access_case(request.member, case_id).case, packet_id)
    packets.do_close_as_referred(actor=request.member, keyring=request.keyring, packet=packet)
    messages.success(request, _("The case is closed as referred."))
    return redirect(_packet_url(packet))


def _file(produced: bytes) -> HttpResponse:
    response = HttpResponse(produced, content_type="application/octet-stream")
    response["Content-Disposition"] = 'attachment; filename="packet.zip.age"'
    return response


@never_cache
@require_POST
@staff_view(page=_packet_page)
def packet_file_view(request: StaffRequest, case_id: uuid.UUID, packet_id: uuid.UUID) -> HttpResponse:
    """The packet's encrypted file, to hand over out of band: counted as a download (packets.do_take_file)."""
    packet = access_case_packet(access_case(request.member, case_id).case, packet_id)
    return _file(packets.do_take_file(actor=request.member, packet=packet))


@require_POST
@staff_view(page=_packet_page)
def packet_received_view(request: StaffRequest, case_id: uuid.UUID, packet_id: uuid.UUID) -> HttpResponse:
    """The partner's confirmation code typed in: the packet is marked received (acknowledgements.py)."""
    packet = access_case_packet(access_case(request.member, case_id).case, packet_id)
    form = AcknowledgementForm(request.POST, prefix="receipt")
    act = lambda data: do_confirm_receipt(actor=request.member, packet=packet, code=data["code"])  # noqa: E731
    if submit(form, act) is None:
        page = open_case_packet(request.member, request.keyring, case_id, packet_id)
        return _render_packet(request, page, receipt_form=form, status=400)
    messages.success(request, _("The partner's receipt is confirmed."))
    return redirect(_packet_url(packet))


# --- a coordinator's review ----------------------------------------------------------------------


def _render_review(
    request: StaffRequest,
    page: PacketPage,
    *,
    form: ApproveForm | None = None,
    receipt_form: AcknowledgementForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _shown(page) | {
        "same_member": page.packet.prepared_by_id == request.member.pk,
        "approve_form": form or ApproveForm(),
        "receipt_form": receipt_form or AcknowledgementForm(prefix="receipt"),
        "receipt_url": reverse("workspace:packet_review_received", args=[page.packet.pk]),
    }
    return render(request, "workspace/disclosures/packet_review.html", context, status=status)


def _review_page(request: StaffRequest, refusal: Refusal, packet_id: uuid.UUID, **_rest: Any) -> HttpResponse:
    if refusal.code not in {LOCKED, UNREADABLE}:
        messages.error(request, refusal.message)
    return _render_review(
        request, open_packet_to_approve(request.member, request.keyring, packet_id), status=refusal.status
    )


@never_cache
@staff_view()
def packet_review_view(request: StaffRequest, packet_id: uuid.UUID) -> HttpResponse:
    if not can_approve_packets(request.member):
        raise Http404
    return _render_review(request, open_packet_to_approve(request.member, request.keyring, packet_id))


@never_cache
@require_POST
@staff_view(page=_review_page)
def packet_approve_view(request: StaffRequest, packet_id: uuid.UUID) -> HttpResponse:
    packet = access_packet_to_approve(request.member, packet_id)
    form = ApproveForm(request.POST)
    act = lambda data: packets.do_approve_packet(  # noqa: E731
        actor=request.member,
        keyring=request.keyring,
        packet=packet,
        expires_in_days=data["expires_in_days"],
        download_limit=data["download_limit"],
    )
    done = submit(form, act)
    if done is None:
        page = open_packet_to_approve(request.member, request.keyring, packet_id)
        return _render_review(request, page, form=form, status=400)
    produced = done.value
    link = request.build_absolute_uri(reverse("requester:packet", args=[produced.token]))
    context = {"packet": produced.packet, "link": link, "passphrase": produced.passphrase}
    # Shown once: the link and the password are in no row and in no later page.
    return render(request, "workspace/disclosures/packet_produced.html", context)


@never_cache
@require_POST
@staff_view(page=_review_page)
def packet_review_file_view(request: StaffRequest, packet_id: uuid.UUID) -> HttpResponse:
    """The approving coordinator's way to the same file (they need not be on the case's team)."""
    packet = access_packet_to_approve(request.member, packet_id)
    return _file(packets.do_take_file(actor=request.member, packet=packet))


@require_POST
@staff_view(page=_review_page)
def packet_review_received_view(request: StaffRequest, packet_id: uuid.UUID) -> HttpResponse:
    packet = access_packet_to_approve(request.member, packet_id)
    form = AcknowledgementForm(request.POST, prefix="receipt")
    act = lambda data: do_confirm_receipt(actor=request.member, packet=packet, code=data["code"])  # noqa: E731
    if submit(form, act) is None:
        page = open_packet_to_approve(request.member, request.keyring, packet_id)
        return _render_review(request, page, receipt_form=form, status=400)
    messages.success(request, _("The partner's receipt is confirmed."))
    return redirect("workspace:packet_review", packet.pk)
