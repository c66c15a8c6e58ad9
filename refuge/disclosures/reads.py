"""What the disclosure pages show, opened in one call: access, decrypt, audit the read.

Views receive plaintext, never key bytes (STYLE.md #18).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from refuge.accounts.models import User
from refuge.cases.access import access_case
from refuge.disclosures import actions
from refuge.disclosures.access import access_case_packet, access_packet_to_approve, access_partner
from refuge.disclosures.letter_templates import wording_for
from refuge.disclosures.letters import Letter, letter_of
from refuge.disclosures.models import ConsentQuestion, Packet, Partner
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.keyring.records import decrypt_column, decrypt_text


@dataclass(frozen=True)
class PartnerText:
    name: str
    kind: str
    country: str
    contact_notes: str
    recipient: str


def read_partner(partner: Partner, keyring: Keyring) -> PartnerText:
    """A partner's encrypted details (KeyNotHeld / CryptoError for the boundary); not audited."""
    secret = keyring.secret_for(partner.key)
    details: dict[str, Any] = json.loads(decrypt_column(partner, "details", secret, partner.key))
    recipient = decrypt_text(partner, "recipient", secret, partner.key)
    return PartnerText(
        str(details.get("name", "")),
        str(details.get("kind", "")),
        str(details.get("country", "")),
        str(details.get("contact", "")),
        recipient,
    )


@dataclass(frozen=True)
class PartnerPage:
    partner: Partner
    text: PartnerText


def open_partner(member: User, keyring: Keyring, partner_id: uuid.UUID | str) -> PartnerPage:
    """A partner's register entry, decrypted and audited; raises for the boundary if it does not open."""
    partner = access_partner(member, partner_id)
    text = read_partner(partner, keyring)
    actions.do_record_partner_read(actor=member, partner=partner)
    return PartnerPage(partner, text)


def read_packet_content(packet: Packet, keyring: Keyring) -> dict[str, Any]:
    """What the packet holds, as the partner will get it (KeyNotHeld / CryptoError for the boundary)."""
    content: dict[str, Any] = json.loads(decrypt_column(packet, "content", keyring.secret_for(packet.key), packet.key))
    return content


def read_packet_consent(packet: Packet, keyring: Keyring) -> dict[str, Any] | None:
    """The consent recorded by the team, or None: none yet, or given as a "yes" on the portal (the question says so)."""
    if not packet.consent_recorded or not bytes(packet.consent):
        return None
    consent: dict[str, Any] = json.loads(decrypt_column(packet, "consent", keyring.secret_for(packet.key), packet.key))
    return consent


@dataclass(frozen=True)
class PacketPage:
    packet: Packet
    content: dict[str, Any]  # as the partner will get it
    consent: dict[str, Any] | None
    question: ConsentQuestion | None  # asked through the portal: when, and the answer (in clear)
    letter: Letter | None  # the support letter as it will be sent
    letter_wording_hidden: bool  # the organisation's own wording, which only coordinators hold


def preview_letter(packet: Packet, content: dict[str, Any], keyring: Keyring) -> tuple[Letter | None, bool]:
    """The packet's letter with the wording it was approved with, or the wording in force now.

    A team member who is not a coordinator does not hold the organisation's own wording: then
    (None, True), and the page says that the coordinator who approves sees it whole."""
    chosen = content.get("letter")
    if not chosen or chosen.get("text"):
        return letter_of(content), False
    try:
        wording = wording_for(packet.organisation_id, chosen["kind"], chosen["language"], keyring)
    except KeyNotHeld:
        return None, True
    return letter_of(content, wording.template), False


def _open(member: User, keyring: Keyring, packet: Packet) -> PacketPage:
    content = read_packet_content(packet, keyring)
    consent = read_packet_consent(packet, keyring)
    question = ConsentQuestion.objects.filter(packet=packet).first()
    letter, hidden = preview_letter(packet, content, keyring)
    actions.do_record_packet_read(actor=member, packet=packet)
    return PacketPage(packet, content, consent, question, letter, hidden)


def open_case_packet(
    member: User, keyring: Keyring, case_id: uuid.UUID | str, packet_id: uuid.UUID | str
) -> PacketPage:
    """A packet of one of the member's cases, previewed as the partner will see it (audited)."""
    case = access_case(member, case_id).case
    return _open(member, keyring, access_case_packet(case, packet_id))


def open_packet_to_approve(member: User, keyring: Keyring, packet_id: uuid.UUID | str) -> PacketPage:
    """A packet a coordinator reviews before approving it (audited)."""
    return _open(member, keyring, access_packet_to_approve(member, packet_id))
