"""Every write to a disclosure packet: prepare, record consent, approve (and produce), revoke, download.

The gates (issue #14): nothing is produced without recorded consent and the approval of a
coordinator who did not prepare it; a produced packet is encrypted to its partner (age), expires,
can be downloaded a limited number of times (a conditional UPDATE, so the limit holds under
concurrent requests) and can be revoked until it is first opened. Each step is audited by ids only.
"""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import Role, User
from refuge.audit.actions import record
from refuge.cases.access import is_team_member
from refuge.cases.actions.details import do_change_stage
from refuge.cases.models import Case, ClosingReason, Stage
from refuge.core.errors import UserError
from refuge.crypto import encrypt_for_age_recipient, encrypt_with_passphrase, new_packet_passphrase, sha256_hex
from refuge.disclosures.access import can_approve_packets
from refuge.disclosures.acknowledgements import new_acknowledgement
from refuge.disclosures.archive import packet_archive
from refuge.disclosures.audit_events import DisclosureEvent
from refuge.disclosures.hidden_text import holds_hidden_text
from refuge.disclosures.letter_templates import wording_for
from refuge.disclosures.letters import LetterKind, LetterLanguage
from refuge.disclosures.models import ConsentQuestion, ConsentWay, Delivery, Packet, PacketDocument, Partner
from refuge.disclosures.packet_documents import chosen_documents, copy_into_packet, packet_files
from refuge.disclosures.reads import read_packet_content, read_partner
from refuge.disclosures.selection import selected_fields
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import Key, Purpose
from refuge.keyring.records import encrypt_column

MAX_PURPOSE_CHARS = 1_000
MAX_CONSENT_TEXT_CHARS = 1_000
MAX_EXPIRY_DAYS = 30
MAX_DOWNLOADS = 5
MAX_TOKEN_CHARS = 100
SAID_NO = _(
    "The requester said no on their portal page: this packet cannot go. If they change their mind, "
    "prepare a new packet and ask them again."
)


def _text(value: str, limit: int, field: str, required: Any) -> str:
    text = (value or "").strip()
    if not text:
        raise UserError("required", required, field=field)
    if len(text) > limit:
        raise UserError(
            "too_long", _("This is too long: at most %(count)d characters.") % {"count": limit}, field=field
        )
    if holds_hidden_text(text):
        raise UserError(
            "hidden_text", _("Remove the control or text-direction characters from this text."), field=field
        )
    return text


def _holders(case: Case) -> list[User]:
    """The case's team (who record consent and revoke) and the organisation's coordinators (who approve)."""
    people = User.objects.filter(organisation_id=case.organisation_id, is_active=True)
    chosen = people.filter(role=Role.COORDINATOR) | people.filter(case_teams__case=case)
    return [user for user in chosen.distinct() if len(bytes(user.public_key)) == 32]


def packet_keys_of_team(case: Case, member: User | None) -> list[Key]:
    """The keys of the case's packets a member leaving its team loses (refuge.cases.actions.team).

    Wrapped for the team when each packet was prepared: a caseworker taken off the case must not
    keep the chosen fields, documents and consent. A coordinator keeps them (the coordinators review
    and approve every packet of the organisation); `member` None: every packet key, to rotate."""
    if member is not None and member.role == Role.COORDINATOR and member.is_active:
        return []
    return [packet.key for packet in Packet.objects.filter(case=case).select_related("key")]


def _letter(kind: str, language: str) -> dict[str, str] | None:
    """The support letter asked for (refuge/disclosures/letters.py), or None; UserError for an unknown one."""
    if not kind:
        return None
    if kind not in LetterKind.values:
        raise UserError("bad_letter", _("Choose one of the support letters."), field="letter")
    if language not in LetterLanguage.values:
        raise UserError("bad_language", _("Choose the letter's language."), field="letter_language")
    return {"kind": kind, "language": language}


def do_prepare_packet(
    *,
    actor: User,
    keyring: Keyring,
    case: Case,
    partner: Partner,
    purpose: str,
    selection: list[str],
    documents: Sequence[str] = (),
    letter: str = "",
    letter_language: str = "",
) -> Packet:
    """Copy the chosen fields and documents of a case into a new packet for a partner, under the packet's own key.

    The key is wrapped for the case's team, the organisation's coordinators (one of whom approves)
    and recovery; the case's other keys are not shared. A support letter, if asked for, is filled
    from the chosen fields only when the packet is produced."""
    if not is_team_member(actor, case):
        raise UserError("not_allowed", _("Only the case's team prepares its disclosures."))
    if partner.organisation_id != actor.organisation_id or not partner.active:
        raise UserError("bad_partner", _("Choose one of your organisation's partners."), field="partner")
    purpose = _text(purpose, MAX_PURPOSE_CHARS, "purpose", _("Say what the partner needs this for."))
    people = selected_fields(actor, keyring, case, selection, documents)
    files = chosen_documents(case, keyring, documents)
    chosen_letter = _letter(letter, letter_language)
    if chosen_letter and not people:
        raise UserError(
            "letter_without_fields",
            _("A support letter needs at least one chosen field to name the person."),
            field="letter",
        )
    today = timezone.localdate()
    with transaction.atomic():
        key, secret = do_create_key(
            actor=actor,
            organisation=actor.organisation,
            purpose=Purpose.RECORD,
            label="packet",
            members=_holders(case),
        )
        packet = Packet(
            organisation=actor.organisation, case=case, partner=partner, key=key, prepared_by=actor, prepared_on=today
        )
        content = {
            "packet": str(packet.pk),
            "from": actor.organisation.name,
            "purpose": purpose,
            "prepared_on": today.isoformat(),
            "people": people,
            "documents": [],
            "letter": chosen_letter,
        }
        packet.save(force_insert=True)  # the documents' rows point at it
        content["documents"] = copy_into_packet(packet, files, secret, key)
        encrypt_column(packet, "content", json.dumps(content, ensure_ascii=False), secret, key)
        packet.save(update_fields=["content"])
        _audit(DisclosureEvent.PACKET_PREPARED, actor, packet)
    return packet


def do_record_consent(
    *, actor: User, keyring: Keyring, packet: Packet, who: str, given_on: datetime.date, way: str, purpose: str
) -> None:
    """Record the person's consent to this packet: who, when, how and for what (before approval)."""
    # The organisation's own coordinators only, refused here rather than by the key they lack.
    if not is_team_member(actor, packet.case) and not (
        can_approve_packets(actor) and packet.organisation_id == actor.organisation_id
    ):
        raise UserError("not_allowed", _("Only the case's team records consent."))
    who = _text(who, MAX_CONSENT_TEXT_CHARS, "who", _("Say who consented."))
    purpose = _text(purpose, MAX_CONSENT_TEXT_CHARS, "consent_purpose", _("Say what they consented to."))
    if way not in ConsentWay.values:
        raise UserError("bad_way", _("Choose how they consented."), field="way")
    if given_on > timezone.localdate():
        raise UserError("future", _("Consent cannot be given in the future."), field="given_on")
    with transaction.atomic():
        locked = Packet.objects.select_for_update().select_related("key").get(pk=packet.pk)
        if locked.approved_by_id is not None or locked.revoked_on is not None:
            raise UserError("closed", _("This packet is already approved or revoked: consent cannot change now."))
        # The person's own "no" on the portal is final for this packet: nobody records a "yes" over it.
        if ConsentQuestion.objects.filter(packet=locked, agreed=False).exists():
            raise UserError("said_no", SAID_NO)
        consent = {
            "who": who,
            "given_on": given_on.isoformat(),
            "way": way,
            "purpose": purpose,
            "recorded_by": str(actor.pk),
        }
        encrypt_column(
            locked, "consent", json.dumps(consent, ensure_ascii=False), keyring.secret_for(locked.key), locked.key
        )
        locked.consent_recorded = True
        locked.save(update_fields=["consent", "consent_recorded"])
        _audit(DisclosureEvent.CONSENT_RECORDED, actor, locked)
    packet.consent_recorded = True


@dataclass(frozen=True)
class Produced:
    """What the approving coordinator is shown once: the link's token and, for a password delivery, the password."""

    packet: Packet
    token: str
    passphrase: str | None


def do_approve_packet(
    *, actor: User, keyring: Keyring, packet: Packet, expires_in_days: int, download_limit: int
) -> Produced:
    """Approve a consented packet prepared by someone else, and produce it encrypted to its partner."""
    if not can_approve_packets(actor) or packet.organisation_id != actor.organisation_id:
        raise UserError("not_allowed", _("Only a coordinator approves a disclosure."))
    if packet.prepared_by_id == actor.pk:
        raise UserError("same_member", _("A disclosure is approved by another member than the one who prepared it."))
    if not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise UserError("bad_expiry", _("A packet expires after 1 to 30 days."), field="expires_in_days")
    if not 1 <= download_limit <= MAX_DOWNLOADS:
        raise UserError("bad_limit", _("A packet can be downloaded 1 to 5 times."), field="download_limit")
    _check_open_for_approval(packet)  # before the work of producing; checked again under the row lock
    content = read_packet_content(packet, keyring)
    if content.get("letter") and not content["letter"].get("text"):
        # The wording in force now goes with the packet, and stays with it: a later change of the
        # organisation's letters never alters one already sent (refuge/disclosures/letter_templates.py).
        letter = content["letter"]
        letter["text"] = wording_for(
            packet.organisation_id, letter["kind"], letter["language"], keyring
        ).template.as_dict()
    partner = read_partner(packet.partner, keyring)
    acknowledgement, acknowledgement_digest = new_acknowledgement()
    archive = packet_archive(content, packet_files(packet, keyring, content), acknowledgement)
    passphrase: str | None = None
    if packet.partner.delivery == Delivery.AGE_KEY:
        produced = encrypt_for_age_recipient(archive, partner.recipient)
    else:
        passphrase = new_packet_passphrase()
        produced = encrypt_with_passphrase(archive, passphrase)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        locked = Packet.objects.select_for_update().get(pk=packet.pk)
        _check_open_for_approval(locked)
        locked.approved_by, locked.approved_on = actor, timezone.localdate()
        locked.expires_at = timezone.now() + datetime.timedelta(days=expires_in_days)
        locked.download_limit, locked.token_digest, locked.produced = download_limit, token_digest(token), produced
        locked.acknowledgement_digest = acknowledgement_digest
        encrypt_column(
            locked, "content", json.dumps(content, ensure_ascii=False), keyring.secret_for(packet.key), packet.key
        )
        locked.save(
            update_fields=[
                "approved_by",
                "approved_on",
                "expires_at",
                "download_limit",
                "token_digest",
                "produced",
                "content",
                "acknowledgement_digest",
            ]
        )
        _audit(DisclosureEvent.PACKET_APPROVED, actor, locked)
    return Produced(locked, token, passphrase)


def _check_open_for_approval(packet: Packet) -> None:
    if not packet.consent_recorded:
        raise UserError("no_consent", _("Record the person's consent before this packet is approved."))
    if packet.approved_by_id is not None or packet.revoked_on is not None:
        raise UserError("closed", _("This packet is already approved or revoked."))


def token_digest(token: str) -> str:
    return sha256_hex(token.encode("ascii", "replace"))


def do_revoke_packet(*, actor: User, packet: Packet) -> None:
    """Revoke a packet before anyone has opened it; its encrypted file is deleted."""
    # The organisation's own coordinators only: the action holds no key that would stop another's.
    if not is_team_member(actor, packet.case) and not (
        can_approve_packets(actor) and packet.organisation_id == actor.organisation_id
    ):
        raise UserError("not_allowed", _("Only the case's team or a coordinator revokes a disclosure."))
    with transaction.atomic():
        changed = Packet.objects.filter(pk=packet.pk, downloads=0, revoked_on__isnull=True).update(
            revoked_on=timezone.localdate(), produced=b"", token_digest=None
        )
        if not changed:
            raise UserError("opened", _("This packet was already downloaded or revoked: it cannot be revoked now."))
        PacketDocument.objects.filter(packet_id=packet.pk).delete()  # the copies of the case's documents
        _audit(DisclosureEvent.PACKET_REVOKED, actor, packet)


def do_close_as_referred(*, actor: User, keyring: Keyring, packet: Packet) -> None:
    """Close the packet's case as "referred" once the partner has downloaded the packet (the referral is delivered).

    The stage change is the case's own (its table, its event on the timeline, its audit entry);
    code 3108 ties it to the packet that carried the referral."""
    with transaction.atomic():
        delivered = Packet.objects.select_for_update().get(pk=packet.pk)
        if not delivered.downloads:
            raise UserError(
                "not_delivered", _("The partner has not downloaded this packet yet: the case is not referred.")
            )
        case = Case.objects.get(pk=delivered.case_id)
        if case.stage == Stage.CLOSED:
            raise UserError("already_closed", _("This case is already closed."))
        do_change_stage(
            actor=actor,
            keyring=keyring,
            case=case,
            stage=Stage.CLOSED,
            version=case.version,
            closing_reason=ClosingReason.REFERRED,
        )
        _audit(DisclosureEvent.CASE_REFERRED, actor, delivered)


def _takeable() -> QuerySet[Packet]:
    """Packets that may still be taken: approved, not revoked, not expired, downloads left."""
    return Packet.objects.filter(
        approved_by__isnull=False,
        revoked_on__isnull=True,
        expires_at__gt=timezone.now(),
        downloads__lt=F("download_limit"),
    )


def _downloadable(token: str) -> QuerySet[Packet]:
    return _takeable().filter(token_digest=token_digest(token))


def packet_available(token: str) -> bool:
    """Whether a download link would give its packet now (nothing written, nothing counted)."""
    return bool(token) and len(token) <= MAX_TOKEN_CHARS and _downloadable(token).exists()


def do_take_download(*, token: str) -> bytes | None:
    """The packet's file if its link is valid, not expired, not revoked and not used up; else None.

    One conditional UPDATE decides: two requests racing for the last download cannot both win."""
    if not packet_available(token):
        return None  # refused without a write: a wrong link sends no UPDATE at all
    digest = token_digest(token)
    with transaction.atomic():
        taken = _downloadable(token).update(
            downloads=F("downloads") + 1, opened_on=Coalesce(F("opened_on"), timezone.localdate())
        )
        if not taken:
            return None
        packet = Packet.objects.get(token_digest=digest)
        produced = bytes(packet.produced)
        _spend_if_used_up(packet.pk)
        record(
            DisclosureEvent.PACKET_DOWNLOADED,
            actor_id=None,
            organisation_id=packet.organisation_id,
            object_type="packet",
            object_id=packet.pk,
        )
        return produced


def do_take_file(*, actor: User, packet: Packet) -> bytes:
    """The packet's encrypted file, for the team or a coordinator to hand to the partner out of band.

    Counted and limited as a download through the link is (the same conditional UPDATE), and
    refused when the link would be: not approved, expired, revoked or used up. The file is
    the same age ciphertext: nobody here can open it."""
    if not is_team_member(actor, packet.case) and not (
        can_approve_packets(actor) and packet.organisation_id == actor.organisation_id
    ):
        raise UserError("not_allowed", _("Only the case's team or a coordinator takes a packet's file."))
    with transaction.atomic():
        taken = (
            _takeable()
            .filter(pk=packet.pk)
            .update(downloads=F("downloads") + 1, opened_on=Coalesce(F("opened_on"), timezone.localdate()))
        )
        if not taken:
            raise UserError(
                "not_available",
                _(
                    "This packet's file cannot be taken: it is not approved yet, expired, revoked or has no downloads left."
                ),
            )
        _audit(DisclosureEvent.PACKET_TAKEN_AS_FILE, actor, packet)
        produced = bytes(Packet.objects.values_list("produced", flat=True).get(pk=packet.pk))
        _spend_if_used_up(packet.pk)
        return produced


def _spend_if_used_up(packet_id: Any) -> None:
    """The last download deletes the file: nothing can take it again (jobs.py says why)."""
    Packet.objects.filter(pk=packet_id, downloads__gte=F("download_limit")).update(produced=b"")


def _audit(event: DisclosureEvent, actor: User, packet: Packet) -> None:
    record(event, actor_id=actor.pk, organisation_id=actor.organisation_id, object_type="packet", object_id=packet.pk)
