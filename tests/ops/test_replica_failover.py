"""A synchronous streaming replica, promoted after the primary dies, holds every acknowledged request.

docs/operations.md ("A streaming replica, and failover"), on one machine: a throwaway primary,
a replica copied with `pg_basebackup -R -S replica1 -X stream --checkpoint=fast` and made
synchronous (`synchronous_standby_names`), `refuge serve` on the primary taking requests; then
the primary is killed with SIGKILL, the replica promoted (`pg_ctl promote`), and `refuge
serve` started again with `DATABASE_URL` naming it. Every request acknowledged before the
kill opens with its receipt, the promoted server takes new ones, and the audit chain verifies.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from tests.support.crash_postgres import CrashableCluster
from tests.support.http import LoopbackClient
from tests.support.portal_http import open_with_receipt, receipt_of, submit
from tests.support.replica import ReplicaCluster, make_synchronous
from tests.support.server import create_organisation, run_refuge, running_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PASSWORD = "a long failover password 15"


def test_a_promoted_synchronous_replica_holds_every_acknowledged_request(tmp_path: Path) -> None:
    primary = CrashableCluster.create()
    replica: ReplicaCluster | None = None
    try:
        url = primary.create_database("refuge")
        data_dir = tmp_path / "var"
        run_refuge(data_dir, "init", DATABASE_URL=url)
        create_organisation(data_dir, slug="north", coordinator="alice", password=PASSWORD, DATABASE_URL=url)
        replica = ReplicaCluster.of(primary)
        make_synchronous(primary)
        rng = random.Random(15)
        receipts = []
        with running_server(data_dir, workers=1, DATABASE_URL=url, REFUGE_SCHEDULER="off") as server:
            for number in range(5):
                receipts.append(
                    receipt_of(submit(LoopbackClient("127.0.0.1", server.port), "north", rng, f"r{number}")[1])
                )
            # The primary dies with the last request acknowledged a moment ago.
            primary.kill()
        replica.promote()
        promoted = replica.url("refuge")
        with running_server(data_dir, workers=1, DATABASE_URL=promoted, REFUGE_SCHEDULER="off") as server:
            for receipt in receipts:
                opened, page = open_with_receipt(receipt, server.port)
                assert opened.status == 302 and page is not None and page.status == 200, receipt
            # The promoted server takes writes.
            receipt_of(submit(LoopbackClient("127.0.0.1", server.port), "north", rng, "after")[1])
        # (Requesters' entries are chained when their hour ends: verify says so, and checks the rest.)
        assert re.search(r"^OK: ", run_refuge(data_dir, "audit", "verify", DATABASE_URL=promoted).stdout, re.MULTILINE)
    finally:
        if replica is not None:
            replica.stop()
        primary.stop()
