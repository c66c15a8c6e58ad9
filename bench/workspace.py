"""Issue #4 / DESIGN.md §7: "Caseworker: case list, filters and search over 100,000 cases: p95 < 150 ms."

With 100,000 cases and about 300,000 people in the database, made by
bench/_workspace_data.py (the first cases through the real actions, the rest by its
documented bulk path, which writes rows of the same shape: tests/bench/), a child
process with production settings (bench/_workspace_child.py) serves the workspace with
`refuge serve` (2 workers × 4 threads, its defaults) and measures over HTTP, as the
coordinator and as the busiest caseworker logged in through the login form:

- the case list unfiltered, all cases, and with each filter (stage, priority, team
  member, shelter, pathway, opened between, overdue tasks, lost contact, mine);
- search by pseudonym, by full name typed in Cyrillic for a name stored in Latin
  letters (blind index), by document number; a page 50+ deep;
- the home page ("what needs me today") and one case page;
- each worker's memory (VmHWM: the peak resident set) after the run.

Then, in the same child, each page once more through Django's test client with its SQL
captured: the statements it runs, the slowest ones and their query plans.

The generated database is cached under var/bench-cache/ (see bench/_workspace_child.py);
REFUGE_BENCH_WORKSPACE_CASES=N makes a smaller one for a quick try (the check on the
database size then fails: only 100,000 counts).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import _machine
from bench._results import BenchOptions, BenchResult, Check, Row, Table

NAME = "workspace"
TITLE = "Case list, filters, search and home page over 100,000 cases"
TARGET = (
    "Caseworker: case list, filters and search over 100,000 cases: p95 < 150 ms (issue #4: also the home page; "
    "memory < 150 MB per app process)."
)
ITERATIONS = 40
LIMIT_MS = 150.0
LIMIT_MIB = 150e6 / (1024 * 1024)
CASES = 100_000
PEOPLE = 300_000
ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench-cache"
CASES_ENV = "REFUGE_BENCH_WORKSPACE_CASES"


def run(options: BenchOptions) -> BenchResult:
    iterations = options.iterations or ITERATIONS
    cases = int(os.environ.get(CASES_ENV, CASES))
    result = BenchResult(NAME, TITLE, TARGET, options.command, environment=_machine.one_line(), date=_machine.now())
    started = time.monotonic()
    code = _code_measured()
    for target in options.databases:
        data = _measure(target.fresh_url(), cases, iterations)
        tables, checks, notes = _report(target.label, target.detail, data, iterations)
        result.tables += tables
        result.checks += checks
        result.notes += notes
    if len(options.databases) == 1:
        result.notes.append(
            "SQLite only: add `--postgres` (a throwaway cluster, as in `make test-pg`) or set "
            "REFUGE_BENCH_DATABASE_URL to measure PostgreSQL too."
        )
    result.notes.insert(0, f"Code measured: {code} (others may change the code while a run lasts: compare).")
    result.notes += [
        "Each page is requested once per round, all pages in turn, "
        f"{iterations} rounds after 3 warm-up rounds; filters and searches cycle through their values "
        "(each stage, priority, caseworker, shelter, pathway, a different person searched each time) so that "
        "no answer is the same query repeated. Every answer is checked: 200, and the searched case listed.",
        "Pass/miss: each page on its p95; memory on each worker's peak resident set (VmHWM) after all the pages.",
        "The caseworker is the one on the most open cases. Searches run over all cases (stage=all), as a "
        "search for a person must; the list's default is open cases only.",
        "Logins go through the login form (Argon2id at production cost, TOTP); `User.totp_last_step` is reset "
        "before each (untimed; a benchmark-only shortcut around replay protection).",
        "Client and server share the same 2 cores; the client is a small http.client loop, one request at a time.",
        "Data: bench/_workspace_data.py (its docstring says what the bulk path skips: audit entries, request "
        "messages, documents, expenses). ~92 % of cases closed or declined, ~8 % open; 40 caseworkers, a lead "
        "on each case plus a second member on ~35 %; the coordinator sees every case and is on ~3 % of teams. "
        "Encryption overhead (case pages within 1.3× of the same flow without encryption) is not measured here.",
    ]
    result.seconds = time.monotonic() - started
    return result


def _code_measured() -> str:
    """The commit the run started from, and whether refuge/ had changes not committed yet (read-only git)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "refuge"], cwd=ROOT, capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return f"commit {commit}" + (" with uncommitted changes in refuge/" if changed else "")


def _measure(database_url: str | None, cases: int, iterations: int) -> dict[str, Any]:
    from tests.support.server import refuge_env

    # The secrets go beside the data directory (var-secrets/): both inside one scratch directory.
    data_dir = Path(tempfile.mkdtemp(prefix="refuge-bench-workspace-")) / "var"
    data_dir.mkdir(mode=0o700)
    try:
        output = data_dir / "measured.json"
        env = refuge_env(data_dir, **({"DATABASE_URL": database_url} if database_url else {}))
        command = [
            sys.executable, "-m", "bench._workspace_child", "--cases", str(cases), "--iterations", str(iterations),
            "--output", str(output), "--cache", str(CACHE),
        ]  # fmt: skip
        completed = subprocess.run(command, cwd=ROOT, env=env, text=True, timeout=4 * 3600, check=False)
        if completed.returncode != 0:
            log = data_dir / "server.log"
            server_log = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"the workspace benchmark failed (exit {completed.returncode}):\n{server_log}")
        data: dict[str, Any] = json.loads(output.read_text())
        return data
    finally:
        shutil.rmtree(data_dir.parent, ignore_errors=True)


def _report(
    label: str, detail: str, data: dict[str, Any], iterations: int
) -> tuple[list[Table], list[Check], list[str]]:
    generation = data["generation"]
    rows = generation["rows"] or {}
    counts = data["facts"]["counts"]
    people = counts["people"]
    tables: list[Table] = []
    checks: list[Check] = []
    data_rows = [
        Row.reading("database size", data["database_mib"], "MiB"),
        Row.reading(
            "generation, all of it (41 accounts at production Argon2id, then the cases)",
            generation["staff_seconds"] + generation["generation_seconds"],
            "s",
        ),
        Row.reading(f"of which {generation['seeded']} cases through the actions", generation["seeded_seconds"], "s"),
    ]
    if generation.get("from_cache"):
        data_rows.append(Row.reading("this run: restoring the cached database", generation["restored_seconds"], "s"))
    data_table = Table(f"{label}: the organisation measured", data_rows)
    theirs, their_open = counts["caseworker's cases"], counts["caseworker's open cases"]
    data_table.notes.append(
        f"{counts['cases']:,} cases ({counts['open cases']:,} open), {people:,} people; the caseworker measured "
        f"({data['facts']['caseworker']}) is on {theirs:,} cases, {their_open:,} of them open. Generated on "
        f"{generation['generated_on']} (generator v{generation['generator_version']})"
        + (", restored from the cache for this run." if generation.get("from_cache") else ", for this run.")
    )
    load = generation.get("generation_load")
    data_table.notes.append(
        f"The generation ran with a 1-minute load average of {load[0]:.1f} before and {load[1]:.1f} after it "
        "(2 cores: above 2, other work was slowing it)."
        if load
        else "The load on the machine while it was generated was not recorded."
    )
    data_table.notes.append(
        "Bulk rows: " + ", ".join(f"{name} {count:,}" for name, count in sorted(rows.items())) + "."
    )
    data_table.notes.append(f"Database: {data['database']}, {detail}.")
    tables.append(data_table)
    checks.append(
        Check(
            f"{label}: database of {CASES:,} cases and ~{PEOPLE:,} people",
            f"{counts['cases']:,} cases, ~{people:,} people",
            counts["cases"] >= CASES and people >= PEOPLE * 0.95,
        )
    )
    if generation.get("seeded_error"):
        checks.append(
            Check(
                f"{label}: the first cases made through the real actions",
                f"failed: {generation['seeded_error']}; the data is the bulk path's alone",
                False,
            )
        )
    # The pages.
    profiles = {(p["who"], p["name"]): p for p in data.get("profile", [])}
    for who in ("coordinator", "caseworker"):
        table = Table(
            f"{label}: as the {who}, over HTTP, `refuge serve` 2 workers × 4 threads, {iterations} requests per page",
            [],
        )
        for page in data["http"]["pages"]:
            if page["who"] != who:
                continue
            row = Row.timings(page["name"], page["samples"])
            table.rows.append(row)
            checks.append(
                Check(
                    f"{label}, {who}: {page['name']}: p95 < {LIMIT_MS:.0f} ms",
                    f"median {row.median:.0f} ms, p95 {row.p95:.0f} ms",
                    (row.p95 or row.median) < LIMIT_MS,
                )
            )
        tables.append(table)
    memory = data["http"]["memory"]
    peaks = [m["VmHWM"] for m in memory["after"]]
    memory_rows = []
    for number, (idle, after) in enumerate(zip(memory["idle"], memory["after"], strict=True), start=1):
        memory_rows += [
            Row.reading(f"worker {number}: resident after login, before the pages (VmRSS)", idle["VmRSS"], "MiB"),
            Row.reading(f"worker {number}: resident after all the pages (VmRSS)", after["VmRSS"], "MiB"),
            Row.reading(f"worker {number}: peak (VmHWM)", after["VmHWM"], "MiB"),
        ]
    memory_rows.append(Row.reading("gunicorn master (VmRSS)", memory["master"]["VmRSS"], "MiB"))
    tables.append(Table(f"{label}: memory of the gunicorn processes (MiB, from /proc/<pid>/status)", memory_rows))
    checks.append(
        Check(
            f"{label}: each worker's peak < 150 MB",
            ", ".join(f"{peak:.0f} MiB ({peak * 1024 * 1024 / 1e6:.0f} MB)" for peak in peaks),
            max(peaks) < LIMIT_MIB,
        )
    )
    # Where the time goes.
    if profiles:
        profile_rows = [
            Row.reading(
                f"{p['who']}: {p['name']} — {p['queries']} statements; the whole page {p['seconds'] * 1000:.0f} ms",
                p["sql_seconds"] * 1000,
                "ms",
            )
            for p in profiles.values()
        ]
        profile_table = Table(
            f"{label}: time in the database per page, in process (Django test client, best of 3 requests)",
            profile_rows,
        )
        slow = sorted(profiles.values(), key=lambda p: -p["slowest"][0]["seconds"] if p["slowest"] else 0)
        for p in slow[:10]:
            if not p["slowest"] or p["slowest"][0]["seconds"] < 0.02:
                continue
            statement = p["slowest"][0]
            sql = _short_sql(statement["sql"])
            plan = " / ".join(line.strip() for line in p["plan"].splitlines() if line.strip())
            profile_table.notes.append(
                f"{p['who']}, {p['name']}: slowest statement {statement['seconds'] * 1000:.0f} ms: `{sql}` — "
                f"plan (with its bound parameters): `{plan[:900]}`"
            )
        tables.append(profile_table)
    notes = [
        f"{label}: the server answered its first page {data['http']['first_page'] * 1000:.0f} ms after it started."
    ]
    return tables, checks, notes


_COLUMNS = re.compile(r'^(SELECT (?:DISTINCT )?)((?:"\w+"\."\w+"(?: AS "\w+")?, )+"\w+"\."\w+"(?: AS "\w+")?) FROM')


def _short_sql(sql: str) -> str:
    """A statement with its column lists shortened to a count, so the clauses that matter fit."""
    sql = " ".join(sql.split())

    def columns(match: re.Match[str]) -> str:
        return f"{match.group(1)}<{match.group(2).count(', ') + 1} columns> FROM"

    sql = _COLUMNS.sub(columns, sql)
    sql = re.sub(
        r'\(SELECT (DISTINCT )?(?:"\w+"\."\w+" AS "\w+", )+"\w+"\."\w+" AS "\w+" FROM', r"(SELECT \1<columns> FROM", sql
    )
    sql = re.sub(r"(%s, ){3,}%s", "%s, …", sql)
    return sql if len(sql) <= 1200 else sql[:1200] + " …"
