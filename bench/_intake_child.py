"""The measuring half of bench/intake.py, run in its own process for one flow on one database.

`python -m bench._intake_child --flow encrypted|baseline --seconds N --output FILE`,
started by bench/intake.py with REFUGE_DATA_DIR (a fresh directory), the flow's
DJANGO_SETTINGS_MODULE (refuge.settings, or bench.baseline_settings for the flow with
encryption switched off), PYTHONPATH (the repository, so `refuge serve` finds the
benchmark build) and, for PostgreSQL, DATABASE_URL (a fresh database).

It creates an organisation with the `refuge` command, then for each server
configuration starts `refuge serve` and lets 1, 16 or 64 submitters
(tests/support/load.py) send the request form for N seconds after a warm-up,
reading the CPU time of the client, the server and the database from /proc.
Then it profiles submissions in this process (cProfile, through Django's whole
request stack, on the same database), once on a quiet server and once while 64
submitters load it, and checks every acknowledged receipt against the database.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._login_child import worker_pids
from tests.support.load import (
    Sent,
    form_fields,
    multipart_body,
    requester_answers,
    run_load,
    verify_stored,
)
from tests.support.server import ServerProcess, run_refuge, running_server

ORGANISATION = "bench"
ROOT = Path(__file__).resolve().parent.parent
# (workers, threads); the first is `refuge serve`'s default (REFUGE_WORKERS=2, REFUGE_THREADS=4).
# Fewer threads per worker are tried too: a thread that holds the database's write lock
# (SQLite) or the audit head's row lock (PostgreSQL) competes for its process's GIL with
# the other threads, and everyone waiting for the lock waits for that as well.
CONFIGS = [(2, 4), (2, 2), (4, 1), (3, 8), (4, 4)]
DEFAULT_CONFIG = CONFIGS[0]
TARGET_CLIENTS = 64
# The default configuration runs 1, 16 and 64 submitters; the others the target's 64 only.
DEFAULT_CLIENTS = [1, 16, TARGET_CLIENTS]
WARM_UP = 3.0
PATHS = {"encrypted": f"/r/{ORGANISATION}/ask/", "baseline": f"/bench/{ORGANISATION}/ask/"}
# The per-process flood brake (REFUGE_SUBMISSIONS_PER_MINUTE) stays at its default: 250/s in
# any one worker, the target itself, so the benchmark measures the server as shipped.
SERVER_ENV: dict[str, str] = {}
PROFILE_QUIET = 100
PROFILE_LOADED_SECONDS = 15.0
VERIFY_SAMPLE = 20
TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    pass


def database_env() -> dict[str, str]:
    url = os.environ.get("DATABASE_URL")
    return {"DATABASE_URL": url} if url else {}


def set_up(data_dir: Path, flow: str) -> None:
    """`refuge init` (secrets, tables), the baseline's table if needed, and an organisation."""
    run_refuge(data_dir, "init", **database_env())
    if flow == "baseline":
        run_refuge(
            data_dir, "manage", "migrate", "bench_baseline", "--no-input",
            DJANGO_SETTINGS_MODULE="bench.baseline_settings", **database_env(),
        )  # fmt: skip
    password_file = data_dir / "bench-password"
    password_file.write_text(os.urandom(18).hex() + "\n")
    run_refuge(
        data_dir, "createorg", "--name", "Bench", "--slug", ORGANISATION, "--coordinator", "coord",
        "--password-file", str(password_file), **database_env(),
    )  # fmt: skip
    password_file.unlink()


# --- CPU time from /proc ------------------------------------------------------------------------


def _cpu_fields(pid: int) -> list[int]:
    # The command name (2nd field) is in parentheses and may hold spaces; fields[11:15] are
    # utime, stime, cutime, cstime in clock ticks.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return [int(value) for value in fields[11:15]]


def tree_cpu_seconds(root: int, children: list[int]) -> float:
    """CPU time of a master and its live children, plus children it has reaped (e.g. restarted workers)."""
    total = sum(_cpu_fields(root))
    for pid in children:
        try:
            total += sum(_cpu_fields(pid)[:2])
        except (OSError, IndexError):
            continue  # exited between the listing and the reading: its time is in the master's cutime
    return total / TICKS


def machine_jiffies() -> tuple[int, int]:
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


def postmaster_pid() -> int | None:
    """The PostgreSQL server's main process, when the database is PostgreSQL (and on this machine)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data_directory = Path(cursor.fetchone()[0])
    connection.close()
    try:
        return int((data_directory / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class CpuReading:
    busy: int
    total: int
    server: float
    database: float

    @classmethod
    def now(cls, server: ServerProcess, postmaster: int | None) -> CpuReading:
        busy, total = machine_jiffies()
        master = server.process.pid
        server_cpu = tree_cpu_seconds(master, worker_pids(master))
        database = tree_cpu_seconds(postmaster, worker_pids(postmaster)) if postmaster else 0.0
        return cls(busy, total, server_cpu, database)


# --- load runs ---------------------------------------------------------------------------------


def measure(server: ServerProcess, path: str, clients: int, seconds: float, sent: list[Sent]) -> dict[str, Any]:
    """One load run: latencies, throughput, errors and who used the CPU."""
    postmaster = postmaster_pid()
    workers_before = worker_pids(server.process.pid)
    before = CpuReading.now(server, postmaster)
    report = run_load(server.port, path, clients=clients, seconds=seconds, warm_up=WARM_UP)
    after = CpuReading.now(server, postmaster)
    sent.extend(report.sent)
    restarted = len(set(workers_before) - set(worker_pids(server.process.pid)))
    wall = report.wall_seconds
    return {
        "clients": clients,
        "seconds": seconds,
        "per_second": report.per_second,
        "post": report.post_seconds,
        "get": report.get_seconds,
        "acknowledged": len(report.sent),
        "errors": dict(report.errors),
        "examples": report.examples,
        "retries": report.retries,
        "workers_restarted": restarted,
        "wall": wall,
        "cpu": {
            "machine_busy": (after.busy - before.busy) / max(1, after.total - before.total),
            "client": report.client_cpu_seconds,
            "server": after.server - before.server,
            "database": after.database - before.database,
        },
    }


def warm(server: ServerProcess, path: str, sent: list[Sent]) -> None:
    """A few submissions, so each worker has loaded the application before anything is timed."""
    report = run_load(server.port, path, clients=8, seconds=2.0)
    sent.extend(report.sent)
    if report.error_count:
        raise BenchError(f"the server failed while warming up:\n{report.describe_errors()}")


def server_env(flow: str, threads: int) -> dict[str, str]:
    env = {"REFUGE_THREADS": str(threads), **SERVER_ENV, **database_env()}
    if flow == "baseline":
        env["DJANGO_SETTINGS_MODULE"] = "bench.baseline_settings"
    return env


def load_runs(data_dir: Path, flow: str, seconds: float, sent: list[Sent]) -> list[dict[str, Any]]:
    path = PATHS[flow]
    runs = []
    for workers, threads in CONFIGS:
        with running_server(data_dir, workers=workers, **server_env(flow, threads)) as server:
            warm(server, path, sent)
            counts = DEFAULT_CLIENTS if (workers, threads) == DEFAULT_CONFIG else [TARGET_CLIENTS]
            for clients in counts:
                run = measure(server, path, clients, seconds, sent)
                run.update(workers=workers, threads=threads)
                runs.append(run)
                print(
                    f"  {flow} {workers}×{threads} {clients:>2} clients: {run['per_second']:.0f}/s, "
                    f"POST median {statistics.median(run['post']) * 1000:.0f} ms, {sum(run['errors'].values())} errors",
                    flush=True,
                )
    return runs


# --- profile -------------------------------------------------------------------------------------


# Where each flow's view finds its action: replaced for a while by a timing wrapper.
ACTIONS = {
    "encrypted": ("refuge.requester.views.ask", "do_send_request"),
    "baseline": ("bench.baseline_app.views", "do_send_plain_request"),
}


# The encrypted action's work before its transaction, subtracted to time the transaction alone.
PREPARE = ("refuge.requester.actions", "prepare_submission")


@contextmanager
def timed_action(flow: str, seconds: list[float]) -> Iterator[None]:
    """Time every call of the flow's transaction (the action less its preparation) without a profiler."""
    module_name, name = ACTIONS[flow]
    module = importlib.import_module(module_name)
    action = getattr(module, name)
    prepare_module = importlib.import_module(PREPARE[0])
    prepare = getattr(prepare_module, PREPARE[1])
    prepared: list[float] = []

    def timed_prepare(**kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return prepare(**kwargs)
        finally:
            prepared.append(time.perf_counter() - start)

    def timed(**kwargs: Any) -> Any:
        prepared.clear()
        start = time.perf_counter()
        try:
            return action(**kwargs)
        finally:
            seconds.append(time.perf_counter() - start - sum(prepared))

    setattr(module, name, timed)
    setattr(prepare_module, PREPARE[1], timed_prepare)
    try:
        yield
    finally:
        setattr(module, name, action)
        setattr(prepare_module, PREPARE[1], prepare)


def profile(flow: str, path: str, *, count: int | None, seconds: float | None) -> tuple[dict[str, Any], list[Sent]]:
    """Submissions made in this process through Django's whole stack, every other one under cProfile.

    The unprofiled half gives true times (GET, POST and the action's transaction), the
    profiled half where the time goes (ms per submission).
    """
    from django.test import Client

    profiler = cProfile.Profile()
    rng = random.Random(f"profile-{flow}-{time.time()}")
    sent: list[Sent] = []
    times: dict[str, list[float]] = {"get": [], "post": [], "action": [], "profiled_post": []}
    deadline = time.monotonic() + (seconds or 1e9)
    while (count is None or len(sent) < 2 * count) and time.monotonic() < deadline:
        profiled = len(sent) % 2 == 1
        client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="en")
        start = time.perf_counter()
        page = client.get(path).content.decode()
        times["get"].append(time.perf_counter() - start)
        fields = [
            ("csrfmiddlewaretoken", _value(page, "csrfmiddlewaretoken")),
            ("form_token", _value(page, "form_token")),
        ]
        answers, urgency = requester_answers(rng, f"profile-{len(sent)}")
        body = multipart_body(fields + form_fields(answers, urgency), "profile")
        with ExitStack() as stack:
            if profiled:
                stack.callback(profiler.disable)
                profiler.enable()
            else:
                stack.enter_context(timed_action(flow, times["action"]))
            start = time.perf_counter()
            response = client.generic(
                "POST", path, body, content_type="multipart/form-data; boundary=profile",
                HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin",
            )  # fmt: skip
            times["profiled_post" if profiled else "post"].append(time.perf_counter() - start)
        receipt = _receipt(response.content.decode())
        if response.status_code != 200 or receipt is None:
            raise BenchError(f"an in-process submission was answered {response.status_code}")
        sent.append(Sent(receipt, answers, urgency))
    measured = breakdown(pstats.Stats(profiler), times["profiled_post"], flow)
    for name, samples in times.items():
        measured[f"{name}_median_ms"] = statistics.median(samples) * 1000 if samples else 0.0
    return measured, sent


def _value(page: str, name: str) -> str:
    marker = f'name="{name}" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def _receipt(page: str) -> str | None:
    import re

    groups = re.findall(r'<span class="receipt__group">([0-9A-Z]{4})</span>', page)
    return "-".join(groups) if len(groups) == 5 else None


def breakdown(stats: pstats.Stats, walls: list[float], flow: str) -> dict[str, Any]:
    """Milliseconds per submission: nested sections by cumulative time, and self time by kind."""
    entries: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    count = len(walls)

    def cumulative(file_end: str, *names: str) -> float:
        return sum(entry[3] for (file, _, name), entry in entries.items() if file.endswith(file_end) and name in names)

    def called_from(name: str, caller_end: str, caller: str) -> float:
        """Cumulative time of Django's QuerySet.<name> when called by one function of ours."""
        return sum(
            timing[3]
            for (file, _, function), entry in entries.items()
            if file.endswith("django/db/models/query.py") and function == name
            for (caller_file, _, caller_name), timing in entry[4].items()
            if caller_file.endswith(caller_end) and caller_name == caller
        )

    prepare = cumulative("refuge/intake/actions/submissions.py", "prepare_submission")
    write = (
        cumulative("refuge/requester/actions.py", "do_send_request") - prepare
        if flow == "encrypted"
        else cumulative("bench/baseline_app/actions.py", "do_send_plain_request")
    )
    begin = cumulative("django/db/backends/sqlite3/base.py", "_start_transaction_under_autocommit")
    sections = {
        "whole": sum(walls),
        "write": write,
        "form_token": cumulative("refuge/requester/actions.py", "_spend_form_token"),
        "begin": begin,
        "commit": cumulative("django/db/backends/base/base.py", "_commit"),
        "connect": cumulative("django/db/backends/base/base.py", "connect"),
        "statements": cumulative("django/db/backends/utils.py", "_execute", "_executemany") - begin,
        "audit": cumulative("refuge/audit/actions.py", "record"),
        # SELECT … FOR UPDATE: on PostgreSQL these wait for every other submission's transaction.
        "audit_lock": called_from("get_or_create", "refuge/audit/actions.py", "record"),
        "prepare": prepare,
        "organisation_lock": cumulative("refuge/keyring/records.py", "do_ensure_blind_index_key"),
        "receipt": cumulative("refuge/crypto/receipts.py", "derive_receipt_secrets"),
        "keys": cumulative("refuge/keyring/records.py", "intake_keys"),
        "blind_indexes": cumulative("refuge/crypto/blind.py", "blind_index"),
        "record_key": cumulative("refuge/keyring/actions.py", "prepare_key"),
        "store_key": cumulative("refuge/keyring/actions.py", "do_store_key"),
        "encrypt_content": cumulative("refuge/keyring/registry.py", "encrypt_column"),
        "form": cumulative("django/forms/forms.py", "full_clean"),
        "render": cumulative("refuge/requester/views/pages.py", "render_receipt"),
    }
    kinds = dict.fromkeys(
        ["argon2", "sealed_box", "keypair", "aead", "other_crypto", "hashlib", "driver", "django", "refuge", "other"],
        0.0,
    )
    for (file, _, name), entry in entries.items():
        kinds[_kind(file, name)] += entry[2]
    result = {f"section:{key}": value * 1000 / count for key, value in sections.items()}
    result.update({f"self:{key}": value * 1000 / count for key, value in kinds.items()})
    result["count"] = count
    return result


def _kind(file: str, name: str) -> str:
    """What a function's own time is spent on."""
    if "crypto_pwhash" in name:
        return "argon2"
    if "crypto_box_seal" in name:
        return "sealed_box"
    if "scalarmult" in name or "keypair" in name:
        return "keypair"
    if "crypto_aead" in name:
        return "aead"
    if "/refuge/crypto/" in file or "/nacl/" in file or "_sodium" in name or "crypto_" in name:
        return "other_crypto"
    if "_hashlib" in name or "_blake2" in name or file.endswith(("/hmac.py", "/hashlib.py")):
        return "hashlib"
    if "sqlite" in name.lower() or "/psycopg" in file or "psycopg" in name:
        return "driver"
    if "/django/" in file:
        return "django"
    if "/refuge/" in file or "/bench/" in file:
        return "refuge"
    return "other"


def profiles(data_dir: Path, flow: str, sent: list[Sent]) -> dict[str, Any]:
    """In-process profiles on a quiet server, then while 64 submitters load `refuge serve`."""
    path = PATHS[flow]
    quiet, quiet_sent = profile(flow, path, count=PROFILE_QUIET, seconds=None)
    sent.extend(quiet_sent)
    workers, threads = DEFAULT_CONFIG
    with running_server(data_dir, workers=workers, **server_env(flow, threads)) as server:
        warm(server, path, sent)
        outcome_file = data_dir / "background-load.json"
        load_seconds = PROFILE_LOADED_SECONDS + 2 * WARM_UP
        load = subprocess.Popen(
            [sys.executable, "-m", "tests.support.load", "load", str(server.port), path, str(TARGET_CLIENTS),
             str(load_seconds), str(outcome_file)],
            cwd=ROOT,
        )  # fmt: skip
        try:
            time.sleep(WARM_UP)
            loaded, loaded_sent = profile(flow, path, count=None, seconds=PROFILE_LOADED_SECONDS)
            sent.extend(loaded_sent)
            if load.wait(timeout=load_seconds + 120) != 0:
                raise BenchError("the background load of the profile failed")
            outcome = json.loads(outcome_file.read_text(encoding="utf-8"))
        finally:
            if load.poll() is None:
                load.kill()
            outcome_file.unlink(missing_ok=True)
    sent.extend(Sent(**item) for item in outcome["sent"])
    loaded["background_errors"] = outcome["errors"]
    loaded["background_examples"] = outcome["examples"]
    return {"quiet": quiet, "loaded": loaded}


# --- checks --------------------------------------------------------------------------------------


def verify(flow: str, sent: list[Sent]) -> dict[str, Any]:
    """Every acknowledged submission is stored, and nothing else is."""
    if flow == "encrypted":
        return verify_stored(sent, VERIFY_SAMPLE)
    from bench.baseline_app.models import PlainRequest

    receipts = {item.receipt for item in sent}
    stored = set(PlainRequest.objects.values_list("receipt", flat=True))
    return {
        "acknowledged": len(sent),
        "distinct_receipts": len(receipts),
        "stored": len(stored),
        "missing": len(receipts - stored),
        "unacknowledged": len(stored - receipts),
        "opened": 0,
        "mismatched": [],
    }


def fsync_probe(directory: Path, count: int = 100) -> list[float]:
    """Seconds per fsync of a 4 KiB append in `directory`: what each SQLite commit waits for at least."""
    probe = directory / "fsync-probe"
    seconds = []
    with probe.open("ab") as handle:
        for _ in range(count):
            handle.write(b"\0" * 4096)
            handle.flush()
            start = time.perf_counter()
            os.fsync(handle.fileno())
            seconds.append(time.perf_counter() - start)
    probe.unlink()
    return seconds


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        else:
            cursor.execute("SELECT 'PostgreSQL ' || current_setting('server_version')")
        return str(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flow", choices=sorted(PATHS), required=True)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    data_dir = Path(os.environ["REFUGE_DATA_DIR"])
    set_up(data_dir, args.flow)

    import django

    django.setup()
    sent: list[Sent] = []
    runs = load_runs(data_dir, args.flow, args.seconds, sent)
    profiled = profiles(data_dir, args.flow, sent)
    checked = verify(args.flow, sent)
    output = {
        "flow": args.flow,
        "runs": runs,
        "profile": profiled,
        "verified": checked,
        "database": database_version(),
        "fsync": fsync_probe(data_dir),
    }
    args.output.write_text(json.dumps(output))


if __name__ == "__main__":
    main()
