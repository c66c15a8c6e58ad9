"""A packet that can no longer be taken (used up or expired) keeps no file: a seized server holds no ciphertext
that the partner's key, seized later, or a password noted somewhere would open."""

from __future__ import annotations

import datetime

from django.utils import timezone

from refuge.disclosures import packets
from refuge.disclosures.jobs import clear_spent_packets
from refuge.disclosures.models import Packet
from tests.disclosures.support import add_partner, age_key, approve, case_with_identity, consent, prepare
from tests.personas import World
from tests.workspace.people_support import ring


def _produced(world: World, tmp_path, limit: int = 1) -> tuple[Packet, str]:  # type: ignore[no-untyped-def]
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, age_key(tmp_path).recipient, code_name=tmp_path.name))
    consent(world, packet)
    return packet, approve(world, packet, limit=limit).token


def _file(packet: Packet) -> bytes:
    return bytes(Packet.objects.values_list("produced", flat=True).get(pk=packet.pk))


def test_the_last_download_deletes_the_file(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    packet, token = _produced(world, tmp_path, limit=2)
    assert packets.do_take_download(token=token)
    assert _file(packet), "one download left: the file stays"
    assert packets.do_take_download(token=token)
    assert _file(packet) == b""


def test_the_last_download_taken_as_a_file_deletes_it_too(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    packet, _token = _produced(world, tmp_path)
    taken = packets.do_take_file(actor=world.bob.refresh().user, packet=Packet.objects.get(pk=packet.pk))
    assert taken.startswith(b"age-encryption.org/v1")
    assert _file(packet) == b""


def test_the_job_deletes_the_file_of_an_expired_packet_and_keeps_a_valid_ones(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "expired").mkdir()
    (tmp_path / "valid").mkdir()
    expired, _ = _produced(world, tmp_path / "expired")
    valid, token = _produced(world, tmp_path / "valid")
    Packet.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert clear_spent_packets() == "1 packet files deleted"
    assert _file(expired) == b"" and _file(valid)
    assert clear_spent_packets() == "0 packet files deleted"
    assert packets.do_take_download(token=token), "a valid packet is still downloaded"
    assert ring(world.alice).secret_for(Packet.objects.select_related("key").get(pk=expired.pk).key)
