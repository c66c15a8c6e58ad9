"""Server CPU per submission, in process, through Django's real WSGI handler; for judging a change.

    .venv/bin/python -m bench._intake_cpu                                   # this tree, 0 stored requests
    .venv/bin/python -m bench._intake_cpu --code before=/tmp/refuge-head --code after=. --stored 0,100000
    .venv/bin/python -m bench._intake_cpu --postgres --stored 100000

No server and no client: a child process (PYTHONPATH=the variant's tree, production
settings, its own data directory) builds the WSGI application as `refuge serve` does and
calls it with what a browser sends (GET the form, then the multipart POST of
tests/support/load.py with fresh answers), measuring the process's CPU time
(time.process_time) of each GET and each POST. What a server adds on top (its own HTTP
parsing, threads) is left out; what Refuge's code costs, middleware to template, is all in.

Variants take turns round by round (so that other work on the machine falls on all of
them alike), each round a new child process on the same database; the medians of the
rounds are printed. `--stored N` first fills the database with N requests (rows as a
submission writes them: request, record key, its three wraps, blind indexes; the
ciphertexts are random bytes nobody opens), then runs ANALYZE as `refuge serve` does.
bench/intake.py uses the same child for its "cost at 0 / 100,000 / 1,000,000 stored"
table.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ORGANISATION = "bench"
PATH = f"/r/{ORGANISATION}/ask/"
BASELINE_PATH = f"/bench/{ORGANISATION}/ask/"
_CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
_FORM_TOKEN = re.compile(rb'name="form_token" value="([^"]+)"')
_RECEIPT_GROUP = re.compile(rb'<span class="receipt__group">([0-9A-Z]{4})</span>')


# --- the child: one process, one variant -------------------------------------------------------


def _environ(method: str, cookies: dict[str, str], body: bytes = b"", content_type: str = "") -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": _path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "refuge-load/1",
        "HTTP_ACCEPT_LANGUAGE": "en",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if cookies:
        environ["HTTP_COOKIE"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    if method == "POST":
        environ.update(
            {
                "HTTP_ORIGIN": "null",
                "HTTP_SEC_FETCH_SITE": "same-origin",
                "CONTENT_TYPE": content_type,
                "CONTENT_LENGTH": str(len(body)),
            }
        )
    return environ


_path = PATH


def _call(app: Any, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"], answer["headers"] = int(status.split()[0]), headers

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return answer["status"], answer["headers"], body


def _cookies_of(headers: list[tuple[str, str]]) -> dict[str, str]:
    cookies = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            pair = value.partition(";")[0]
            key, _, content = pair.partition("=")
            cookies[key.strip()] = content
    return cookies


def submit_in_process(app: Any, rng: random.Random, serial: str) -> tuple[float, float]:
    """One submission through the WSGI application; (GET, POST) CPU seconds of this process."""
    from tests.support.load import form_fields, multipart_body, requester_answers

    began = time.process_time()
    status, headers, page = _call(app, _environ("GET", {}))
    got = time.process_time()
    csrf, token = _CSRF.search(page), _FORM_TOKEN.search(page)
    if status != 200 or csrf is None or token is None:
        raise RuntimeError(f"GET answered {status} without the form")
    answers, urgency = requester_answers(rng, serial)
    fields = [("csrfmiddlewaretoken", csrf.group(1).decode()), ("form_token", token.group(1).decode())]
    boundary = f"----refuge{serial}"
    body = multipart_body(fields + form_fields(answers, urgency), boundary)
    environ = _environ("POST", _cookies_of(headers), body, f"multipart/form-data; boundary={boundary}")
    before = time.process_time()
    status, _headers, receipt = _call(app, environ)
    after = time.process_time()
    if status != 200 or len(_RECEIPT_GROUP.findall(receipt)) != 5:
        raise RuntimeError(f"POST answered {status} without a receipt: {receipt[:300]!r}")
    return got - began, after - before


def measure_child(submissions: int, warm: int) -> dict[str, Any]:
    """Django set up: `warm` uncounted submissions, then `submissions` measured ones."""
    import gc

    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    rng = random.Random(os.urandom(8))
    run_id = os.urandom(3).hex()
    for number in range(warm):
        submit_in_process(app, rng, f"{run_id}-w{number}")
    gets, posts = [], []
    gc.collect()
    for number in range(submissions):
        get, post = submit_in_process(app, rng, f"{run_id}-{number}")
        gets.append(get)
        posts.append(post)
    return {"get": gets, "post": posts}


def prefill(count: int) -> None:
    """Store `count` requests (tests/support/stored_requests.py), then ANALYZE as `refuge serve` does."""
    from django.db import connection

    from refuge.accounts.models import Organisation
    from refuge.ops.db_maintenance import refresh_planner_statistics
    from tests.support.stored_requests import store_requests

    organisation = Organisation.objects.get(slug=ORGANISATION)
    store_requests(organisation, count, progress=lambda done: print(f"  stored {done}/{count}", file=sys.stderr))
    connection.close()
    refresh_planner_statistics()


def child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefill", type=int, default=0)
    parser.add_argument("--submissions", type=int, default=0)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--output")
    args = parser.parse_args(argv)
    import django

    django.setup()
    global _path
    if args.baseline:
        _path = BASELINE_PATH
    if args.prefill:
        prefill(args.prefill)
    if args.submissions:
        measured = measure_child(args.submissions, args.warm)
        Path(args.output).write_text(json.dumps(measured))
    return 0


# --- the parent: variants, rounds, medians -------------------------------------------------------


@dataclass
class Variant:
    name: str
    code: Path
    env: dict[str, str] = field(default_factory=dict)
    baseline: bool = False


@dataclass
class Prepared:
    variant: Variant
    stored: int
    data_dir: Path
    env: dict[str, str]


def _refuge_env(data_dir: Path, variant: Variant, database_url: str | None) -> dict[str, str]:
    from tests.support.server import refuge_env

    python_path = os.pathsep.join([str(variant.code), str(ROOT)])
    extra = {"PYTHONPATH": python_path, **variant.env}
    if variant.baseline:
        extra["DJANGO_SETTINGS_MODULE"] = "bench.baseline_settings"
    if database_url:
        extra["DATABASE_URL"] = database_url
    # The flood brake would refuse a benchmark's rate: lifted, as in bench/_intake_child.py's runs.
    extra.setdefault("REFUGE_SUBMISSIONS_PER_MINUTE", "1000000")
    return refuge_env(data_dir, **extra)


def _child(env: dict[str, str], *args: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bench._intake_cpu", "child", *args],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        timeout=7200,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"bench._intake_cpu child failed:\n{completed.stderr[-4000:]}")


def prepare(variant: Variant, stored: int, base: Path, database_url: str | None) -> Prepared:
    """A data directory with an organisation (and `stored` requests) for one variant."""
    from tests.support.server import run_refuge

    data_dir = Path(tempfile.mkdtemp(prefix=f"cpu-{variant.name}-{stored}-", dir=base)) / "var"
    data_dir.mkdir(mode=0o700)
    env = _refuge_env(data_dir, variant, database_url)
    extra = {key: env[key] for key in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE") if key in env}
    if database_url:
        extra["DATABASE_URL"] = database_url
    run_refuge(data_dir, "init", **extra)
    if variant.baseline:
        run_refuge(data_dir, "manage", "migrate", "bench_baseline", "--no-input", **extra)
    password_file = data_dir / "bench-password"
    password_file.write_text(os.urandom(18).hex() + "\n")
    run_refuge(
        data_dir, "createorg", "--name", "Bench", "--slug", ORGANISATION, "--coordinator", "coord",
        "--password-file", str(password_file), **extra,
    )  # fmt: skip
    password_file.unlink()
    if stored:
        _child(env, "--prefill", str(stored))
    return Prepared(variant, stored, data_dir, env)


def measure(prepared: Prepared, submissions: int, warm: int) -> dict[str, Any]:
    output = prepared.data_dir / "measured.json"
    args = ["--submissions", str(submissions), "--warm", str(warm), "--output", str(output)]
    if prepared.variant.baseline:
        args.append("--baseline")
    _child(prepared.env, *args)
    data: dict[str, Any] = json.loads(output.read_text())
    return data


@contextmanager
def database_urls(postgres: bool) -> Iterator[Any]:
    """A function giving a fresh database URL per data directory (None: SQLite in the data directory)."""
    if not postgres:
        yield lambda: None
        return
    from bench._databases import database_targets

    with database_targets(postgres=True) as targets:
        yield targets[1].fresh_url


def run_rounds(
    prepared: list[Prepared], rounds: int, submissions: int, warm: int, report: Any = None
) -> dict[tuple[str, int], list[dict[str, float]]]:
    """Each prepared variant measured once per round, in turn; per (variant, stored) one entry per round."""
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    for round_number in range(rounds):
        order = list(prepared)
        if round_number % 2:
            order.reverse()  # whoever went first in one round goes last in the next
        for item in order:
            data = measure(item, submissions, warm)
            summary = {
                "post_ms": statistics.median(data["post"]) * 1000,
                "get_ms": statistics.median(data["get"]) * 1000,
                "post_mean_ms": statistics.fmean(data["post"]) * 1000,
            }
            results.setdefault((item.variant.name, item.stored), []).append(summary)
            if report is not None:
                report(round_number, item, summary)
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["child"]:
        return child_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", action="append", default=[], metavar="NAME=DIR")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=KEY=VALUE")
    parser.add_argument("--baseline", action="store_true", help="also the plaintext baseline build (this tree)")
    parser.add_argument("--stored", default="0")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--submissions", type=int, default=150)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args(argv)
    variants: dict[str, Variant] = {}
    for item in args.code:
        name, _, directory = item.partition("=")
        variants[name] = Variant(name, Path(directory).resolve())
    for item in args.env:
        name, _, assignment = item.partition("=")
        key, _, value = assignment.partition("=")
        variants.setdefault(name, Variant(name, ROOT)).env[key] = value
    if not variants:
        variants["this"] = Variant("this", ROOT)
    if args.baseline:
        variants["baseline"] = Variant("baseline", ROOT, baseline=True)
    sizes = [int(size) for size in args.stored.split(",")]
    base = Path(tempfile.mkdtemp(prefix="refuge-cpu-"))
    try:
        with database_urls(args.postgres) as fresh_url:
            prepared = [
                prepare(variant, stored, base, fresh_url())
                for stored, variant in itertools.product(sizes, variants.values())
            ]

            def report(round_number: int, item: Prepared, summary: dict[str, float]) -> None:
                print(
                    f"round {round_number + 1} {item.variant.name:10} stored {item.stored:>8}: POST "
                    f"{summary['post_ms']:6.2f} ms CPU (mean {summary['post_mean_ms']:6.2f}), GET "
                    f"{summary['get_ms']:5.2f} ms",
                    flush=True,
                )

            results = run_rounds(prepared, args.rounds, args.submissions, args.warm, report)
        print("\nmedians over rounds (CPU ms per request, this process):")
        first = next(iter(results))
        for (name, stored), runs in results.items():
            post = statistics.median(r["post_ms"] for r in runs)
            get = statistics.median(r["get_ms"] for r in runs)
            reference = statistics.median(r["post_ms"] for r in results[(first[0], stored)])
            print(
                f"  {name:10} stored {stored:>8}: POST {post:6.2f} ms ({post / reference:.2f}× {first[0]}), "
                f"GET {get:5.2f} ms, POST+GET {post + get:6.2f} ms"
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
