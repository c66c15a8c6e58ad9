"""Seized at rest, times: nothing dates a requester's act more precisely than its hour.

Threat: flow logs from an ISP show which subscriber reached the portal at 11:15:12.
If a seized database shows a submission at 11:15:12 (or orders it between two staff
acts audited at 11:10:03 and 11:20:07), the two meet and name the requester.

A real server (gunicorn, production settings, SQLite in WAL mode) is driven over
loopback: staff acts and requester acts alternate, seconds apart, with a snapshot
of every table's rows between them. Then the server is killed with SIGKILL and the
seized database (with its WAL), and a text dump of it, are searched:

- every value of every table and column, as text times and as Unix times, for a
  time within a requester act's window (or its minute, in the rows it wrote);
- every integer of every row a requester act wrote (ids, hidden rowids, any
  column), for one that sorts between rows written before the act and staff rows
  written after it;
- the audit chain, for a requester entry stamped finer than the hour, or placed
  before a staff entry of its own hour.
"""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.seizure.test_seizure_intake import PASSWORD, _submit
from tests.support.http import LoopbackClient
from tests.support.seizure import log_in, seize
from tests.support.seizure_times import (
    Act,
    Snapshot,
    bracketing_hits,
    chain_order_hits,
    dump_hits,
    exact_time_hits,
    inserted,
    snapshot,
)
from tests.support.server import initialised_organisation, running_server

pytestmark = pytest.mark.slow

# Staff and requester acts are this far apart, so a staff act's time is never inside a
# requester act's window (which is widened by a second each side).
APART = 2.5
# The conversation's order is kept in clear to show it: a team reply in the same request
# bounds the message it answers (docs/threat-model.md, "Requester times").
ALLOWED = frozenset({("intake_requestmessage", "position")})


def _now() -> datetime:
    return datetime.now(UTC)


def _not_at_the_top_of_the_hour() -> None:
    # A requester time is kept as its hour: an act in the first seconds of an hour would
    # store a value inside its own window, which this search could not tell from a leak.
    # Likewise the scheduler keeps its jobs' times as whole minutes (refuge/scheduler/runner.py):
    # an act in the first seconds of any minute would have such a value inside its window.
    # (An act window is widened by a second each side: keep it clear of :00 at both ends.)
    now = _now()
    if now.second < 4 or now.second >= 55:
        time.sleep((64.5 - now.second - now.microsecond / 1e6) % 60)


class Scenario:
    """Alternating acts with snapshots of the live database between them."""

    def __init__(self, database: Path) -> None:
        # Another open connection (a backup tool, a second process) also keeps SQLite from
        # folding the WAL back, so the seizure includes a WAL.
        self.reader = sqlite3.connect(database)
        self.snapshots: list[Snapshot] = [snapshot(self.reader)]
        self.requester_acts: list[tuple[int, Act]] = []

    def staff(self, *acts: Callable[[], None]) -> None:
        time.sleep(APART)
        for act in acts:
            act()
        self.snapshots.append(snapshot(self.reader))

    def requester(self, label: str, act: Callable[[], None]) -> None:
        time.sleep(APART)
        _not_at_the_top_of_the_hour()
        before = snapshot(self.reader)
        start = _now()
        act()
        end = _now()
        after = snapshot(self.reader)
        rows = inserted(before, after)
        # The scheduler process writes its own rows on its own schedule (whole minutes), and its
        # first run may fall inside an act: those rows are not the act's.
        rows.pop("scheduler_scheduledjob", None)
        self.requester_acts.append((len(self.snapshots), Act(label, start, end, rows)))
        self.snapshots.append(after)

    def staff_rows_after(self, index: int) -> Snapshot:
        """Rows inserted after requester act `index`, except by other requester acts."""
        rows = inserted(self.snapshots[index], self.snapshots[-1])
        for _other_index, other in self.requester_acts:
            for table, mine in other.rows.items():
                if table in rows:
                    rows[table] -= mine
        return rows


def _add_shelter(staff: LoopbackClient, code_name: str) -> None:
    added = staff.post_form(
        "/shelters/new/", {"code_name": code_name, "capacity": "3", "city": "Somewhere", "rules": "", "address": ""}
    )
    assert added.status == 302, added.text[:1000]


def _read_and_reply(staff: LoopbackClient, body: str) -> None:
    inbox = staff.get("/requests/")
    request_id = re.search(r"/requests/([0-9a-f-]{36})/", inbox.text).group(1)  # type: ignore[union-attr]
    detail = staff.get(f"/requests/{request_id}/")
    reply = staff.request(
        "POST", f"/requests/{request_id}/reply/", {"csrfmiddlewaretoken": detail.csrf_token(), "body": body}
    )
    assert reply.status == 302


def _answer(requester: LoopbackClient, receipt: str) -> None:
    assert requester.post_form("/r/status/", {"receipt": receipt}).status == 302
    page = requester.get("/r/request/")
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    sent = requester.post_multipart(
        "/r/request/", {"csrfmiddlewaretoken": page.csrf_token(), "form_token": token, "body": "We are fine"}, []
    )
    assert sent.status in {200, 302}, sent.text[:1000]


def test_nothing_in_a_seized_database_dates_a_requester_act_more_precisely_than_its_hour(tmp_path: Path) -> None:
    org = initialised_organisation(tmp_path, slug="canary", coordinator="coord", password=PASSWORD)
    database = org.data_dir / "refuge.sqlite3"
    scenario = Scenario(database)
    receipts: list[str] = []
    with running_server(org.data_dir) as server:
        staff = LoopbackClient("127.0.0.1", server.port)
        requester = LoopbackClient("127.0.0.1", server.port)
        scenario.staff(lambda: log_in(staff, "coord", PASSWORD, org.totp_secret), lambda: _add_shelter(staff, "Alder"))
        scenario.requester("the submission", lambda: receipts.append(_submit(requester)))
        scenario.staff(lambda: _add_shelter(staff, "Birch"), lambda: _read_and_reply(staff, "Are you safe?"))
        scenario.requester("the message", lambda: _answer(LoopbackClient("127.0.0.1", server.port), receipts[0]))
        scenario.staff(lambda: _read_and_reply(staff, "We will call you"), lambda: _add_shelter(staff, "Cedar"))
        request_ids = [row[0] for row in scenario.reader.execute("SELECT id FROM intake_helprequest")]
        server.kill()
    seized = seize(org.data_dir, scenario.reader, tmp_path / "seized")

    copy = sqlite3.connect(seized / "refuge.sqlite3")
    acts = [act for _index, act in scenario.requester_acts]
    hits = exact_time_hits(copy, acts)
    hits += dump_hits("\n".join(copy.iterdump()), acts)
    for index, act in scenario.requester_acts:
        hits += bracketing_hits(copy, act, scenario.snapshots[index - 1], scenario.staff_rows_after(index), ALLOWED)
    (request_id,) = request_ids
    object_id = str(uuid.UUID(request_id))
    hits += chain_order_hits(copy, {(400, object_id), (401, object_id)})
    copy.close()

    assert not hits, "\n".join(hits)
