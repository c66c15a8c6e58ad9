"""Closing the sending case as "referred" once its packet is delivered (downloaded by the partner)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.cases.models import Case, ClosingReason, Stage
from refuge.core.errors import UserError
from refuge.disclosures import packets
from refuge.disclosures.audit_events import DisclosureEvent
from refuge.disclosures.models import Packet
from tests.disclosures.support import add_partner, age_key, approve, case_with_identity, consent, prepare
from tests.personas import World
from tests.workspace.people_support import ring


def _approved(world: World, tmp_path: Path) -> tuple[Case, Packet, str]:
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, age_key(tmp_path).recipient))
    consent(world, packet)
    return case, packet, approve(world, packet).token


def _close(world: World, packet: Packet) -> None:
    packets.do_close_as_referred(actor=world.bob.refresh().user, keyring=ring(world.bob), packet=packet)


def test_a_delivered_referral_closes_the_case_as_referred_and_is_audited(world: World, tmp_path: Path) -> None:
    case, packet, token = _approved(world, tmp_path)
    assert packets.do_take_download(token=token)
    _close(world, packet)
    closed = Case.objects.get(pk=case.pk)
    assert (closed.stage, closed.closing_reason) == (Stage.CLOSED, ClosingReason.REFERRED)
    assert closed.closed_on is not None
    assert AuditEntry.objects.filter(code=DisclosureEvent.CASE_REFERRED, object_id=str(packet.pk)).exists()
    assert AuditEntry.objects.filter(code=AuditEvent.CASE_STAGE_CHANGED, object_id=str(case.pk)).exists()
    with pytest.raises(UserError) as refused:
        _close(world, packet)
    assert refused.value.code == "already_closed"


def test_a_referral_not_yet_downloaded_does_not_close_the_case(world: World, tmp_path: Path) -> None:
    case, packet, _token = _approved(world, tmp_path)
    before = Case.objects.get(pk=case.pk).stage
    with pytest.raises(UserError) as refused:
        _close(world, packet)
    assert refused.value.code == "not_delivered"
    assert Case.objects.get(pk=case.pk).stage == before
    assert not AuditEntry.objects.filter(code=DisclosureEvent.CASE_REFERRED).exists()


def test_the_packet_page_offers_closing_once_delivered(world: World, client_for, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case, packet, token = _approved(world, tmp_path)
    bob = client_for(world.bob)
    page_url = reverse("workspace:packet_detail", args=[case.pk, packet.pk])
    url = reverse("workspace:packet_referred", args=[case.pk, packet.pk])
    assert url not in bob.get(page_url).content.decode()
    refused = bob.post(url)
    assert refused.status_code == 400 and "not downloaded this packet yet" in refused.content.decode()
    packets.do_take_download(token=token)
    assert url in bob.get(page_url).content.decode()
    assert bob.post(url).status_code == 302
    assert Case.objects.get(pk=case.pk).closing_reason == ClosingReason.REFERRED
    assert url not in bob.get(page_url).content.decode()
