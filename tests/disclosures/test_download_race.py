"""The download limit holds when partners' requests race for the last downloads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from refuge.disclosures import packets
from refuge.disclosures.models import Packet
from tests.disclosures.support import add_partner, age_key, approve, case_with_identity, consent, prepare
from tests.personas import World

THREADS = 6


def _download(barrier: threading.Barrier, token: str) -> bool:
    try:
        barrier.wait()
        return packets.do_take_download(token=token) is not None
    finally:
        connection.close()  # each thread's own connection, so that the database can be flushed


@pytest.mark.django_db(transaction=True)
def test_six_simultaneous_downloads_of_a_packet_allowed_twice_give_two_files(world: World, tmp_path: Path) -> None:
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, age_key(tmp_path).recipient))
    consent(world, packet)
    token = approve(world, packet, limit=2).token
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = [future.result() for future in [pool.submit(_download, barrier, token) for _ in range(THREADS)]]
    assert results.count(True) == 2
    assert Packet.objects.get(pk=packet.pk).downloads == 2
