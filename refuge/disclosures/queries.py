"""The registers of disclosures: lists that decrypt nothing (what, to whom, when, who, consent, opened)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from refuge.cases.models import Case
from refuge.disclosures.models import Packet

STATES: dict[str, Promise] = {
    "prepared": _("Waiting for consent"),
    "consented": _("Waiting for approval"),
    "ready": _("Approved, not opened yet"),
    "opened": _("Downloaded"),
    "received": _("Received: the partner confirmed"),
    "used_up": _("Downloaded, no downloads left"),
    "expired": _("Expired"),
    "revoked": _("Revoked"),
}


def packet_state(packet: Packet, now: datetime.datetime | None = None) -> str:
    """Where a packet stands, from its clear metadata."""
    now = now or timezone.now()
    if packet.revoked_on is not None:
        return "revoked"
    if packet.approved_by_id is None:
        return "consented" if packet.consent_recorded else "prepared"
    if packet.received_on is not None:
        return "received"  # the recipient gave back the code only the packet holds
    if packet.downloads >= packet.download_limit:
        return "used_up"
    if packet.expires_at is not None and packet.expires_at <= now:
        return "expired"
    return "opened" if packet.downloads else "ready"


@dataclass(frozen=True)
class PacketRow:
    packet: Packet
    state: str
    state_label: str


def _rows(packets: QuerySet[Packet]) -> list[PacketRow]:
    now = timezone.now()
    rows = []
    for packet in packets.select_related("partner", "prepared_by", "approved_by", "case").defer("produced", "content"):
        state = packet_state(packet, now)
        rows.append(PacketRow(packet, state, str(STATES[state])))
    return rows


# The disclosures panel's question (refuge/workspace/panels.py, `CasePanel.asks`): most cases have no
# packet, and asking with every panel's question spares them the four-join query (7.6k Python calls
# to build on every case page) and a look of their own.
CASE_QUESTIONS = {"disclosures_any": "EXISTS (SELECT 1 FROM disclosures_packet WHERE case_id = %(case)s)"}


def case_packets(case: Case, answers: Mapping[str, Any]) -> list[PacketRow]:
    """The case's packets, read only when `CASE_QUESTIONS`, answered, says there are some."""
    return _rows(Packet.objects.filter(case_id=case.pk)) if answers["disclosures_any"] else []


def organisation_packets(organisation_id: uuid.UUID) -> list[PacketRow]:
    return _rows(Packet.objects.filter(organisation_id=organisation_id))
