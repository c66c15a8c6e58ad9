"""DESIGN.md §7: "Encryption overhead: intake and case pages within 1.3× of the same flow with
encryption switched off in a benchmark build" — the case pages.

For each database, two data directories are made by bench/_case_page_child.py through the
real actions, each with one busy case (a narrative, the requester's identity compartment,
three people, 12 notes, 8 tasks, 6 expenses, 12 messages with the requester, its timeline):

- encrypted: the production build (refuge.settings);
- plaintext: the benchmark build (bench/plaintext_settings.py): the same code with the AEAD
  and sealed-box primitives replaced by stand-ins that do no cryptography.

Both are served at once by `refuge serve` (1 worker × 4 threads each), and one client logs
in to each through the login form and then asks for the same page of each in turn, so a
change in the machine's speed touches both builds alike:

- the case page (`/cases/<id>/`): the case key unwrapped with the member's private key, and
  every note, task, expense, message and timeline entry decrypted;
- the identity compartment (`/cases/<id>/people/<id>/identity/`): its own key as well.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import _machine
from bench._results import BenchOptions, BenchResult, Check, Row, Table

NAME = "casepage"
TITLE = "Encryption overhead on the case pages"
TARGET = "Encryption overhead: case pages within 1.3× of the same flow with encryption switched off."
ITERATIONS = 200
WARM_UP = 20
LIMIT = 1.3
ROOT = Path(__file__).resolve().parent.parent
BUILDS = {"encrypted": "refuge.settings", "plaintext": "bench.plaintext_settings"}


def run(options: BenchOptions) -> BenchResult:
    iterations = options.iterations or ITERATIONS
    result = BenchResult(NAME, TITLE, TARGET, options.command, environment=_machine.one_line(), date=_machine.now())
    started = time.monotonic()
    for target in options.databases:
        with tempfile.TemporaryDirectory(prefix="refuge-bench-casepage-") as scratch:
            builds = {
                build: _seed(Path(scratch) / build, settings, target.fresh_url()) for build, settings in BUILDS.items()
            }
            measured = _measure(builds, iterations)
        tables, checks = _report(target.label, target.detail, builds, measured, iterations)
        result.tables += tables
        result.checks += checks
    if len(options.databases) == 1:
        result.notes.append(
            "SQLite only: add `--postgres` (a throwaway cluster, as in `make test-pg`) to measure PostgreSQL too."
        )
    result.notes += [
        "Switched off in the plaintext build (bench/plaintext_app/apps.py): XChaCha20-Poly1305 of every field and "
        "key wrap, and the X25519 sealed boxes of keys wrapped for members. Stored sizes stay the same. "
        "Kept: Argon2id (login only), keyed hashes (blind indexes), the audit chain, and everything else.",
        "Both builds run the same views, queries, templates and audit writes (each page view writes its CASE_READ "
        "or COMPARTMENT_READ entry), on their own database of the same kind.",
        f"Each page {iterations} times per build after {WARM_UP} uncounted, the two builds in turn; client and "
        "servers share the same 2 cores.",
    ]
    result.seconds = time.monotonic() - started
    return result


def _env(data_dir: Path, settings: str, database_url: str | None) -> dict[str, str]:
    from tests.support.server import refuge_env

    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    extra = {"DJANGO_SETTINGS_MODULE": settings, "PYTHONPATH": python_path}
    if database_url:
        extra["DATABASE_URL"] = database_url
    return refuge_env(data_dir, **extra)


def _seed(data_dir: Path, settings: str, database_url: str | None) -> dict[str, Any]:
    data_dir.mkdir(parents=True)
    output = data_dir / "seeded.json"
    env = _env(data_dir, settings, database_url)
    command = [sys.executable, "-m", "bench._case_page_child", "--output", str(output)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"seeding the {settings} build failed:\n{done.stdout}\n{done.stderr}")
    meta: dict[str, Any] = json.loads(output.read_text())
    meta.update({"data_dir": str(data_dir), "database_url": database_url or ""})
    if meta["encryption_off"] != (settings != "refuge.settings"):
        raise RuntimeError(f"the {settings} build has encryption {'off' if meta['encryption_off'] else 'on'}")
    return meta


def _pages(meta: dict[str, Any]) -> dict[str, str]:
    case, person = meta["case"], meta["person"]
    return {"case page": f"/cases/{case}/", "identity compartment": f"/cases/{case}/people/{person}/identity/"}


# What each page must show, so a page that fails to decrypt (or shows an error) is not timed as a success.
EXPECTED = {"case page": "Reply 5: yes, we are working on it.", "identity compartment": "9612 345678"}


def _measure(builds: dict[str, dict[str, Any]], iterations: int) -> dict[str, dict[str, list[float]]]:
    from contextlib import ExitStack

    from refuge.accounts import totp
    from tests.support.http import LoopbackClient
    from tests.support.server import running_server

    samples: dict[str, dict[str, list[float]]] = {build: {page: [] for page in EXPECTED} for build in builds}
    with ExitStack() as stack:
        clients = {}
        for build, meta in builds.items():
            data_dir = Path(meta["data_dir"])
            extra = {"DJANGO_SETTINGS_MODULE": BUILDS[build], "PYTHONPATH": str(ROOT), "REFUGE_THREADS": "4"}
            if meta["database_url"]:
                extra["DATABASE_URL"] = meta["database_url"]
            server = stack.enter_context(running_server(data_dir, workers=1, **extra))
            client = LoopbackClient("127.0.0.1", server.port, timeout=60)
            page = client.get("/login/")
            fields = {
                "organisation": "bench",
                "username": "coord",
                "password": meta["password"],
                "code": totp.code_at(meta["totp"]),
            }
            response = client.request("POST", "/login/", {"csrfmiddlewaretoken": page.csrf_token(), **fields})
            if response.status != 302:
                raise RuntimeError(f"the {build} build's login gave {response.status}: {response.text[:300]}")
            clients[build] = client
        for index in range(WARM_UP + iterations):
            for page in EXPECTED:
                for build, client in clients.items():
                    path = _pages(builds[build])[page]
                    start = time.perf_counter()
                    response = client.get(path)
                    elapsed = time.perf_counter() - start
                    if response.status != 200 or EXPECTED[page] not in response.text:
                        raise RuntimeError(f"{build} {page}: GET {path} gave {response.status}, not the page")
                    if index >= WARM_UP:
                        samples[build][page].append(elapsed)
    return samples


def _report(
    label: str,
    detail: str,
    builds: dict[str, dict[str, Any]],
    measured: dict[str, dict[str, list[float]]],
    iterations: int,
) -> tuple[list[Table], list[Check]]:
    rows, checks = [], []
    for page in EXPECTED:
        baseline = Row.timings(f"plaintext build: {page}", measured["plaintext"][page])
        encrypted = Row.timings(f"encrypted: {page}", measured["encrypted"][page], baseline=baseline)
        rows += [encrypted, baseline]
        ratio = encrypted.ratio or 0.0
        checks.append(
            Check(
                f"{label}: {page}, median ≤ {LIMIT}× the plaintext build's",
                f"{encrypted.median:.1f} ms vs {baseline.median:.1f} ms: {ratio:.2f}×",
                ratio <= LIMIT,
            )
        )
    table = Table(f"{label}: GET over HTTP, 1 worker × 4 threads per build, {iterations} requests each", rows)
    table.notes.append(f"Database: {builds['encrypted']['database']}, {detail}.")
    return [table], checks
