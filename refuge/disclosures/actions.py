"""Every write to the partner register: one function, one transaction, its audit entry.

A partner's key is wrapped for the organisation's coordinators and recovery when it is made
(a new key, named holders: docs/keys.md). Its name, kind, country, contact notes and age public
key are encrypted under it; the code name and the way packets reach it are in clear.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.grants import coordinator_key_holders
from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.core.errors import UserError
from refuge.crypto import normalise_age_recipient
from refuge.disclosures.access import can_manage_partners
from refuge.disclosures.audit_events import DisclosureEvent
from refuge.disclosures.models import Delivery, Packet, Partner, PartnerKind
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import Purpose
from refuge.keyring.records import encrypt_column

MAX_CODE_NAME_CHARS = 40
MAX_PARTNER_TEXT_CHARS = 2_000
MAX_RECIPIENT_CHARS = 100


@dataclass(frozen=True)
class PartnerDetails:
    code_name: str
    name: str
    kind: str
    country: str
    delivery: str
    recipient: str  # an age public key (age1…), for Delivery.AGE_KEY
    contact_notes: str


def clean_partner(details: PartnerDetails) -> PartnerDetails:
    """The stored form of a partner's details, or UserError next to the field to correct."""
    code_name = details.code_name.strip()
    if not code_name:
        raise UserError("required", _("Give the partner a code name."), field="code_name")
    if len(code_name) > MAX_CODE_NAME_CHARS:
        raise UserError("too_long", _("A code name has at most 40 characters."), field="code_name")
    if details.kind not in PartnerKind.values:
        raise UserError("bad_kind", _("Choose what kind of partner this is."), field="kind")
    if details.delivery not in Delivery.values:
        raise UserError("bad_delivery", _("Choose how packets reach this partner."), field="delivery")
    for name in ("name", "country", "contact_notes"):
        if len(getattr(details, name)) > MAX_PARTNER_TEXT_CHARS:
            raise UserError("too_long", _("This is too long: at most 2,000 characters."), field=name)
    if not details.name.strip():
        raise UserError("required", _("Give the partner's name."), field="name")
    recipient = ""
    if details.delivery == Delivery.AGE_KEY:
        recipient = normalise_age_recipient(details.recipient[: MAX_RECIPIENT_CHARS + 1]) or ""
        if not recipient:
            raise UserError(
                "bad_recipient",
                _("This is not an age public key: it starts with age1 and has 62 characters."),
                field="recipient",
            )
    return PartnerDetails(
        code_name,
        details.name.strip(),
        details.kind,
        details.country.strip(),
        details.delivery,
        recipient,
        details.contact_notes.strip(),
    )


def _encrypt_details(partner: Partner, details: PartnerDetails, secret: bytes) -> None:
    text = {"name": details.name, "kind": details.kind, "country": details.country, "contact": details.contact_notes}
    encrypt_column(partner, "details", json.dumps(text, ensure_ascii=False), secret, partner.key)
    encrypt_column(partner, "recipient", details.recipient, secret, partner.key)


def do_add_partner(*, actor: User, details: PartnerDetails) -> Partner:
    """Add a partner; its key is wrapped for every coordinator and recovery."""
    if not can_manage_partners(actor):
        raise UserError("not_allowed", _("Only coordinators manage partners."))
    details = clean_partner(details)
    with transaction.atomic():
        key, secret = do_create_key(
            actor=actor,
            organisation=actor.organisation,
            purpose=Purpose.RECORD,
            label="partner",
            members=coordinator_key_holders(actor.organisation_id),
        )
        partner = Partner(
            organisation=actor.organisation,
            code_name=details.code_name,
            delivery=details.delivery,
            key=key,
            created_on=timezone.localdate(),
        )
        _encrypt_details(partner, details, secret)
        try:
            with transaction.atomic():
                partner.save(force_insert=True)
        except IntegrityError:
            raise UserError(
                "code_name_taken", _("Another partner already has this code name."), field="code_name"
            ) from None
        _audit(DisclosureEvent.PARTNER_ADDED, actor, partner)
    return partner


def do_edit_partner(
    *, actor: User, keyring: Keyring, partner: Partner, details: PartnerDetails, active: bool, version: int
) -> None:
    """Change a partner's details (a coordinator holding its key); refused if someone changed it meanwhile."""
    if not can_manage_partners(actor) or partner.organisation_id != actor.organisation_id:
        raise UserError("not_allowed", _("Only coordinators manage partners."))
    details = clean_partner(details)
    with transaction.atomic():
        locked = Partner.objects.select_for_update().select_related("key").get(pk=partner.pk)
        if locked.version != version:
            raise UserError(
                "conflict",
                _("Someone else changed this partner while you were editing it. Your changes were not saved."),
            )
        secret = keyring.secret_for(locked.key)
        locked.code_name, locked.delivery, locked.active = details.code_name, details.delivery, active
        _encrypt_details(locked, details, secret)
        locked.version += 1
        try:
            with transaction.atomic():
                locked.save(update_fields=["code_name", "delivery", "active", "details", "recipient", "version"])
        except IntegrityError:
            raise UserError(
                "code_name_taken", _("Another partner already has this code name."), field="code_name"
            ) from None
        _audit(DisclosureEvent.PARTNER_CHANGED, actor, locked)


def do_record_partner_read(*, actor: User, partner: Partner) -> None:
    with transaction.atomic():
        _audit(DisclosureEvent.PARTNER_READ, actor, partner)


def do_record_packet_read(*, actor: User, packet: Packet) -> None:
    with transaction.atomic():
        record(
            DisclosureEvent.PACKET_READ,
            actor_id=actor.pk,
            organisation_id=actor.organisation_id,
            object_type="packet",
            object_id=packet.pk,
        )


def _audit(event: DisclosureEvent, actor: User, partner: Partner) -> None:
    record(event, actor_id=actor.pk, organisation_id=actor.organisation_id, object_type="partner", object_id=partner.pk)
