"""The measuring half of bench/workspace.py, run in its own process with production settings.

`python -m bench._workspace_child --cases N --iterations K --output FILE --cache DIR`, started
by bench/workspace.py with REFUGE_DATA_DIR (a fresh directory), DJANGO_SETTINGS_MODULE=
refuge.settings and, for PostgreSQL, DATABASE_URL.

1. The database: an organisation with a coordinator, CASEWORKERS caseworkers and N cases
   from bench/_workspace_data.py. Generating it takes minutes, so the result is kept in
   the cache directory (var/bench-cache/) and copied for each run: the SQLite file (with
   the data directory's secret files, which its blind-index keys and sessions need), or
   for PostgreSQL a pg_dump restored into the run's fresh database. The copy is brought
   up to date with `refuge init` (migrations) before use, so indexes added by later
   migrations are measured; a change of the models' columns or of GENERATOR_VERSION
   makes a new copy.
2. Over HTTP against `refuge serve` (its defaults: 2 workers × 4 threads): log in as the
   coordinator and as the busiest caseworker through the login form (Argon2id + TOTP),
   then GET every page of PAGES in turn, `iterations` rounds after WARM_UP, and check
   each answer (200, and the expected case in every search result).
3. The workers' memory (VmRSS, VmHWM from /proc).
4. In process, for each page: the SQL it runs (Django's test client with the queries
   captured), the slowest statements and their query plans, for the report.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench._login_child import memory_mib, worker_pids
from refuge.core.secrets_files import sibling_secrets_dir
from tests.support.http import LoopbackClient, Response
from tests.support.server import run_refuge, running_server

ORGANISATION = "bench"
CASEWORKERS = 40
WARM_UP = 3
# `refuge serve` defaults (REFUGE_WORKERS, REFUGE_THREADS): what an installation runs.
WORKERS = 2
THREADS = 4
CACHE_MAX_DAYS = 14
# Cases made through the real actions before the bulk path takes over.
SEEDED = 50
# The apps whose columns the generated rows fill: a change in them makes a new cache.
_APPS = ("accounts", "keyring", "intake", "relocation", "cases", "shelter", "audit")


class BenchError(RuntimeError):
    pass


def timezone_today() -> datetime.date:
    """Today in UTC (the installation's TIME_ZONE), without Django."""
    return datetime.datetime.now(datetime.UTC).date()


def say(message: str) -> None:
    print(f"  [workspace] {message}", flush=True)


def database_env() -> dict[str, str]:
    url = os.environ.get("DATABASE_URL")
    return {"DATABASE_URL": url} if url else {}


# --- the database: generated once, then copied ---------------------------------------------------


def schema_fingerprint() -> str:
    """The columns of every model the generator writes, with GENERATOR_VERSION (after django.setup())."""
    from django.apps import apps

    from bench._workspace_data import GENERATOR_VERSION

    parts = [f"generator {GENERATOR_VERSION}"]
    for label in _APPS:
        for model in sorted(apps.get_app_config(label).get_models(), key=lambda m: m._meta.db_table):
            columns = [f"{f.column}:{f.get_internal_type()}:{f.null}" for f in model._meta.concrete_fields]
            parts.append(f"{model._meta.db_table}({','.join(columns)})")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _fingerprint_in_subprocess(data_dir: Path) -> str:
    """The fingerprint computed by a process with this data directory's settings (Django not set up here)."""
    code = "import django; django.setup(); from bench._workspace_child import schema_fingerprint as f; print(f())"
    from tests.support.server import refuge_env

    env = refuge_env(data_dir, **database_env())
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return completed.stdout.strip().splitlines()[-1]


def _is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def prepare(data_dir: Path, cases: int, cache_root: Path) -> dict[str, Any]:
    """The generated organisation in this run's database; its accounts and probes (from the cache if it holds them)."""
    kind = "postgres" if _is_postgres() else "sqlite"
    cache = cache_root / f"workspace-{cases}" / kind
    meta_file = cache / "meta.json"
    if meta_file.exists():
        meta = json.loads(meta_file.read_text())
        age = (timezone_today() - datetime.date.fromisoformat(meta["generated_on"])).days
        if age <= CACHE_MAX_DAYS:
            started = time.monotonic()
            _restore(cache, data_dir, kind)
            if meta["fingerprint"] == _fingerprint_in_subprocess(data_dir):
                run_refuge(data_dir, "init", **database_env())  # new migrations (e.g. indexes) applied to the copy
                meta["restored_seconds"] = time.monotonic() - started
                meta["from_cache"] = True
                say(f"database restored from {cache} in {meta['restored_seconds']:.0f} s")
                return meta
            say("the cached database was made for other models or another generator: generating again")
            _reset(data_dir, kind)
        else:
            say(f"the cached database is {age} days old: generating again")
    run_refuge(data_dir, "init", **database_env())
    try:
        meta = _generate(data_dir, cases, SEEDED)
    except Exception as error:
        from django.db import connections
        from django.db.utils import NotSupportedError

        if not (_is_postgres() and isinstance(error, NotSupportedError)):
            raise
        # An action the seeded cases go through fails on this database (the report says
        # which): measure what the bulk path makes, and say so.
        say(f"the actions failed on PostgreSQL ({error}); generating with the bulk path only")
        connections.close_all()
        _reset(data_dir, kind)
        run_refuge(data_dir, "init", **database_env())
        meta = _generate(data_dir, cases, 0)
        meta["seeded_error"] = f"{type(error).__name__}: {error}"
    _store(cache, data_dir, kind, meta)
    meta["from_cache"] = False
    return meta


def _sqlite_file(data_dir: Path) -> Path:
    return data_dir / "refuge.sqlite3"


def _restore(cache: Path, data_dir: Path, kind: str) -> None:
    shutil.copytree(cache / "secrets", sibling_secrets_dir(data_dir), dirs_exist_ok=True)
    if kind == "sqlite":
        shutil.copyfile(cache / "refuge.sqlite3", _sqlite_file(data_dir))
    else:
        bin_dir = _pg_bin()
        subprocess.run(
            [
                str(bin_dir / "pg_restore"),
                "--no-owner",
                "--jobs",
                "2",
                "--dbname",
                _libpq_url(),
                str(cache / "db.dump"),
            ],
            check=True,
            capture_output=True,
            timeout=3600,
        )
        _analyse()


def _reset(data_dir: Path, kind: str) -> None:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(str(_sqlite_file(data_dir)) + suffix).unlink(missing_ok=True)
    else:
        import psycopg

        with psycopg.connect(_libpq_url(), autocommit=True) as connection:
            connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")


def _store(cache: Path, data_dir: Path, kind: str, meta: dict[str, Any]) -> None:
    """Keep what was generated, written to a temporary directory and renamed into place."""
    temporary = cache.with_name(cache.name + f".tmp-{os.getpid()}")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    os.chmod(temporary, 0o700)  # the bench accounts' password and TOTP secrets are in meta.json
    shutil.copytree(sibling_secrets_dir(data_dir), temporary / "secrets")
    if kind == "sqlite":
        import sqlite3

        with sqlite3.connect(_sqlite_file(data_dir)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(_sqlite_file(data_dir), temporary / "refuge.sqlite3")
    else:
        subprocess.run(
            [
                str(_pg_bin() / "pg_dump"),
                "--format",
                "custom",
                "--compress",
                "1",
                "--file",
                str(temporary / "db.dump"),
                _libpq_url(),
            ],
            check=True,
            capture_output=True,
            timeout=3600,
        )
    (temporary / "meta.json").write_text(json.dumps(meta))
    shutil.rmtree(cache, ignore_errors=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    temporary.rename(cache)


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _pg_bin() -> Path:
    from tests.postgres import find_bin_dir

    return find_bin_dir()


def _libpq_url() -> str:
    """DATABASE_URL as libpq takes it (postgresql://user@%2Fsocket:port/name)."""
    return os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)


def _analyse() -> None:
    """VACUUM ANALYZE after a bulk load, as autovacuum soon would (it vacuums after inserts too,
    PostgreSQL 13+): the planner needs the row counts, and index-only scans the visibility map."""
    import psycopg

    with psycopg.connect(_libpq_url(), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def _generate(data_dir: Path, cases: int, seeded: int) -> dict[str, Any]:
    """Create the organisation and its staff (production Argon2id), then the cases; return what to remember."""
    import django

    django.setup()
    from django.db import connections

    from bench._workspace_data import GENERATOR_VERSION, StaffMember, generate
    from refuge.accounts.actions.members import do_create_member
    from refuge.accounts.actions.organisation import do_create_organisation
    from refuge.accounts.models import Role

    password = secrets.token_urlsafe(24)
    started = time.monotonic()
    setup = do_create_organisation(
        name="Bench", slug=ORGANISATION, coordinator_username="coord", coordinator_password=password
    )
    coordinator = setup.coordinator
    enrolments = [
        do_create_member(
            actor=None, organisation=setup.organisation, username=f"cw{n:02d}", role=Role.CASEWORKER, password=password
        )
        for n in range(1, CASEWORKERS + 1)
    ]
    staff_seconds = time.monotonic() - started
    say(f"organisation and {CASEWORKERS + 1} accounts (production Argon2id) in {staff_seconds:.0f} s")
    staff = [StaffMember(e.user, e.private_key) for e in [coordinator, *enrolments]]
    load_before = _load()
    report = generate(setup.organisation, staff=staff, cases=cases, seeded=seeded, progress=say)
    load_after = _load()
    if _is_postgres():
        _analyse()
    connections.close_all()
    return {
        "generated_on": timezone_today().isoformat(),
        "generator_version": GENERATOR_VERSION,
        "fingerprint": schema_fingerprint(),
        "password": password,
        "totp": {e.user.username: e.totp_secret for e in [coordinator, *enrolments]},
        "coordinator": "coord",
        "staff_seconds": staff_seconds,
        # Other work on the machine stretches the generation: the 1-minute load before and after.
        "generation_load": [load_before, load_after],
        "generation_seconds": report.seconds,
        "seeded": report.seeded,
        "seeded_seconds": report.seeded_seconds,
        "cases": report.cases,
        "rows": report.rows,
        "probes": [asdict(p) for p in report.probes],
    }


# --- what is measured ------------------------------------------------------------------------------


@dataclass
class Page:
    """One page to measure: who asks, a path per round, and what the answer must contain."""

    name: str
    who: str  # "coordinator" | "caseworker"
    path: Callable[[int], str]
    expect: Callable[[int], str] | None = None
    samples: list[float] = field(default_factory=list)
    bytes: int = 0


def _q(**params: Any) -> str:
    return "/cases/?" + urllib.parse.urlencode(params)


def build_pages(meta: dict[str, Any], facts: dict[str, Any]) -> list[Page]:
    """The pages of the issue (#4): the case list unfiltered and with each filter, the searches, a deep page, home, a case."""
    from bench._workspace_data import Probe

    probes = [Probe(**p) for p in meta["probes"]]
    worker = facts["caseworker_id"]
    mine = [p for p in probes if worker in p.team_ids]
    named = [p for p in probes if p.name_latin]
    my_named = [p for p in mine if p.name_latin]
    documents = [p for p in probes if p.document_number]
    my_documents = [p for p in mine if p.document_number]
    if not (mine and named and my_named and documents and my_documents):
        raise BenchError("the generated organisation has too few probes for the searches")

    def cycle(values: list[Any]) -> Callable[[int], Any]:
        return lambda i: values[i % len(values)]

    stages = ["accepted", "sheltered", "documents", "applying", "travel", "arrived"]
    windows = facts["opened_windows"]
    pages = [
        Page("home page", "coordinator", lambda i: "/"),
        Page("case list, open cases (unfiltered)", "coordinator", lambda i: "/cases/"),
        Page("case list, all cases", "coordinator", lambda i: _q(stage="all")),
        Page("filter: stage (each open stage in turn)", "coordinator", lambda i: _q(stage=cycle(stages)(i))),
        Page("filter: stage = closed", "coordinator", lambda i: _q(stage="closed")),
        Page(
            "filter: priority (each in turn)",
            "coordinator",
            lambda i: _q(priority=cycle(["emergency", "urgent", "normal"])(i)),
        ),
        Page(
            "filter: team member (each caseworker in turn)",
            "coordinator",
            lambda i: _q(member=cycle(facts["caseworker_ids"])(i)),
        ),
        Page("filter: shelter (each in turn)", "coordinator", lambda i: _q(shelter=cycle(facts["shelter_ids"])(i))),
        Page("filter: pathway (each in turn)", "coordinator", lambda i: _q(pathway=cycle(facts["pathway_ids"])(i))),
        Page(
            "filter: opened between (90 days, all stages)",
            "coordinator",
            lambda i: _q(stage="all", opened_from=cycle(windows)(i)[0], opened_to=cycle(windows)(i)[1]),
        ),
        Page("filter: overdue tasks", "coordinator", lambda i: _q(overdue="on")),
        Page("filter: lost contact", "coordinator", lambda i: _q(lost_contact="on")),
        Page("filter: my cases", "coordinator", lambda i: _q(mine="on", stage="all")),
        Page("all cases, page 50+ deep", "coordinator", lambda i: _q(stage="all", page=50 + i)),
        Page(
            "search: pseudonym",
            "coordinator",
            lambda i: _q(stage="all", q=cycle(probes)(i).pseudonym),
            lambda i: cycle(probes)(i).reference,
        ),
        Page(
            "search: full name in Cyrillic, stored in Latin",
            "coordinator",
            lambda i: _q(stage="all", q=cycle(named)(i).name_cyrillic),
            lambda i: cycle(named)(i).reference,
        ),
        Page(
            "search: document number",
            "coordinator",
            lambda i: _q(stage="all", q=cycle(documents)(i).document_number),
            lambda i: cycle(documents)(i).reference,
        ),
        Page(
            "case page, not on the team (metadata)",
            "coordinator",
            lambda i: f"/cases/{cycle(facts['coordinator_outside'])(i)}/",
        ),
        Page("home page", "caseworker", lambda i: "/"),
        Page("case list, open cases (unfiltered)", "caseworker", lambda i: "/cases/"),
        Page("case list, all their cases", "caseworker", lambda i: _q(stage="all")),
        Page("filter: overdue tasks", "caseworker", lambda i: _q(overdue="on")),
        Page(
            "all their cases, page 50+ deep",
            "caseworker",
            lambda i: _q(stage="all", page=50 + i % max(1, facts["caseworker_pages"] - 50)),
        ),
        Page(
            "search: pseudonym",
            "caseworker",
            lambda i: _q(stage="all", q=cycle(mine)(i).pseudonym),
            lambda i: cycle(mine)(i).reference,
        ),
        Page(
            "search: full name in Cyrillic, stored in Latin",
            "caseworker",
            lambda i: _q(stage="all", q=cycle(my_named)(i).name_cyrillic),
            lambda i: cycle(my_named)(i).reference,
        ),
        Page(
            "search: document number",
            "caseworker",
            lambda i: _q(stage="all", q=cycle(my_documents)(i).document_number),
            lambda i: cycle(my_documents)(i).reference,
        ),
        Page(
            "case page, on the team (decrypted)",
            "caseworker",
            lambda i: f"/cases/{cycle(facts['caseworker_open'])(i)}/",
        ),
    ]
    return pages


def gather_facts(meta: dict[str, Any]) -> dict[str, Any]:
    """Ids the pages need, read from the database (after django.setup())."""
    from django.db.models import Count, Q

    from refuge.accounts.models import Role, User
    from refuge.cases.models import CLOSED_STAGES, Case, TeamMember
    from refuge.shelter.models import Shelter

    organisation_users = User.objects.filter(organisation__slug=ORGANISATION)
    coordinator = organisation_users.get(username=meta["coordinator"])
    # The busiest caseworker: on the most open cases.
    busiest = (
        organisation_users.filter(role=Role.CASEWORKER)
        .annotate(open_cases=Count("case_teams", filter=~Q(case_teams__case__stage__in=CLOSED_STAGES)))
        .order_by("-open_cases", "username")
        .first()
    )
    assert busiest is not None
    cases = Case.objects.filter(organisation=coordinator.organisation)
    theirs = cases.filter(team__user=busiest)
    open_theirs = list(
        theirs.exclude(stage__in=CLOSED_STAGES).order_by("due_on", "reference").values_list("pk", flat=True)[:50]
    )
    outside = list(
        cases.exclude(pk__in=TeamMember.objects.filter(user=coordinator).values("case_id"))
        .exclude(stage__in=CLOSED_STAGES)
        .order_by("reference")
        .values_list("pk", flat=True)[:50]
    )
    today = timezone_today()
    windows = []
    for years_back in range(8):
        end = today - datetime.timedelta(days=365 * years_back + 30)
        windows.append(((end - datetime.timedelta(days=90)).isoformat(), end.isoformat()))
    from refuge.cases.models import Person

    counts = {
        "cases": cases.count(),
        "people": Person.objects.filter(organisation=coordinator.organisation).count(),
        "open cases": cases.exclude(stage__in=CLOSED_STAGES).count(),
        "caseworker's cases": theirs.count(),
        "caseworker's open cases": theirs.exclude(stage__in=CLOSED_STAGES).count(),
    }
    return {
        "coordinator_id": str(coordinator.pk),
        "caseworker": busiest.username,
        "caseworker_id": str(busiest.pk),
        "caseworker_ids": [
            str(pk)
            for pk in organisation_users.filter(role=Role.CASEWORKER).order_by("username").values_list("pk", flat=True)
        ],
        "shelter_ids": [
            str(pk) for pk in Shelter.objects.filter(organisation=coordinator.organisation).values_list("pk", flat=True)
        ],
        "pathway_ids": sorted(set(cases.exclude(pathway=None).values_list("pathway_id", flat=True).distinct())),
        "opened_windows": windows,
        "caseworker_open": [str(pk) for pk in open_theirs],
        "coordinator_outside": [str(pk) for pk in outside],
        "caseworker_pages": counts["caseworker's cases"] // 50,
        "counts": counts,
    }


def allow_code_again(username: str) -> None:
    """Benchmark harness only: forget the last TOTP step, so the current code logs in again."""
    from refuge.accounts.models import User

    User.objects.filter(organisation__slug=ORGANISATION, username=username).update(totp_last_step=0)


def log_in(port: int, username: str, meta: dict[str, Any]) -> LoopbackClient:
    from refuge.accounts import totp

    allow_code_again(username)
    client = LoopbackClient("127.0.0.1", port, timeout=120)
    page = client.get("/login/")
    fields = {
        "organisation": ORGANISATION,
        "username": username,
        "password": meta["password"],
        "code": totp.code_at(meta["totp"][username]),
    }
    response = client.request("POST", "/login/", {"csrfmiddlewaretoken": page.csrf_token(), **fields})
    if response.status != 302:
        raise BenchError(f"login of {username} gave {response.status}: {response.text[:300]}")
    return client


def _check(page: Page, index: int, response: Response) -> None:
    if response.status != 200:
        raise BenchError(f"{page.who} {page.name}: GET {page.path(index)} gave {response.status}")
    if page.expect is not None and page.expect(index) not in response.text:
        raise BenchError(f"{page.who} {page.name}: GET {page.path(index)} did not list case {page.expect(index)}")


def http(data_dir: Path, meta: dict[str, Any], facts: dict[str, Any], iterations: int) -> dict[str, Any]:
    pages = build_pages(meta, facts)
    extra = {"REFUGE_THREADS": str(THREADS), **database_env()}
    with running_server(data_dir, workers=WORKERS, **extra) as server:
        start = time.perf_counter()
        LoopbackClient("127.0.0.1", server.port, timeout=120).get("/login/")
        first_page = time.perf_counter() - start
        time.sleep(1.0)  # both workers up
        workers = worker_pids(server.process.pid)
        clients = {
            "coordinator": log_in(server.port, meta["coordinator"], meta),
            "caseworker": log_in(server.port, facts["caseworker"], meta),
        }
        idle = {pid: memory_mib(pid) for pid in workers}
        started = time.monotonic()
        for index in range(WARM_UP + iterations):
            for page in pages:
                client = clients[page.who]
                path = page.path(index)
                begin = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - begin
                _check(page, index, response)
                if index >= WARM_UP:
                    page.samples.append(elapsed)
                    page.bytes = max(page.bytes, len(response.body))
            if index % 10 == 0:
                say(f"round {index + 1} of {WARM_UP + iterations} ({time.monotonic() - started:.0f} s)")
        after = {pid: memory_mib(pid) for pid in workers}
        master = memory_mib(server.process.pid)
        if worker_pids(server.process.pid) != workers:
            raise BenchError("a gunicorn worker was replaced during the benchmark")
    return {
        "first_page": first_page,
        "pages": [{"name": p.name, "who": p.who, "samples": p.samples, "bytes": p.bytes} for p in pages],
        "memory": {
            "idle": [idle[pid] for pid in workers],
            "after": [after[pid] for pid in workers],
            "master": master,
        },
        "seconds": time.monotonic() - started,
    }


# --- in process: which statements each page runs ---------------------------------------------------


class _Recorder:
    """Every statement a request runs, with its parameters and how long the database took."""

    def __init__(self) -> None:
        self.statements: list[tuple[float, str, Any]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        begin = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if not many:
                self.statements.append((time.perf_counter() - begin, sql, params))


def profile(meta: dict[str, Any], facts: dict[str, Any], rounds: int = 3) -> list[dict[str, Any]]:
    """Each page through Django's test client with its SQL recorded: time, statements, the slowest and its plan."""
    from django.db import connection
    from django.test import Client

    from refuge.accounts import totp

    pages = build_pages(meta, facts)
    clients = {}
    for who, username in (("coordinator", meta["coordinator"]), ("caseworker", facts["caseworker"])):
        allow_code_again(username)
        client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=False)
        response = client.post(
            "/login/",
            {
                "organisation": ORGANISATION,
                "username": username,
                "password": meta["password"],
                "code": totp.code_at(meta["totp"][username]),
            },
            secure=True,
        )
        if response.status_code != 302:
            raise BenchError(f"in-process login of {username} gave {response.status_code}")
        clients[who] = client
    found = []
    for page in pages:
        best: tuple[float, list[tuple[float, str, Any]]] | None = None
        for index in range(rounds):
            recorder = _Recorder()
            with connection.execute_wrapper(recorder):
                begin = time.perf_counter()
                response = clients[page.who].get(page.path(WARM_UP + index), secure=True)
                elapsed = time.perf_counter() - begin
            if response.status_code != 200:
                raise BenchError(f"in process, {page.name} gave {response.status_code}")
            if best is None or elapsed < best[0]:
                best = (elapsed, recorder.statements)
        assert best is not None
        elapsed, statements = best
        ranked = sorted(statements, key=lambda s: -s[0])
        found.append(
            {
                "name": page.name,
                "who": page.who,
                "seconds": elapsed,
                "queries": len(statements),
                "sql_seconds": sum(s[0] for s in statements),
                "slowest": [{"seconds": s, "sql": sql} for s, sql, _params in ranked[:3]],
                # The plan of the statement as it ran: with its bound parameters, not with the
                # values spliced in (SQLite plans a literal differently, e.g. for partial indexes).
                "plan": _plan(ranked[0][1], ranked[0][2]) if ranked and ranked[0][0] >= 0.02 else "",
            }
        )
    return found


def _plan(sql: str, params: Any) -> str:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    try:
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql, params)
            rows = cursor.fetchall()
    except Exception as error:  # noqa: BLE001 - a diagnostic, never a reason to lose the measurements
        return f"(no plan: {type(error).__name__})"
    if connection.vendor == "sqlite":
        return "\n".join(f"{row[0]} {row[1]} {row[3]}" for row in rows)
    return "\n".join(str(row[0]) for row in rows)


def _database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        else:
            cursor.execute("SELECT 'PostgreSQL ' || current_setting('server_version')")
        return str(cursor.fetchone()[0])


def _database_size(data_dir: Path) -> float:
    from django.db import connection

    if connection.vendor == "sqlite":
        return _sqlite_file(data_dir).stat().st_size / 1024 / 1024
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0]) / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    data_dir = Path(os.environ["REFUGE_DATA_DIR"])
    meta = prepare(data_dir, args.cases, args.cache)

    import django

    django.setup()
    from django.db import connections

    facts = gather_facts(meta)
    database = _database_version()
    size = _database_size(data_dir)
    connections.close_all()
    measured = http(data_dir, meta, facts, args.iterations)
    profiled = [] if args.no_profile else profile(meta, facts)
    generation = {
        k: meta.get(k)
        for k in (
            "generated_on",
            "generator_version",
            "staff_seconds",
            "generation_seconds",
            "seeded",
            "seeded_seconds",
            "cases",
            "rows",
            "from_cache",
            "restored_seconds",
            "generation_load",
            "seeded_error",
        )
    }
    output = {
        "database": database,
        "database_mib": size,
        "generation": generation,
        "facts": {k: facts[k] for k in ("caseworker", "counts")},
        "http": measured,
        "profile": profiled,
    }
    args.output.write_text(json.dumps(output))


if __name__ == "__main__":
    sys.exit(main())
