"""The crash suite's harness: real processes, concurrent clients, SIGKILL at random moments, then checks.

One run (`CrashSuite(...).run()`), as docs/development.md ("Crash suite") describes it:

1. A fresh data directory, `refuge init` and `refuge createorg`, on SQLite (a file in the
   data directory) or on a PostgreSQL cluster of the run's own (tests/support/crash_postgres.py),
   which may be killed without harming the rest of the test session. Then, in a
   production-settings process running while the first server starts, a caseworker
   account per client and a case per caseworker (crash_ops.set_up_cases); once the
   server answers, every caseworker logs in (their sessions outlive the kills).
2. Each cycle: start `refuge serve` (granian, its default server; production settings,
   2 workers), wait until it answers, then let `clients` threads write through it as requesters and caseworkers
   do (the operations of tests/support/crash_ops.py: submit a request, send a message,
   upload files; add a note or a task to a case, save a compartment, edit the case), each
   attempt written into the ledger before it is sent and marked with what came back. After
   a random 1/3..1 × `seconds` (longer, by at most `seconds`, until every operation has
   been acknowledged once per cycle so far) the server's whole process group is
   killed with SIGKILL, on PostgreSQL usually the database's too (in random order, a
   random instant apart), while clients are mid-request. Then the clients stop, the
   database is started again (crash recovery), and the verifier
   (tests/support/crash_verify.py) checks everything written so far, in a process of
   its own. The next cycle's server first opens a few acknowledged requests through the
   portal, as their requesters would, and a few cases through the workspace.
3. At the end, `refuge audit verify` must pass.

The short run is what CI runs (tests/crash); `make crash` runs the long one:
REFUGE_CRASH_CYCLES, REFUGE_CRASH_SECONDS, REFUGE_CRASH_CLIENTS and REFUGE_CRASH_SEED
change the defaults below. A failing run prints its seed; the same seed replays the same
kill moments and the same data, though not the same interleaving of threads.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tests.support.crash_ops import (
    ACKED,
    IN_FLIGHT,
    OPERATIONS,
    TRANSPORT_ERRORS,
    UNKNOWN,
    Attempt,
    CaseTarget,
    CrashClient,
    StaffAccount,
    choose_operation,
    log_in,
)
from tests.support.crash_ops_applications import JourneyTarget
from tests.support.crash_ops_disclosures import RECEIVING_ORG
from tests.support.crash_ops_retention import KEEP_ORG, KEEPER, ShredRunner
from tests.support.http import LoopbackClient
from tests.support.server import REFUGE, ServerProcess, refuge_env, run_refuge, running_server

ROOT = Path(__file__).resolve().parents[2]
ORGANISATION = "crash"
COORDINATOR = "coord"
# Intake members besides the caseworkers' clients: three acts on one client were too few per cycle.
INTAKE_CLIENTS = 2
# The short run (CI). REFUGE_CRASH_* override them for `make crash`.
DEFAULT_CYCLES = 6
DEFAULT_SECONDS = 3.0
DEFAULT_CLIENTS = 8
# The negative controls stop at the first cycle that shows damage; this many cycles at most.
CONTROL_CYCLES = 8
SPOT_CHECKS = 4
CASE_SPOT_CHECKS = 2
# A client pauses this long after a write that was not acknowledged (the server may be down).
PAUSE_AFTER_FAILURE = 0.05
SERVER_READY_SECONDS = 90.0
VERIFY_TIMEOUT = 900


def _env_number(name: str, default: float, kind: type = int) -> Any:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {raw!r}")
    return value


@dataclass
class CrashConfig:
    database: str  # "sqlite" or "postgres"
    cycles: int = DEFAULT_CYCLES
    seconds: float = DEFAULT_SECONDS  # the longest a cycle's load runs before the kill
    clients: int = DEFAULT_CLIENTS
    seed: int = 0
    # The negative control: the unsafe setting of crash_unsafe.py (SQLite) or crash_postgres.py.
    unsafe: bool = False
    stop_on_damage: bool = False
    workers: int = 2
    # Caseworkers editing cases besides the requesters. Not in the SQLite negative control: its
    # server holds the write lock half a second after every write, so eight logins (and every
    # page a caseworker opens, which writes an audit entry) would take most of its run.
    cases: bool = True

    @classmethod
    def from_env(cls, database: str, *, unsafe: bool = False) -> CrashConfig:
        cycles = CONTROL_CYCLES if unsafe else _env_number("REFUGE_CRASH_CYCLES", DEFAULT_CYCLES)
        return cls(
            database=database,
            cycles=cycles,
            seconds=_env_number("REFUGE_CRASH_SECONDS", DEFAULT_SECONDS, float),
            clients=_env_number("REFUGE_CRASH_CLIENTS", DEFAULT_CLIENTS),
            seed=_env_number("REFUGE_CRASH_SEED", secrets.randbelow(2**31) + 1),
            unsafe=unsafe,
            stop_on_damage=unsafe,
            cases=not (unsafe and database == "sqlite"),
        )


# --- the database: what is killed besides the server, and how it comes back ---------------------


class Database(Protocol):
    killable: bool

    def env(self) -> dict[str, str]: ...
    def kill(self) -> None: ...
    def restart(self) -> None: ...
    def close(self) -> None: ...
    def describe(self) -> str: ...


class SqliteDatabase:
    """The data directory's refuge.sqlite3 (WAL, synchronous=FULL): it dies with the server."""

    killable = False

    def __init__(self, *, unsafe: bool) -> None:
        self.unsafe = unsafe

    def env(self) -> dict[str, str]:
        return {}

    def kill(self) -> None:
        raise AssertionError("SQLite runs inside the server's processes")

    def restart(self) -> None:
        pass

    def close(self) -> None:
        pass

    def describe(self) -> str:
        if self.unsafe:
            return "SQLite (WAL, synchronous=FULL) behind a server that acknowledges before it commits"
        return "SQLite (WAL, synchronous=FULL)"


class PostgresDatabase:
    """A cluster of the run's own: killed with the server, restarted with crash recovery."""

    killable = True

    def __init__(self, *, unsafe: bool) -> None:
        from tests.support.crash_postgres import CrashableCluster

        self.cluster = CrashableCluster.create(unsafe=unsafe)
        try:
            self.url = self.cluster.create_database("refuge_crash")
        except BaseException:
            self.cluster.stop()
            raise

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.url}

    def kill(self) -> None:
        self.cluster.kill()

    def restart(self) -> None:
        self.cluster.restart()

    def close(self) -> None:
        self.cluster.stop()

    def describe(self) -> str:
        from tests.support.crash_postgres import UNSAFE_SETTINGS

        unsafe = ", ".join(f"{k}={v}" for k, v in self.cluster.extra_settings.items() if k in UNSAFE_SETTINGS)
        return f"PostgreSQL ({unsafe})" if unsafe else "PostgreSQL (fsync, synchronous_commit on)"


# --- the ledger and the clients -----------------------------------------------------------------


class Ledger:
    """Every attempt of the run, in the order they began."""

    def __init__(self) -> None:
        self.attempts: list[Attempt] = []
        self.client_errors: list[str] = []
        self._lock = threading.Lock()

    def begin(self, client: CrashClient, op: str, cycle: int) -> Attempt:
        attempt = Attempt(serial=client.next_serial(), op=op, client=client.number, cycle=cycle)
        with self._lock:
            self.attempts.append(attempt)
        return attempt

    def settle(self) -> None:
        """After the clients stopped: a write still in flight has an unknown fate."""
        for attempt in self.attempts:
            if attempt.status == IN_FLIGHT:
                attempt.status, attempt.detail = UNKNOWN, "in flight when the clients stopped"

    def acknowledged(self, **where: Any) -> list[Attempt]:
        return [a for a in self.attempts if a.status == ACKED and all(getattr(a, k) == v for k, v in where.items())]


class ClientPool:
    """The client threads of one cycle; they write until stopped (the server dies under them)."""

    def __init__(self, clients: list[CrashClient], ledger: Ledger, cycle: int, port: int) -> None:
        self.clients, self.ledger, self.cycle = clients, ledger, cycle
        self.stopping = threading.Event()
        for client in clients:
            client.port = port
        self.threads = [threading.Thread(target=self._loop, args=(c,), daemon=True) for c in clients]

    def start(self) -> ClientPool:
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=120)
            if thread.is_alive():
                raise AssertionError("a crash-suite client did not stop within 120 s")
        self.ledger.settle()

    def _loop(self, client: CrashClient) -> None:
        while not self.stopping.is_set():
            operation = choose_operation(client)
            attempt = self.ledger.begin(client, operation.name, self.cycle)
            try:
                operation.perform(client, attempt)
            except Exception as error:  # noqa: BLE001 - a bug of the harness fails the run, after the cycle
                self.ledger.client_errors.append(f"{attempt.op} {attempt.serial}: {type(error).__name__}: {error}")
                if attempt.status == IN_FLIGHT:
                    attempt.status = UNKNOWN
            if attempt.status != ACKED:
                time.sleep(PAUSE_AFTER_FAILURE)


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Cycle:
    number: int
    load_seconds: float
    kills: list[str]
    acknowledged: int  # writes acknowledged during this cycle
    cut_off: int  # writes whose answer never came (the kill, or the database, cut them off)
    problems: int  # problems the checks after this cycle found
    seconds: float
    # Where the cycle's time went: server start, load (and the kill), database recovery, checks.
    phases: dict[str, float] = field(default_factory=dict)


class _Clock:
    def __init__(self) -> None:
        self.began = self.last = time.monotonic()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.laps[name] = now - self.last
        self.last = now

    def total(self) -> float:
        return time.monotonic() - self.began


@dataclass
class CrashReport:
    config: CrashConfig
    database: str
    cycles: list[Cycle] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)
    client_errors: list[str] = field(default_factory=list)
    audit: str = ""
    seconds: float = 0.0

    @property
    def acknowledged(self) -> int:
        return sum(c.acknowledged for c in self.cycles)

    def problem_count(self, *kinds: str) -> int:
        return sum(v for k, v in self.counts.items() if k.startswith("problem:") and (not kinds or k[8:] in kinds))

    @property
    def kills(self) -> Counter[str]:
        return Counter(kill for cycle in self.cycles for kill in cycle.kills)

    def summary(self) -> str:
        ops = sorted(
            {key.split(":")[0] for key in self.counts if ":" in key and not key.startswith(("problem:", "answered "))}
        )
        lines = [
            f"crash suite on {self.database}: {len(self.cycles)} kill cycles in {self.seconds:.0f} s, "
            f"seed {self.config.seed}, {self.config.clients} clients",
            "  kills: " + ", ".join(f"{what} ×{n}" for what, n in sorted(self.kills.items())),
        ]
        for op in ops:
            parts = [
                f"{self.counts.get(f'{op}:{status}', 0)} {status}"
                for status in ("acked", "unknown", "refused", "unsent")
            ]
            stored = self.counts.get(f"{op}:unknown:stored", 0)
            lines.append(f"  {op}: {', '.join(parts)} ({stored} of the unknown were stored, whole)")
        answered = sorted({key.split(":")[0] for key in self.counts if key.startswith("answered ")})
        for answer in answered:
            stored, absent = self.counts.get(f"{answer}:stored", 0), self.counts.get(f"{answer}:absent", 0)
            lines.append(f"  {answer}: {stored} of {stored + absent} were stored (whole)")
        lines.append(
            f"  stored writes: {self.counts.get('stored writes', 0)}; "
            f"requests shredded in keep: {self.counts.get('requests shredded in keep', 0)}; "
            f"audit: {self.audit or 'not run'}"
        )
        for cycle in self.cycles:
            lines.append(
                f"  cycle {cycle.number}: load {cycle.load_seconds:.1f} s, killed {' then '.join(cycle.kills)}, "
                f"{cycle.acknowledged} acknowledged, {cycle.cut_off} cut off, {cycle.problems} problems, "
                f"{cycle.seconds:.1f} s ("
                + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cycle.phases.items())
                + ")"
            )
        total = self.problem_count()
        lines.append(f"  problems: {total}" + (" — " + self._problem_kinds() if total else ""))
        lines += [f"    [{p['kind']}] {p['message']}" for p in self.problems[:25]]
        lines += [f"  client error: {error}" for error in self.client_errors[:10]]
        return "\n".join(lines)

    def _problem_kinds(self) -> str:
        return ", ".join(f"{k[8:]} {v}" for k, v in sorted(self.counts.items()) if k.startswith("problem:"))


@dataclass
class _VerifierRun:
    """tests/support/crash_verify.py running in a process of its own, and the file it answers in."""

    process: subprocess.Popen[str]
    output: Path


class CrashSuite:
    """One run: set up, cycle (load, kill, restart, verify), report. See the module docstring."""

    def __init__(self, workdir: Path, config: CrashConfig) -> None:
        self.workdir, self.config = workdir, config
        self.data_dir = workdir / "var"
        self.rng = random.Random(config.seed)
        self.ledger = Ledger()
        # Packets consented, passed from the caseworkers to the approving coordinator (crash_ops_disclosures.py).
        consented: list[tuple[str, bool]] = []
        self.clients = [
            CrashClient(number, random.Random(f"{config.seed}-{number}"), ORGANISATION, consented=consented)
            for number in range(config.clients)
        ]
        # Intake members working the inbox (crash_ops_intake.py), when there are cases: they share the
        # set of requests acted on, so that no request is the subject of two acts.
        touched: set[str] = set()
        for number in range(config.clients, config.clients + (INTAKE_CLIENTS if config.cases else 0)):
            rng = random.Random(f"{config.seed}-{number}")
            self.clients.append(CrashClient(number, rng, ORGANISATION, intake=True, touched=touched))
        if config.cases:
            # The coordinator of `keep`, the organisation whose requests retention shreds (crash_ops_retention.py).
            number = len(self.clients)
            self.clients.append(
                CrashClient(number, random.Random(f"{config.seed}-{number}"), KEEP_ORG, coordinator=True)
            )
            # The crash organisation's coordinator, on every case's team: it approves and downloads
            # the packets the caseworkers prepare (crash_ops_disclosures.py); the receiving
            # organisation's imports them (crash_ops_referrals.py). The packets downloaded are theirs.
            delivered: list[tuple[str, bytes]] = []
            links: list[tuple[str, str]] = []
            for org in (ORGANISATION, ORGANISATION, RECEIVING_ORG):
                number = len(self.clients)
                rng = random.Random(f"{config.seed}-{number}")
                self.clients.append(
                    CrashClient(
                        number, rng, org, coordinator=True, delivered=delivered, consented=consented, links=links
                    )
                )
        self.runner: ShredRunner | None = None
        self.password = secrets.token_urlsafe(18)
        self.shares: list[str] = []
        self.totp_secret = ""
        # What the set-up of the cases wrote (crash_ops.case_baseline), for the verifier.
        self.case_baseline: dict[str, Any] = {}
        # The receiving organisation the set-up made (crash_ops_disclosures.set_up_receiving), for the verifier.
        self.receiving: dict[str, Any] = {}
        self._setting_up: _VerifierRun | None = None
        self.portal_problems: list[dict[str, str]] = []
        self.database_kills = 0

    def run(self) -> CrashReport:
        started = time.monotonic()
        database: Database = (
            PostgresDatabase(unsafe=self.config.unsafe)
            if self.config.database == "postgres"
            else SqliteDatabase(unsafe=self.config.unsafe)
        )
        report = CrashReport(self.config, database.describe())
        try:
            self._set_up(database)
            for number in range(1, self.config.cycles + 1):
                cycle = self._cycle(number, database, report)
                report.cycles.append(cycle)
                if self.ledger.client_errors or (cycle.problems and self.config.stop_on_damage):
                    break
            report.audit = self._audit_verify(database, report)
        finally:
            if self.runner is not None:
                self.runner.stop()  # the shredding process never ends by itself
            if self._setting_up is not None and self._setting_up.process.poll() is None:
                self._setting_up.process.kill()
                self._setting_up.process.communicate()
            report.client_errors = list(self.ledger.client_errors)
            report.seconds = time.monotonic() - started
            database.close()
        return report

    def _set_up(self, database: Database) -> None:
        env = database.env()
        run_refuge(self.data_dir, "init", **env)
        password_file = self.workdir / "password"
        password_file.write_text(self.password + "\n")
        created = run_refuge(
            self.data_dir, "createorg", "--name", "Crash", "--slug", ORGANISATION, "--coordinator", COORDINATOR,
            "--password-file", str(password_file), **env,
        )  # fmt: skip
        self.shares = re.findall(r"share \d+: (.+)", created.stdout)
        secret = re.search(r"TOTP secret:\s+(\S+)", created.stdout)
        self.totp_secret = secret.group(1) if secret else ""
        assert self.shares, created.stdout
        if not self.config.cases:
            return
        # Retention's own organisation: every request nobody touched is due at once.
        kept = run_refuge(
            self.data_dir, "createorg", "--name", "Keep", "--slug", KEEP_ORG, "--coordinator", KEEPER,
            "--password-file", str(password_file), **env,
        )  # fmt: skip
        keeper_secret = re.search(r"TOTP secret:\s+(\S+)", kept.stdout)
        assert keeper_secret is not None, kept.stdout
        for client in self.clients:
            if client.coordinator and client.org_slug == KEEP_ORG:
                client.staff = StaffAccount(KEEPER, self.password, keeper_secret.group(1))
            elif client.coordinator and client.org_slug == ORGANISATION and client.staff is None:
                # The first of the two (createorg's); the second's account is the set-up's (_finish_set_up).
                client.staff = StaffAccount(COORDINATOR, self.password, self.totp_secret)
                break
        run_refuge(self.data_dir, "retention", "set", "--org", KEEP_ORG, "unused_receipt", "0", **env)
        # The caseworkers and their cases: made while the first server starts (see _finish_set_up).
        spec = {
            "org": ORGANISATION,
            "coordinator": COORDINATOR,
            "password": self.password,
            "shares": self.shares,
            "workers": [f"worker{client.number}" for client in self._caseworkers()],
            "intake": [f"intake{client.number}" for client in self.clients if client.intake],
            # Each journey departs and arrives once: enough for four of each per cycle (a kill can leave one unknown).
            "journeys": max(4, math.ceil(4 * self.config.cycles / len(self._caseworkers()))),
            # Each is closed as referred once: half as many again as the floor, for the cut-off ones.
            "referrals": math.ceil(1.5 * self.config.cycles / len(self._caseworkers())),
        }
        for client in self.clients:
            if client.org_slug == RECEIVING_ORG:
                client.env = refuge_env(self.data_dir, **database.env())  # `refuge import-referral` runs in it
        self._setting_up = self._start_verifier(database, spec, "set-up", "--set-up")

    def _caseworkers(self) -> list[CrashClient]:
        return [client for client in self.clients if not client.intake and not client.coordinator]

    def _finish_set_up(self, port: int) -> None:
        """A caseworker account per client and the cases they edit (crash_ops.set_up_cases), then
        every caseworker logged in, before the first load (their sessions outlive the kills)."""
        if self._setting_up is None:
            return
        opened, self._setting_up = self._finish_verifier(self._setting_up), None
        if "cases" not in opened:
            raise AssertionError(f"the cases could not be opened: {opened['problems'][0]['message']}")
        for client, account in zip(self._caseworkers(), opened["accounts"], strict=True):
            client.staff = StaffAccount(account["username"], account["password"], account["totp_secret"])
        intake = [client for client in self.clients if client.intake]
        for client, account in zip(intake, opened["intake"], strict=True):
            client.staff = StaffAccount(account["username"], account["password"], account["totp_secret"])
            client.attach_to = [(case_id, reference) for case_id, reference in opened["attach_to"]]
        second = [c for c in self.clients if c.coordinator and c.org_slug == ORGANISATION and c.staff is None]
        for client, account in zip(second, opened["coordinators"], strict=True):
            client.staff = StaffAccount(account["username"], account["password"], account["totp_secret"])
        for case in opened["cases"]:
            target = CaseTarget(
                case["case"],
                case["person"],
                case["compartments"],
                [tuple(m) for m in case["team"]],
                case["partner"],
                case["document"],
                case["document_name"],
                case["receipt"],
            )
            for number in case["workers"]:
                self.clients[number].cases.append(target)
            for client in self.clients:
                if client.coordinator and client.staff is not None and client.staff.username == COORDINATOR:
                    client.cases.append(target)  # on every case's team: it approves their packets
        for journey in opened.get("journeys", []):
            self.clients[journey["worker"]].journeys.append(JourneyTarget.from_set_up(journey))
        for referred in opened.get("referred", []):
            held = {"case": referred["case"], "packet": referred["packet"]}
            self.clients[referred["worker"]].held.setdefault("case_referred", []).append(held)
        self.receiving = opened["receiving"]
        for client in self.clients:
            if client.coordinator and client.org_slug in (ORGANISATION, RECEIVING_ORG):
                client.identity = self.receiving["identity"]
            if client.coordinator and client.org_slug == RECEIVING_ORG:
                account = self.receiving
                client.staff = StaffAccount(account["username"], account["password"], account["totp_secret"])
        self.case_baseline = opened["baseline"]
        failures = []

        def log_in_one(client: CrashClient) -> None:
            try:
                failed = log_in(client, port)
            except Exception as error:  # noqa: BLE001 - a refused login is a harness error, reported as one
                failed = f"{type(error).__name__}: {error}"
            if failed:
                failures.append(f"{client.staff.username if client.staff else client.number}: {failed}")

        threads = [threading.Thread(target=log_in_one, args=(client,)) for client in self.clients if client.staff]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        if failures:
            # The server must have taken every login: nothing kills it yet.
            self.ledger.client_errors += [f"login before the first load: {failure}" for failure in failures]

    def _server_env(self, database: Database) -> dict[str, str]:
        env = {
            **database.env(),
            # The portal's flood brake would refuse part of the load on purpose; not what is tested here.
            # (Receipts that open a request are never braked: refuge/intake/receipt_brake.py.)
            "REFUGE_SUBMISSIONS_PER_MINUTE": "1000000",
        }
        if self.config.unsafe and self.config.database == "sqlite":
            from tests.support.crash_unsafe import UNSAFE_SETTINGS_MODULE

            env.update({"DJANGO_SETTINGS_MODULE": UNSAFE_SETTINGS_MODULE, "PYTHONPATH": str(ROOT)})
        return env

    def _cycle(self, number: int, database: Database, report: CrashReport) -> Cycle:
        clock = _Clock()
        acknowledged_before = len(self.ledger.acknowledged())
        runner = self._shred_runner(database)
        if runner is not None:
            runner.launch()
        with running_server(self.data_dir, workers=self.config.workers, **self._server_env(database)) as server:
            self._wait_until_serving(server)
            self._finish_set_up(server.port)
            clock.lap("start")
            checked = self._spot_check(server.port) + self._spot_check_cases(server.port)
            portal = [dict(p, message=f"cycle {number}: {p['message']}") for p in checked]
            pool = ClientPool(self.clients, self.ledger, number, server.port).start()
            if runner is not None:
                runner.start(server.port)
            load = self.rng.uniform(self.config.seconds / 3, self.config.seconds)
            time.sleep(load)
            load += self._until_covered(number)
            kills = self._crash(server, database, last=number == self.config.cycles)
            pool.stop()
            if runner is not None:
                runner.stop()
            clock.lap("load")
        if "database" in kills:
            database.restart()
            clock.lap("recovery")
        # The verifier looks at everything written so far: its findings replace the last ones.
        verified = self.verify(database)
        clock.lap("checks")
        self.portal_problems += portal
        report.problems = self.portal_problems + verified["problems"]
        report.counts = dict(
            Counter(verified["counts"]) + Counter(f"problem:{p['kind']}" for p in self.portal_problems)
        )
        if self.runner is not None:
            report.counts.update(self.runner.counts)
        found = sum(v for k, v in verified["counts"].items() if k.startswith("problem:")) + len(portal)
        acknowledged = len(self.ledger.acknowledged()) - acknowledged_before
        cut_off = sum(1 for a in self.ledger.attempts if a.cycle == number and a.status == UNKNOWN)
        return Cycle(number, load, kills, acknowledged, cut_off, found, clock.total(), clock.laps)

    def _shred_runner(self, database: Database) -> ShredRunner | None:
        """Requests to `keep` and the retention job shredding them, killed with the server (crash_ops_retention.py)."""
        if self.config.unsafe or not self.config.cases:
            return None
        if self.runner is None:
            env = refuge_env(self.data_dir, **self._server_env(database))
            rng = random.Random(f"{self.config.seed}-shred")
            self.runner = ShredRunner(REFUGE, env, rng, self.workdir / "retention-passes.log")
        return self.runner

    def _until_covered(self, number: int) -> float:
        """Seconds the load went on past its random length, until every operation has been
        acknowledged at least once per cycle so far (at most `seconds` more, or `patience` times
        that while an operation that has some is behind: crash_ops.Operation.patience).

        The test holds the suite to that floor: without it, a machine busy with other work
        (or a new operation of low weight) made a clean run fail on coverage, not on a loss.
        The kill still falls at a random instant: the extra time ends when the slowest
        operation's acknowledgement happens to arrive."""
        if self.config.unsafe or not self.config.cases:
            return 0.0
        started = time.monotonic()
        while True:
            acked = Counter(attempt.op for attempt in self.ledger.acknowledged())
            behind = [op.patience for name, op in OPERATIONS.items() if acked[name] < number]
            if not behind or time.monotonic() - started >= self.config.seconds * max(behind):
                break
            time.sleep(0.1)
        return time.monotonic() - started

    def _wait_until_serving(self, server: ServerProcess) -> None:
        """Until the workers answer a page (the port opens before they have loaded Django)."""
        browser = LoopbackClient("127.0.0.1", server.port, timeout=10.0)
        deadline = time.monotonic() + SERVER_READY_SECONDS
        while time.monotonic() < deadline:
            try:
                if browser.get(f"/r/{ORGANISATION}/").status == 200:
                    return
            except TRANSPORT_ERRORS:
                pass
            time.sleep(0.1)
        log = server.log_path.read_text(errors="replace")[-3000:]
        raise AssertionError(f"the server did not serve within {SERVER_READY_SECONDS:.0f} s:\n{log}")

    def _crash(self, server: ServerProcess, database: Database, *, last: bool) -> list[str]:
        """SIGKILL the server's process group, and on PostgreSQL usually the database's too.

        On PostgreSQL: the server alone (a quarter of the cycles), or both in either order
        a random instant apart (the database first half the time: the server then sees its
        database vanish mid-request). The last cycle kills the database if none did yet.
        """
        if not database.killable:
            plan = ["server"]
        elif self.config.unsafe:
            # What the control is about: the database dies holding acknowledged commits.
            plan = ["database", "server"]
        else:
            plans = [["server"], ["server", "database"], ["database", "server"], ["database", "server"]]
            if last and not self.database_kills:
                plans = plans[1:]
            plan = self.rng.choice(plans)
        self.database_kills += plan.count("database")
        for step, what in enumerate(plan):
            if step and not self.config.unsafe:
                time.sleep(self.rng.uniform(0.0, 0.3))
            if what == "server":
                server.kill()
                if self.runner is not None:
                    self.runner.kill()
            else:
                database.kill()
        return plan

    def _spot_check(self, port: int) -> list[dict[str, str]]:
        """A few acknowledged requests opened through the restarted portal, their messages on the page."""
        problems = []
        submitted = self.ledger.acknowledged(op="submit")
        for attempt in self.rng.sample(submitted, min(SPOT_CHECKS, len(submitted))):
            browser = LoopbackClient("127.0.0.1", port, timeout=30.0)
            # The request page shows messages (and their files); a check-in is not one.
            expected = [
                a.serial
                for a in self.ledger.acknowledged(receipt=attempt.receipt)
                if OPERATIONS[a.op].stores == "message"
            ]
            try:
                entered = browser.post_form("/r/status/", {"receipt": attempt.receipt})
                page = browser.get("/r/request/") if entered.status == 302 else entered
            except TRANSPORT_ERRORS as error:
                problems.append({"kind": "error", "message": f"portal: {type(error).__name__}: {error}"})
                continue
            if entered.status != 302 or page.status != 200:
                problems.append(
                    {
                        "kind": "acknowledged",
                        "message": f"portal: request {attempt.serial} does not open with its receipt",
                    }
                )
                continue
            missing = [serial for serial in expected if f"Message {serial}:" not in page.text]
            if missing:
                problems.append(
                    {"kind": "acknowledged", "message": f"portal: request {attempt.serial} lacks messages {missing}"}
                )
        return problems

    def _spot_check_cases(self, port: int) -> list[dict[str, str]]:
        """A few cases opened by a caseworker through the restarted workspace, their latest edit on the page.

        Only where the latest edit is sure: the acknowledged edit of the highest version among
        the edits that may have been stored (acknowledged or cut off); a later one would have
        needed a higher version. Its caseworker's session must have outlived the kill.
        """
        problems = []
        latest: dict[str, Attempt] = {}
        for attempt in self.ledger.attempts:
            if attempt.op != "case_edit" or attempt.status not in (ACKED, UNKNOWN) or not attempt.payload:
                continue
            best = latest.get(attempt.payload["case"])
            if (
                best is None
                or attempt.payload["version"] > best.payload["version"]
                or (attempt.payload["version"] == best.payload["version"] and attempt.status == ACKED)
            ):
                latest[attempt.payload["case"]] = attempt
        sure = [attempt for _case, attempt in sorted(latest.items()) if attempt.status == ACKED]
        for attempt in self.rng.sample(sure, min(CASE_SPOT_CHECKS, len(sure))):
            client = self.clients[attempt.client]
            if client.staff is None or not client.staff.csrf:
                continue  # logged out since: nobody to look
            browser = client.staff_http(port)
            try:
                page = browser.get(f"/cases/{attempt.payload['case']}/")
            except TRANSPORT_ERRORS as error:
                problems.append({"kind": "error", "message": f"workspace: {type(error).__name__}: {error}"})
                continue
            if page.status != 200:
                answer = f"HTTP {page.status} {page.headers.get('location', '')}".strip()
                message = f"workspace: the case of edit {attempt.serial} answers {answer} to its caseworker"
                problems.append({"kind": "acknowledged", "message": message})
            elif f"Summary {attempt.serial}:" not in page.text:
                message = f"workspace: the case of edit {attempt.serial} does not show it"
                problems.append({"kind": "acknowledged", "message": message})
        return problems

    def verify(self, database: Database) -> dict[str, Any]:
        """Run tests/support/crash_verify.py on the database as the crash left it."""
        spec = {
            "org": ORGANISATION,
            "coordinator": COORDINATOR,
            "password": self.password,
            "shares": self.shares,
            "setup": self.case_baseline,
            "keep": self.runner.spec() if self.runner is not None else {},
            "receiving": {k: v for k, v in self.receiving.items() if k in ("org", "username", "shares", "command")},
            "attempts": [asdict(attempt) for attempt in self.ledger.attempts],
        }
        return self._finish_verifier(self._start_verifier(database, spec, "verify"))

    def _start_verifier(self, database: Database, spec: dict[str, Any], name: str, *flags: str) -> _VerifierRun:
        given, output = self.workdir / f"{name}-input.json", self.workdir / f"{name}-output.json"
        given.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        output.unlink(missing_ok=True)
        env = refuge_env(self.data_dir, **database.env())
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.crash_verify", *flags, str(given), str(output)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        return _VerifierRun(process, output)

    def _finish_verifier(self, run: _VerifierRun) -> dict[str, Any]:
        try:
            _out, err = run.process.communicate(timeout=VERIFY_TIMEOUT)
        except subprocess.TimeoutExpired:
            run.process.kill()
            _out, err = run.process.communicate()
        if run.process.returncode != 0 or not run.output.exists():
            message = f"the verifier failed ({run.process.returncode}): {err[-2000:]}"
            return {"problems": [{"kind": "error", "message": message}], "counts": {"problem:error": 1}}
        result: dict[str, Any] = json.loads(run.output.read_text(encoding="utf-8"))
        return result

    def _audit_verify(self, database: Database, report: CrashReport) -> str:
        """`refuge audit verify` on the database after the last crash."""
        completed = subprocess.run(
            [REFUGE, "audit", "verify"], env=refuge_env(self.data_dir, **database.env()),
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        out = (completed.stdout.strip().splitlines() or [completed.stderr.strip()])[-1]
        if completed.returncode != 0:
            report.problems.append({"kind": "audit", "message": f"refuge audit verify: {out}"})
            report.counts["problem:audit"] = report.counts.get("problem:audit", 0) + 1
        return out
