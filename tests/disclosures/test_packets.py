"""Packets: the gates (consent, a second member's approval), what a produced packet holds, downloads."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from refuge.audit.models import AuditEntry
from refuge.core.errors import UserError
from refuge.disclosures import packets
from refuge.disclosures.audit_events import DisclosureEvent
from refuge.disclosures.models import Packet
from tests.disclosures.support import (
    CANARIES,
    DATE_OF_BIRTH,
    LEGAL_NAME,
    add_partner,
    age_key,
    approve,
    case_with_identity,
    consent,
    open_with_age_cli,
    packet_json,
    pdf_text,
    prepare,
)
from tests.personas import World
from tests.workspace.people_support import ring


@pytest.fixture
def produced_setup(world: World, tmp_path: Path):  # type: ignore[no-untyped-def]
    key = age_key(tmp_path)
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, key.recipient))
    consent(world, packet)
    return key, packet


def test_the_packet_opened_with_the_age_cli_holds_exactly_the_chosen_fields(
    world: World, tmp_path: Path, produced_setup
) -> None:  # type: ignore[no-untyped-def]
    key, packet = produced_setup
    produced = approve(world, packet)
    files = open_with_age_cli(packets.do_take_download(token=produced.token) or b"", key, tmp_path)
    assert sorted(files) == ["packet.json", "summary.pdf"]
    data = packet_json(files)
    assert data["schema"] == "refuge-disclosure/1"
    assert data["purpose"] == "Resettlement referral"
    assert [(f["name"], f["value"]) for p in data["people"] for f in p["fields"]] == [
        ("identity.legal_name", LEGAL_NAME),
        ("identity.date_of_birth", DATE_OF_BIRTH),
    ]
    text = pdf_text(files["summary.pdf"], tmp_path)
    assert LEGAL_NAME in text and DATE_OF_BIRTH in text
    everything = b"".join(files.values()).decode("utf-8", "replace") + text
    for canary in CANARIES:
        assert canary not in everything


def test_the_summary_pdf_embeds_its_fonts(world: World, tmp_path: Path, produced_setup) -> None:  # type: ignore[no-untyped-def]
    key, packet = produced_setup
    files = open_with_age_cli(packets.do_take_download(token=approve(world, packet).token) or b"", key, tmp_path)
    path = tmp_path / "fonts.pdf"
    path.write_bytes(files["summary.pdf"])
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column


def test_nothing_is_produced_without_consent(world: World, tmp_path: Path) -> None:
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, age_key(tmp_path).recipient))
    with pytest.raises(UserError) as refused:
        approve(world, packet)
    assert refused.value.code == "no_consent"
    assert Packet.objects.get(pk=packet.pk).approved_by_id is None


def test_the_member_who_prepared_it_cannot_approve_it(world: World, tmp_path: Path) -> None:
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, age_key(tmp_path).recipient), by=world.alice)
    consent(world, packet)
    with pytest.raises(UserError) as refused:
        approve(world, packet, by=world.alice)
    assert refused.value.code == "same_member"
    assert Packet.objects.get(pk=packet.pk).token_digest is None


def test_a_caseworker_cannot_approve(world: World, produced_setup) -> None:  # type: ignore[no-untyped-def]
    _key, packet = produced_setup
    with pytest.raises(UserError) as refused:
        approve(world, packet, by=world.bella)
    assert refused.value.code == "not_allowed"


def test_nothing_chosen_is_refused(world: World, tmp_path: Path) -> None:
    case, _person = case_with_identity(world)
    partner = add_partner(world, age_key(tmp_path).recipient)
    bob = world.bob.refresh().user

    with pytest.raises(UserError) as refused:
        packets.do_prepare_packet(
            actor=bob, keyring=ring(world.bob), case=case, partner=partner, purpose="x", selection=[]
        )
    assert refused.value.code == "nothing_chosen"
    assert not Packet.objects.exists()


def test_the_download_limit_holds(world: World, produced_setup) -> None:  # type: ignore[no-untyped-def]
    _key, packet = produced_setup
    produced = approve(world, packet, limit=2)
    assert packets.do_take_download(token=produced.token)
    assert packets.do_take_download(token=produced.token)
    assert packets.do_take_download(token=produced.token) is None
    assert Packet.objects.get(pk=packet.pk).downloads == 2


def test_an_expired_packet_cannot_be_downloaded(world: World, produced_setup) -> None:  # type: ignore[no-untyped-def]
    _key, packet = produced_setup
    produced = approve(world, packet)
    Packet.objects.filter(pk=packet.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert packets.do_take_download(token=produced.token) is None


def test_a_revoked_packet_cannot_be_downloaded_and_an_opened_one_cannot_be_revoked(
    world: World, produced_setup
) -> None:  # type: ignore[no-untyped-def]
    _key, packet = produced_setup
    produced = approve(world, packet, limit=2)
    packets.do_revoke_packet(actor=world.bob.refresh().user, packet=packet)
    assert packets.do_take_download(token=produced.token) is None
    assert bytes(Packet.objects.get(pk=packet.pk).produced) == b""

    case, person = case_with_identity(world)
    other = prepare(world, case, person, packet.partner)
    consent(world, other)
    token = approve(world, other).token
    assert packets.do_take_download(token=token)
    with pytest.raises(UserError) as refused:
        packets.do_revoke_packet(actor=world.bob.refresh().user, packet=other)
    assert refused.value.code == "opened"


def test_each_step_is_audited_by_ids_only(world: World, produced_setup) -> None:  # type: ignore[no-untyped-def]
    _key, packet = produced_setup
    packets.do_take_download(token=approve(world, packet).token)
    codes = set(AuditEntry.objects.filter(object_id=str(packet.pk)).values_list("code", flat=True))
    assert {
        DisclosureEvent.PACKET_PREPARED,
        DisclosureEvent.CONSENT_RECORDED,
        DisclosureEvent.PACKET_APPROVED,
        DisclosureEvent.PACKET_DOWNLOADED,
    } <= codes


def test_a_coordinator_of_another_organisation_cannot_revoke_a_packet(world: World, produced_setup) -> None:  # type: ignore[no-untyped-def]
    _key, packet = produced_setup
    produced = approve(world, packet)
    with pytest.raises(UserError) as refused:
        packets.do_revoke_packet(actor=world.charlie.refresh().user, packet=packet)
    assert refused.value.code == "not_allowed"
    assert Packet.objects.get(pk=packet.pk).revoked_on is None
    assert packets.do_take_download(token=produced.token), "north's partner still gets north's packet"


def test_a_coordinator_of_another_organisation_cannot_record_consent(world: World, tmp_path: Path) -> None:
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, age_key(tmp_path).recipient))
    with pytest.raises(UserError) as refused:
        consent(world, packet, by=world.charlie)
    assert refused.value.code == "not_allowed"
    stored = Packet.objects.get(pk=packet.pk)
    assert not stored.consent_recorded and bytes(stored.consent) == b""
