"""Consent asked through the requester's portal: the team asks, the requester answers yes or no.

The question is encrypted under the request's key (the team holds it; the requester opens it
with their receipt), so the requester reads exactly what was asked: the purpose and the
fields, never the partner's name (which only coordinators hold). A "yes" records the
packet's consent (`consent_recorded`); a "no" leaves the packet unapprovable. Works without
JavaScript: two buttons of one form on the request page.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.actions import record, record_requester_act
from refuge.cases.access import is_team_member
from refuge.core.errors import UserError
from refuge.disclosures.audit_events import DisclosureEvent
from refuge.disclosures.models import ConsentQuestion, Packet
from refuge.disclosures.reads import read_packet_content
from refuge.intake.models import HelpRequest
from refuge.keyring.keyring import Keyring
from refuge.keyring.records import decrypt_text, encrypt_column


def do_ask_consent(*, actor: User, keyring: Keyring, packet: Packet) -> ConsentQuestion:
    """Ask the requester, on their portal page, whether this packet may go."""
    case = packet.case
    if not is_team_member(actor, case):
        raise UserError("not_allowed", _("Only the case's team records consent."))
    if case.request_id is None:
        raise UserError("no_portal", _("This case did not come from the portal: ask the person another way."))
    content = read_packet_content(packet, keyring)
    request = HelpRequest.objects.select_related("key").get(pk=case.request_id)
    secret = keyring.secret_for(request.key)
    fields = [f["name"] for person in content["people"] for f in person["fields"]]
    documents = [d["name"] for d in content.get("documents", [])]
    letter = (content.get("letter") or {}).get("kind", "")
    with transaction.atomic():
        locked = Packet.objects.select_for_update().get(pk=packet.pk)
        if locked.approved_by_id is not None or locked.revoked_on is not None or locked.consent_recorded:
            raise UserError("closed", _("This packet is already approved or revoked: consent cannot change now."))
        if ConsentQuestion.objects.filter(packet=locked).exists():
            raise UserError("asked", _("The requester has already been asked about this packet."))
        question = ConsentQuestion(packet=locked, request=request, key=request.key, asked_on=timezone.localdate())
        text = {"purpose": content["purpose"], "fields": fields, "documents": documents, "letter": letter}
        encrypt_column(question, "question", json.dumps(text, ensure_ascii=False), secret, request.key)
        question.save(force_insert=True)
        record(
            DisclosureEvent.CONSENT_ASKED,
            actor_id=actor.pk,
            organisation_id=actor.organisation_id,
            object_type="packet",
            object_id=locked.pk,
        )
    return question


@dataclass(frozen=True)
class AskedConsent:
    question: ConsentQuestion
    purpose: str
    fields: list[str]  # <compartment>.<field>, labelled by the page in the reader's language
    documents: list[str]  # the file names of the chosen documents
    letter: str  # the support letter's kind (letters.LetterKind), or ""


def open_questions(request: HelpRequest, secret: bytes) -> list[AskedConsent]:
    """The questions the requester has not answered yet, on packets still waiting for approval."""
    asked = ConsentQuestion.objects.filter(
        request=request,
        answered_on__isnull=True,
        packet__approved_by__isnull=True,
        packet__revoked_on__isnull=True,
    ).select_related("key")
    shown = []
    for question in asked.order_by("asked_on", "id"):
        text: dict[str, Any] = json.loads(decrypt_text(question, "question", secret, question.key))
        shown.append(
            AskedConsent(
                question,
                str(text.get("purpose", "")),
                [str(f) for f in text.get("fields", [])],
                [str(d) for d in text.get("documents", [])],
                str(text.get("letter", "")),
            )
        )
    return shown


def do_answer_consent(*, request: HelpRequest, question_id: uuid.UUID | str, agreed: bool) -> None:
    """The requester's yes or no, once; a yes records the packet's consent."""
    try:
        wanted = uuid.UUID(str(question_id))
    except ValueError:
        raise UserError("no_question", _("This question is no longer open.")) from None
    with transaction.atomic():
        question = ConsentQuestion.objects.select_for_update().filter(pk=wanted, request=request).first()
        if question is None or question.answered_on is not None:
            raise UserError("no_question", _("This question is no longer open."))
        packet = Packet.objects.select_for_update().get(pk=question.packet_id)
        if packet.approved_by_id is not None or packet.revoked_on is not None:
            raise UserError("no_question", _("This question is no longer open."))
        question.answered_on, question.agreed = timezone.localdate(), agreed
        question.save(update_fields=["answered_on", "agreed"])
        # A "no" is the last word, over a consent the team recorded by hand meanwhile (packets.SAID_NO).
        Packet.objects.filter(pk=packet.pk).update(consent_recorded=agreed)
        record_requester_act(
            DisclosureEvent.CONSENT_ANSWERED,
            organisation_id=request.organisation_id,
            object_type="packet",
            object_id=packet.pk,
        )
