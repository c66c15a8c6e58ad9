"""64 requesters submitting at once against the real server: no error, no lost or extra request.

The server is `refuge serve` with two workers and production settings, on SQLite in
a fresh data directory, or on PostgreSQL (a fresh database in the throwaway cluster)
when the layer runs with REFUGE_TEST_DATABASE=postgres. Each acknowledged receipt
must name a stored request after the server has been killed (SIGKILL: an
acknowledged write is durable, not just visible), no request may be stored without
an acknowledgement, and a sample opened with its receipt holds exactly what was sent.

Throughput is measured by bench/intake.py, not asserted here: the layer shares two
cores with the rest of the suite.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.fresh_database import fresh_database_env
from tests.support.load import LoadReport, run_load, write_sent
from tests.support.server import refuge_env, run_refuge, running_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 64
# How long the submitters keep going; REFUGE_LOAD_SECONDS changes it (e.g. 300 for a soak).
SECONDS = float(os.environ.get("REFUGE_LOAD_SECONDS", "30"))
# Requests opened with their receipt and compared answer by answer.
SAMPLE = 50
ORGANISATION = "load"
LOG_TAIL_CHARS = 3000
logger = logging.getLogger(__name__)


@pytest.fixture
def database_env() -> Iterator[dict[str, str]]:
    """{} for SQLite in the data directory; on the PostgreSQL layer, a fresh database of the cluster."""
    with fresh_database_env("load") as env:
        yield env


def _summary(report: LoadReport) -> str:
    posts = sorted(report.post_seconds)
    p50 = statistics.median(posts) * 1000 if posts else 0.0
    p99 = statistics.quantiles(posts, n=100)[98] * 1000 if len(posts) > 1 else p50
    return (
        f"{len(report.sent)} requests acknowledged by {report.clients} submitters in {report.wall_seconds:.1f} s: "
        f"{report.per_second:.0f}/s, POST p50 {p50:.0f} ms, p99 {p99:.0f} ms, {report.retries} stale keep-alive "
        f"retries, client CPU {report.client_cpu_share(len(os.sched_getaffinity(0))):.0%} of the machine"
    )


def _verify(data_dir: Path, report: LoadReport, env: dict[str, str]) -> dict[str, object]:
    """Check the database in a process with the server's production settings (tests/support/load.py)."""
    sent_file, output = data_dir / "sent.json", data_dir / "verified.json"
    write_sent(report.sent, sent_file)
    command = [sys.executable, "-m", "tests.support.load", "verify", str(sent_file), str(output), str(SAMPLE)]
    completed = subprocess.run(
        command, cwd=ROOT, env=refuge_env(data_dir, **env), capture_output=True, text=True, timeout=300, check=False
    )
    assert completed.returncode == 0, f"verifying the stored requests failed:\n{completed.stdout}\n{completed.stderr}"
    result: dict[str, object] = json.loads(output.read_text())
    return result


def test_every_acknowledged_request_is_stored_intact_under_64_concurrent_submitters(
    tmp_path: Path, database_env: dict[str, str], record_property: Callable[[str, object], None]
) -> None:
    data_dir = tmp_path / "var"
    run_refuge(data_dir, "init", **database_env)
    password_file = tmp_path / "password"
    password_file.write_text(secrets.token_urlsafe(24) + "\n")
    run_refuge(
        data_dir, "createorg", "--name", "Load", "--slug", ORGANISATION, "--coordinator", "coord",
        "--password-file", str(password_file), **database_env,
    )  # fmt: skip
    # The per-process flood brake (3,000 a minute by default) would refuse part of this
    # load on purpose; the test is about what the server does with what it accepts.
    server_env = {"REFUGE_SUBMISSIONS_PER_MINUTE": "1000000", **database_env}
    with running_server(data_dir, workers=2, **server_env) as server:
        report = run_load(server.port, f"/r/{ORGANISATION}/ask/", clients=CLIENTS, seconds=SECONDS)
    # The server was killed with SIGKILL on leaving the block: what follows reads only
    # what had reached the disk.
    log = server.log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
    # Shown with `-o log_cli=true --log-cli-level=INFO`, and kept in the JUnit XML.
    logger.info("%s", _summary(report))
    record_property("load", _summary(report))
    assert report.error_count == 0, f"{_summary(report)}\n{report.describe_errors()}\nserver log:\n{log}"
    assert len(report.sent) >= CLIENTS, _summary(report)

    verified = _verify(data_dir, report, database_env)

    assert verified["distinct_receipts"] == verified["acknowledged"], verified
    assert verified["missing"] == 0, f"acknowledged requests not in the database: {verified}"
    assert verified["unacknowledged"] == 0, f"requests stored without an acknowledgement: {verified}"
    assert verified["stored"] == len(report.sent), verified
    assert verified["opened"] == min(SAMPLE, len(report.sent))
    assert verified["mismatched"] == [], f"requests whose stored answers differ from those sent: {verified}"
