"""Three app servers on one PostgreSQL behind Debian's nginx, one killed midway (issue #15, item 4).

What docs/operations.md ("Several app servers") tells an operator to do, done by the test:
`refuge init` and `refuge createorg` on the first app server, the same secrets and
`refuge init` on the others, `refuge serve` on each (each with its scheduler, the
default), and nginx with the site file of `refuge nginx-config`. Through nginx only:

- the portal's form and its one-time form token, the CSRF token and the portal session
  work whichever process answers each step, and a form sent twice is refused by another
  process than the one that took it;
- the staff workspace (login, accepting a request into a case, notes) works across the
  processes: the session and the key cookie are not tied to one;
- the receipt brake and the flood brake count across the processes: a guesser spread
  over three processes is held to the limit of one, as is a flood;
- so does the API's per-token rate limit: a token made on the account page, its calls
  spread over the three processes, is refused (429) at the same count as on one;
- one process is killed (SIGKILL) while requesters submit: nginx passes over it, every
  acknowledged submission opens with its receipt afterwards, the staff session goes on;
- the three schedulers ran each job once.

The header X-Refuge-Upstream is added by the test's own nginx.conf around the site file
(never by the site file): it says which app server answered, so that the test can show
that the steps of one flow really were answered by different processes.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pyotp
import pytest

from tests.support.crash_postgres import CrashableCluster
from tests.support.http import LoopbackClient, Response
from tests.support.nginx import running_nginx
from tests.support.portal_http import RECEIPT_GROUP, open_with_receipt, receipt_of, submit
from tests.support.server import ServerProcess, create_organisation, run_refuge, running_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ORG, OTHER = "north", "south"
PASSWORD = "a long cluster password 15"
# Low enough that a flood reaches it in seconds; the submissions to north stay far below it.
SUBMISSIONS_PER_MINUTE = 40
# The API's calls per token per minute: per process, three times as many would be let through.
API_CALLS_PER_MINUTE = 6
# Each load thread sends at most this many (north's total stays below the flood brake).
LOAD_PER_THREAD = 15
UPSTREAM = "x-refuge-upstream"
BUSY_RECEIPT = "Too many attempts right now"
BUSY_FORM = "We are receiving many requests right now"
NOT_FOUND = "We could not open a request with this receipt"
ALREADY_SENT = "This form was already sent"


@pytest.fixture
def database() -> Iterator[CrashableCluster]:
    cluster = CrashableCluster.create()
    try:
        yield cluster
    finally:
        cluster.stop()


def _app_servers(tmp_path: Path, env: dict[str, str]) -> tuple[list[Path], str]:
    """Three app servers' data directories on the one database; the coordinator's TOTP secret."""
    first = tmp_path / "app1" / "var"
    run_refuge(first, "init", **env)
    created = create_organisation(first, slug=ORG, coordinator="alice", password=PASSWORD, **env)
    create_organisation(first, slug=OTHER, coordinator="sam", password=PASSWORD, **env)
    dirs = [first]
    for number in (2, 3):
        data_dir = tmp_path / f"app{number}" / "var"
        # docs/operations.md: the same secrets on every app server (copied here, as rsync would), then init.
        shutil.copytree(first.parent / "var-secrets", data_dir.parent / "var-secrets")
        run_refuge(data_dir, "init", **env)
        dirs.append(data_dir)
    return dirs, created.totp_secret


def _by(response: Response) -> str:
    """The app server that answered (nginx lists those it tried first: "dead:port, live:port")."""
    return response.headers[UPSTREAM].split(",")[-1].strip()


def _at_the_start_of_a_minute(seconds_needed: float) -> None:
    """Wait, if need be, so that the next `seconds_needed` fall within one minute (brakes count per minute)."""
    into = time.time() % 60
    if into > 60 - seconds_needed:
        time.sleep(60 - into + 0.5)


@dataclass
class Load:
    """Requesters submitting to north through nginx, one after another in each thread."""

    port: int
    acknowledged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    upstreams: list[tuple[float, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, number: int) -> None:
        rng = random.Random(number)
        serial = 0
        while not self.stop.is_set() and serial < LOAD_PER_THREAD:
            serial += 1
            client = LoopbackClient("127.0.0.1", self.port)
            started = time.monotonic()
            try:
                _form, answer, _fields = submit(client, ORG, rng, f"load-{number}-{serial}")
            except (OSError, http.client.HTTPException, AssertionError) as error:
                with self.lock:
                    self.errors.append(f"{type(error).__name__}: {error}")
                continue
            with self.lock:
                # When it was sent, not answered: one sent after the kill must not reach the dead process.
                self.upstreams.append((started, _by(answer)))
                if answer.status == 200 and len(RECEIPT_GROUP.findall(answer.text)) == 5:
                    self.acknowledged.append(receipt_of(answer))
                else:
                    self.errors.append(f"HTTP {answer.status}")

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def _wait_for(condition, seconds: float, what: str, detail=lambda: "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what} {detail()}"
        time.sleep(0.1)


def _has_scheduler(server: ServerProcess) -> bool:
    """Whether `refuge serve` has its scheduler process running (it starts 10 s after the server)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                command = (stat.parent / "cmdline").read_bytes().split(b"\0")
            except (OSError, IndexError, ValueError):
                continue
            if parent == server.process.pid and b"scheduler" in command:
                return True
        time.sleep(0.5)
    return False


def _api_token(staff: LoopbackClient) -> str:
    """A token made on the account page (docs/api.md, "Tokens"), read from the page that shows it once."""
    form = staff.get("/account/tokens/")
    fields = {"csrfmiddlewaretoken": form.csrf_token(), "name": "cluster", "scopes": "cases:read", "days": "1"}
    made = staff.request("POST", "/account/tokens/", fields)
    secret = re.search(r'<code class="receipt">([^<]+)</code>', made.text)
    assert made.status == 200 and secret is not None, made.text[-2000:]
    return secret.group(1)


def _jobs(url: str) -> dict[str, int]:
    with psycopg.connect(url) as connection:
        rows = connection.execute("SELECT name, runs FROM scheduler_scheduledjob").fetchall()
    return dict(rows)


# Three servers' start-up, a wait for the start of a minute (the brakes count per minute) and a minute
# of three schedulers: several minutes on a loaded machine.
@pytest.mark.timeout(900)
def test_three_app_servers_behind_nginx_share_tokens_sessions_brakes_and_the_scheduler(
    tmp_path: Path, database: CrashableCluster
) -> None:
    url = database.create_database("refuge")
    env = {
        "DATABASE_URL": url,
        "REFUGE_SUBMISSIONS_PER_MINUTE": str(SUBMISSIONS_PER_MINUTE),
        "REFUGE_API_REQUESTS_PER_MINUTE": str(API_CALLS_PER_MINUTE),
        # The notice job's interval: "ran once" must not be a second, legitimate run.
        "REFUGE_NOTIFY_MIN_INTERVAL_SECONDS": "3600",
    }
    dirs, totp_secret = _app_servers(tmp_path, env)
    with ExitStack() as stack:
        servers: list[ServerProcess] = [stack.enter_context(running_server(d, workers=1, **env)) for d in dirs]
        started = time.monotonic()
        nginx = stack.enter_context(running_nginx(dirs[0], [s.port for s in servers], **env))
        apps = {f"127.0.0.1:{server.port}" for server in servers}
        requester = LoopbackClient("127.0.0.1", nginx.port)

        # The portal: the form from one process, its answer from another; the copy refused by a third.
        rng = random.Random(15)
        form, answer, fields = submit(requester, ORG, rng, "first")
        receipt = receipt_of(answer)
        assert _by(form) != _by(answer), "both steps were answered by one process"
        again = requester.post_multipart(f"/r/{ORG}/ask/", fields, [])
        assert _by(again) not in {_by(form), _by(answer)}
        assert ALREADY_SENT in again.text and not RECEIPT_GROUP.search(again.text)
        # The receipt opens a portal session on one process, and the next page of another shows the request.
        opened, request_page = open_with_receipt(receipt, nginx.port)
        assert opened.status == 302 and request_page is not None and request_page.status == 200
        assert _by(opened) != _by(request_page)
        assert "status--received" in request_page.text

        # The workspace: log in, accept the request into a case, write a note, each step wherever nginx sends it.
        staff = LoopbackClient("127.0.0.1", nginx.port)
        login = staff.get("/login/")
        fields_in = {
            "csrfmiddlewaretoken": login.csrf_token(),
            "organisation": ORG,
            "username": "alice",
            "password": PASSWORD,
            "code": pyotp.TOTP(totp_secret).now(),
        }
        logged_in = staff.request("POST", "/login/", fields_in)
        assert logged_in.status == 302, logged_in.text[-2000:]
        inbox = staff.get("/requests/")
        assert inbox.status == 200
        request_id = re.search(r'href="/requests/([0-9a-f-]{36})/"', inbox.text)
        assert request_id is not None, "the request is not in the inbox"
        accept_path = f"/requests/{request_id.group(1)}/accept/"
        accept = staff.get(accept_path)
        me = re.search(r'name="team" value="([0-9a-f-]{36})"[^>]* checked', accept.text)
        assert me is not None, "the accept form does not offer the member"
        accepted = staff.request(
            "POST", accept_path, {"csrfmiddlewaretoken": accept.csrf_token(), "priority": "urgent", "team": me.group(1)}
        )
        assert accepted.status == 302, accepted.text[-2000:]
        case_path = accepted.headers["location"].split("#")[0]
        assert re.fullmatch(r"/cases/[0-9a-f-]{36}/", case_path), case_path
        case_page = staff.get(case_path)
        noted = staff.request(
            "POST", f"{case_path}notes/", {"csrfmiddlewaretoken": case_page.csrf_token(), "note-body": "First note"}
        )
        assert noted.status == 302 and noted.headers["location"].endswith("#notes")
        seen = {_by(r) for r in (login, logged_in, inbox, accept, accepted, case_page, noted)}
        assert seen == apps, f"the workspace flow met {seen}, not all three app servers"

        # The API's budget is the token's, whichever process answers: the call after the limit is
        # refused, with the limit reached over all three processes.
        token = _api_token(staff)
        _at_the_start_of_a_minute(30)
        api_calls = [
            LoopbackClient("127.0.0.1", nginx.port).request(
                "GET", "/api/v1/cases", headers={"Authorization": f"Bearer {token}"}
            )
            for _ in range(API_CALLS_PER_MINUTE + 1)
        ]
        assert [c.status for c in api_calls] == [200] * API_CALLS_PER_MINUTE + [429], [c.status for c in api_calls]
        assert {_by(c) for c in api_calls} == apps
        assert json.loads(api_calls[-1].body)["code"] == "too_many_requests"
        assert int(api_calls[-1].headers["retry-after"]) >= 1

        # The brakes count across the processes: per process, each would let three times as much through.
        assert all(_has_scheduler(server) for server in servers), "each refuge serve runs its scheduler"
        _at_the_start_of_a_minute(45)
        other = receipt_of(submit(LoopbackClient("127.0.0.1", nginx.port), ORG, rng, "second")[1])
        guesses = [
            open_with_receipt(receipt[:-4] + last, nginx.port)[0] for last in ("ZZZZ", "ZZZY", "ZZZX", "ZZZW", "ZZZV")
        ]
        assert all(NOT_FOUND in guess.text for guess in guesses)
        assert {_by(guess) for guess in guesses} == apps
        held = open_with_receipt(receipt[:-4] + "ZZZT", nginx.port)[0]
        assert BUSY_RECEIPT in held.text
        # The holder of the partly seen receipt waits with the guesser; everyone else is let in.
        assert BUSY_RECEIPT in open_with_receipt(receipt, nginx.port)[0].text
        assert open_with_receipt(other, nginx.port)[0].status == 302
        flood = [
            submit(LoopbackClient("127.0.0.1", nginx.port), OTHER, rng, f"flood-{n}")[1]
            for n in range(SUBMISSIONS_PER_MINUTE + 1)
        ]
        taken = [len(RECEIPT_GROUP.findall(a.text)) == 5 for a in flood]
        assert taken == [True] * SUBMISSIONS_PER_MINUTE + [False]
        assert BUSY_FORM in flood[-1].text
        assert {_by(a) for a in flood} == apps

        # Requesters keep submitting while one app server is killed.
        load = Load(nginx.port)
        threads = [threading.Thread(target=load.run, args=(n,), daemon=True) for n in range(2)]
        for thread in threads:
            thread.start()
        _wait_for(lambda: load.count() >= 3, 120, "three submissions before the kill")
        victim = servers[1]
        victim.kill()
        killed_at, count_at_kill = time.monotonic(), load.count()
        dead = f"127.0.0.1:{victim.port}"
        # The staff session goes on on the others.
        case_page = staff.get(case_path)
        assert case_page.status == 200 and "First note" in case_page.text
        noted = staff.request(
            "POST", f"{case_path}notes/", {"csrfmiddlewaretoken": case_page.csrf_token(), "note-body": "After the kill"}
        )
        assert noted.status == 302
        _wait_for(
            lambda: load.count() >= count_at_kill + 3 and time.monotonic() > killed_at + 2,
            120,
            "three submissions after the kill",
            lambda: f"{load.count()} acknowledged ({count_at_kill} at the kill), errors: {load.errors}",
        )
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert "After the kill" in staff.get(case_path).text

        # nginx passed over the dead process; at most the submissions in flight at the kill failed.
        assert len(load.errors) <= len(threads), load.errors
        # Sent after the kill (on a quiet machine every load submission may be answered within a
        # second of it, so no margin after the kill is waited for).
        after = {upstream for sent, upstream in load.upstreams if sent > killed_at}
        assert after and dead not in after, after
        # No acknowledged submission is lost: each opens with its receipt.
        for acknowledged in load.acknowledged:
            assert open_with_receipt(acknowledged, nginx.port)[0].status == 302, acknowledged

        # Three schedulers (one per `refuge serve`) shared the jobs: each ran once, with all of them
        # running for a minute at least (each looks for due jobs at least every minute).
        _wait_for(lambda: _jobs(url).get("notices") == 1, 60, "the notice job's first run")
        time.sleep(max(0.0, started + 75 - time.monotonic()))
        jobs = _jobs(url)
        minutes = (time.monotonic() - started) / 60
        assert jobs["notices"] == 1 and jobs["retention"] == 1, jobs
        # The jobs of every minute ran at most once a minute.
        assert all(runs <= minutes + 1 for runs in jobs.values()), (jobs, minutes)

    # Everything written across the processes is one unbroken audit chain.
    # (Requesters' entries are chained when their hour ends: verify says so, and checks the rest.)
    assert re.search(r"^OK: ", run_refuge(dirs[0], "audit", "verify", **env).stdout, re.MULTILINE)
