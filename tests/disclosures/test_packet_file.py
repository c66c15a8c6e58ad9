"""A packet delivered as a file: the team or a coordinator takes the encrypted file to hand over out of band.

The file is the same age ciphertext the link gives (opened here with the real `age` tool), and
taking it is a download: counted against the same limit (also when it races the link), refused
when the link would be (not approved, expired, revoked, used up) and audited by ids only.
"""

from __future__ import annotations

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from refuge.audit.models import AuditEntry
from refuge.core.errors import UserError
from refuge.disclosures import packets
from refuge.disclosures.audit_events import DisclosureEvent
from refuge.disclosures.models import Packet
from tests.disclosures.support import (
    LEGAL_NAME,
    add_partner,
    age_key,
    approve,
    case_with_identity,
    consent,
    open_with_age_cli,
    packet_json,
    prepare,
)
from tests.personas import World


def _ready(world: World, tmp_path: Path, limit: int = 1) -> tuple[Packet, str, object]:
    key = age_key(tmp_path)
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, key.recipient))
    consent(world, packet)
    token = approve(world, packet, limit=limit).token
    return Packet.objects.select_related("case").get(pk=packet.pk), token, key


@pytest.mark.django_db
def test_the_team_takes_the_file_which_opens_with_age_and_counts_as_the_download(
    world: World, client_for, tmp_path: Path
) -> None:
    packet, token, key = _ready(world, tmp_path)
    page = client_for(world.bob).get(f"/cases/{packet.case_id}/disclosures/{packet.pk}/").content.decode()
    assert "Download the encrypted file" in page
    answer = client_for(world.bob).post(f"/cases/{packet.case_id}/disclosures/{packet.pk}/file/")
    assert answer.status_code == 200
    assert answer["Content-Disposition"] == 'attachment; filename="packet.zip.age"'
    files = open_with_age_cli(answer.content, key, tmp_path)  # type: ignore[arg-type]
    assert packet_json(files)["people"][0]["fields"][0]["value"] == LEGAL_NAME
    assert Packet.objects.get(pk=packet.pk).downloads == 1
    assert packets.do_take_download(token=token) is None  # the one download is used
    entry = AuditEntry.objects.get(code=DisclosureEvent.PACKET_TAKEN_AS_FILE)
    assert str(entry.object_id) == str(packet.pk) and entry.actor_id == world.bob.user.pk
    again = client_for(world.bob).post(f"/cases/{packet.case_id}/disclosures/{packet.pk}/file/")
    assert again.status_code == 400 and "has no downloads left" in again.content.decode()


@pytest.mark.django_db
def test_the_approving_coordinator_takes_it_from_the_review_page(world: World, client_for, tmp_path: Path) -> None:
    packet, _token, _key = _ready(world, tmp_path, limit=2)
    answer = client_for(world.alice).post(f"/disclosures/{packet.pk}/file/")
    assert answer.status_code == 200 and answer.content == bytes(Packet.objects.get(pk=packet.pk).produced)


@pytest.mark.django_db
def test_an_expired_revoked_or_unapproved_packet_gives_no_file(world: World, tmp_path: Path) -> None:
    bob = world.bob.refresh().user
    (tmp_path / "first").mkdir()
    case, person = case_with_identity(world)
    unapproved = prepare(world, case, person, add_partner(world, age_key(tmp_path / "first").recipient, "first"))
    with pytest.raises(UserError) as refused:
        packets.do_take_file(actor=bob, packet=unapproved)
    assert refused.value.code == "not_available"
    packet, _token, _key = _ready(world, tmp_path)
    Packet.objects.filter(pk=packet.pk).update(expires_at=packet.expires_at - datetime.timedelta(days=8))
    with pytest.raises(UserError):
        packets.do_take_file(actor=bob, packet=packet)
    Packet.objects.filter(pk=packet.pk).update(expires_at=packet.expires_at, revoked_on=datetime.date.today())
    with pytest.raises(UserError):
        packets.do_take_file(actor=bob, packet=packet)
    assert Packet.objects.get(pk=packet.pk).downloads == 0
    assert not AuditEntry.objects.filter(code=DisclosureEvent.PACKET_TAKEN_AS_FILE).exists()


@pytest.mark.django_db
def test_a_member_of_another_team_gets_no_file(world: World, tmp_path: Path) -> None:
    packet, _token, _key = _ready(world, tmp_path)
    with pytest.raises(UserError):
        packets.do_take_file(actor=world.charlie.refresh().user, packet=packet)
    assert Packet.objects.get(pk=packet.pk).downloads == 0


def _race(barrier: threading.Barrier, act) -> bool:  # type: ignore[no-untyped-def]
    try:
        barrier.wait()
        return bool(act())
    except UserError:
        return False
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_files_and_links_racing_share_one_limit(world: World, tmp_path: Path) -> None:
    packet, token, _key = _ready(world, tmp_path, limit=2)
    bob = world.bob.refresh().user
    acts = [lambda: packets.do_take_download(token=token), lambda: packets.do_take_file(actor=bob, packet=packet)] * 3
    barrier = threading.Barrier(len(acts))
    with ThreadPoolExecutor(max_workers=len(acts)) as pool:
        results = [future.result() for future in [pool.submit(_race, barrier, act) for act in acts]]
    assert results.count(True) == 2
    assert Packet.objects.get(pk=packet.pk).downloads == 2
