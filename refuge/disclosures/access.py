"""Who reaches partners and packets: the same 404 for missing and forbidden.

Coordinators manage the partner register; members with a case role see the code names of
active partners to choose from. A packet is reached through its case (`access_case`: team
members) or by a coordinator of its organisation (who approves it).
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from refuge.accounts.models import Role, User
from refuge.cases.access import CASE_ROLES
from refuge.cases.models import Case
from refuge.core.lookup import uuid_or_404
from refuge.disclosures.models import Packet, Partner


def can_manage_partners(user: User) -> bool:
    return user.role == Role.COORDINATOR and user.is_active


def can_approve_packets(user: User) -> bool:
    return user.role == Role.COORDINATOR and user.is_active


def can_import_referrals(user: User) -> bool:
    """Coordinators import another installation's packet: the new case is theirs to lead."""
    return user.role == Role.COORDINATOR and user.is_active


def access_partner(user: User, partner_id: uuid.UUID | str) -> Partner:
    """A partner of the coordinator's organisation; else 404."""
    if not can_manage_partners(user):
        raise Http404
    partner = Partner.objects.select_related("key").filter(
        pk=uuid_or_404(partner_id), organisation_id=user.organisation_id
    )
    found = partner.first()
    if found is None:
        raise Http404
    return found


def choosable_partners(user: User) -> QuerySet[Partner]:
    """Active partners a team member may prepare a packet for (code names only)."""
    if user.role not in CASE_ROLES or not user.is_active:
        return Partner.objects.none()
    return Partner.objects.filter(organisation_id=user.organisation_id, active=True)


def access_case_packet(case: Case, packet_id: uuid.UUID | str) -> Packet:
    """A packet of a case the member reached with `access_case`; else 404."""
    packet = Packet.objects.select_related("key", "partner").filter(pk=uuid_or_404(packet_id), case=case).first()
    if packet is None:
        raise Http404
    return packet


def access_packet_to_approve(user: User, packet_id: uuid.UUID | str) -> Packet:
    """Any packet of the coordinator's organisation (to approve or revoke); else 404."""
    if not can_approve_packets(user):
        raise Http404
    packet = (
        Packet.objects.select_related("key", "partner", "partner__key", "case")
        .filter(pk=uuid_or_404(packet_id), organisation_id=user.organisation_id)
        .first()
    )
    if packet is None:
        raise Http404
    return packet
