"""The lean intake client: wrk (Debian's package) with bench/_lean_client.lua, for bench/intake.py.

tests/support/load.py's asyncio client spends about a millisecond of CPU per submission,
on the same two cores as the server it measures. This one sends the same submissions
for a fraction of that:

- Python makes the bodies beforehand, with the load client's own functions
  (`requester_answers`, `form_fields`, `multipart_body`): the same fields, sizes and
  randomness, byte for byte, less the two token parts that only the form page can
  give. Each wrk thread gets a file of its own bodies (`bodies-<thread>`), each used once.
- wrk runs one connection per thread (its Lua state is per thread, so GET and POST
  alternate on it as one submitter's). Each submitter loops as the load client's do: GET
  the form, take the CSRF cookie and token and the one-time form token, POST the next
  body with the tokens as its first parts, expect a 200 page with a receipt, and record
  the receipt with the times of the GET and the POST (CLOCK_MONOTONIC, the clock of
  Python's time.monotonic). Each POST before the deadline says "Connection: close", so
  every person comes on a new connection, spread over the server's workers as real
  visitors are.
- Each submitter stops after the answer to its first POST sent after the deadline (at most
  one person begun after it). That POST keeps its connection alive: after a
  "Connection: close" answer wrk opens a new connection at once, even in a thread that has
  just stopped, and under gunicorn (whose gthread worker gives a new connection one of its
  threads for up to 5 s while it waits for the first request) the idle connections of
  stopped submitters held the server's threads while the last POSTs waited: 1 to 29 of 64
  submitters were cut off per run on a 4 x 1 gunicorn (the "1 error in 126" seen before).
  A stopped submitter leaves a marker file; once every one has, wrk is interrupted
  (SIGINT ends its sleep) and its done() writes what only wrk saw (failed connections) to
  `summary`. Each thread writes its records (each request sent, acknowledged submissions,
  errors) to `records-<thread>` as it goes. wrk has no timeout of its own (its --timeout only sorts latencies): a request never
  answered on a connection the server never closes holds its thread to the end of the run,
  and is reported as a submitter cut off, with what it had sent and when.

The result is a `tests.support.load.LoadReport`, as `run_load` returns: acknowledged
submissions (receipt, answers, urgency) for the verification, the latencies inside the
measured window, errors by kind with examples, and the client's CPU time: wrk's own
(its rusage) plus this process's (making the bodies it used, waiting, reading the output).
"""

from __future__ import annotations

import math
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.load import (
    EXAMPLES_PER_KIND,
    REQUEST_TIMEOUT,
    LoadReport,
    Sent,
    form_fields,
    multipart_body,
    requester_answers,
)

SCRIPT = Path(__file__).resolve().parent / "_lean_client.lua"
# Bodies made per thread: enough for this many submissions a second over the whole run (the
# server on two cores manages a fraction of it). A thread that runs out stops with an error.
MOST_PER_SECOND = 1500
# How long after the deadline the submitters may take to finish what they began.
GRACE = REQUEST_TIMEOUT + 5
# How often this process looks at wrk: before the deadline (has it died?), then for the markers.
EARLY_POLL = 0.25
MARKER_POLL = 0.02


class LeanClientError(RuntimeError):
    pass


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise LeanClientError(
            "wrk is not installed: `apt-get install wrk` (Debian's package; .ci/run installs it), "
            "or REFUGE_BENCH_INTAKE_CLIENT=python for the asyncio client"
        )
    return found


@dataclass
class _Body:
    answers: dict[str, Any]
    urgency: str


def _prepare(directory: Path, run_id: str, clients: int, per_thread: int) -> dict[tuple[int, int], _Body]:
    """bodies-<thread> files (thread and body numbered from 1, as in the Lua script)."""
    made: dict[tuple[int, int], _Body] = {}
    for thread in range(1, clients + 1):
        rng = random.Random(f"{run_id}-{thread}")
        lengths, parts = [], []
        for index in range(1, per_thread + 1):
            serial = f"{run_id}-{thread}-{index}"
            answers, urgency = requester_answers(rng, serial)
            part = multipart_body(form_fields(answers, urgency), f"----refuge{serial}")
            made[(thread, index)] = _Body(answers, urgency)
            lengths.append(str(len(part)))
            parts.append(part)
        (directory / f"bodies-{thread}").write_bytes(" ".join(lengths).encode() + b"\n" + b"".join(parts))
    return made


def run_lean_load(
    port: int,
    path: str,
    *,
    clients: int,
    seconds: float,
    warm_up: float = 0.0,
    host: str = "127.0.0.1",
    most_per_second: int = MOST_PER_SECOND,
    grace: float = GRACE,
) -> LoadReport:
    """`clients` submitters (one wrk thread each) send the form at `path` for warm_up + seconds.

    Bodies are made for `most_per_second` submissions a second at most, over the whole run;
    `grace` is how long after the deadline a submitter may take to finish what it began.
    """
    wrk = wrk_path()
    report = LoadReport(clients=clients, seconds=seconds)
    cpu_before = time.process_time()
    with tempfile.TemporaryDirectory(prefix="refuge-lean-") as name:
        directory = Path(name)
        run_id = os.urandom(4).hex()
        per_thread = math.ceil(most_per_second * (warm_up + seconds) / clients) + 2
        made = _prepare(directory, run_id, clients, per_thread)
        making = time.process_time() - cpu_before
        wall_before = time.monotonic()
        measure_from = wall_before + warm_up
        stop_at = measure_from + seconds
        env = {
            **os.environ,
            "REFUGE_LEAN_DIR": str(directory),
            "REFUGE_LEAN_PATH": path,
            "REFUGE_LEAN_RUN": run_id,
            "REFUGE_LEAN_STOP_AT": repr(stop_at),
            "REFUGE_LEAN_TIMEOUT": str(int(REQUEST_TIMEOUT)),
        }
        command = [
            wrk, "-t", str(clients), "-c", str(clients), "-d", f"{math.ceil(warm_up + seconds + grace)}s",
            "--timeout", f"{int(REQUEST_TIMEOUT)}s", "-s", str(SCRIPT), f"http://{host}:{port}{path}",
        ]  # fmt: skip
        log = directory / "wrk.log"
        with log.open("wb") as out:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        wrk_cpu = _wait(process, directory, clients, stop_at, stop_at + grace + 30)
        ended = time.monotonic()
        summary = directory / "summary"
        if process.returncode != 0 or not summary.exists():
            raise LeanClientError(f"wrk failed ({process.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        report.wall_seconds = time.monotonic() - wall_before
        _read(directory, clients, made, report, measure_from, stop_at, ended)
        used = len(report.sent)
        python_cpu = time.process_time() - cpu_before - making + making * used / max(1, len(made))
    report.client_cpu_seconds = wrk_cpu + python_cpu
    return report


def _wait(process: subprocess.Popen[bytes], directory: Path, clients: int, stop_at: float, give_up: float) -> float:
    """Wait for wrk, interrupting it once every thread has stopped; its CPU seconds (user + system).

    os.wait4 rather than Popen.wait: it gives the child's resource usage when it is reaped.
    """
    interrupted = False
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        now = time.monotonic()
        if now < stop_at:
            time.sleep(min(EARLY_POLL, stop_at - now))
            continue
        if not interrupted and sum(1 for path in directory.iterdir() if path.name.startswith("stopped-")) == clients:
            # wrk's main thread sleeps for its whole duration; SIGINT ends the sleep, then done() runs.
            process.send_signal(signal.SIGINT)
            interrupted = True
        if now > give_up:
            process.kill()
        time.sleep(MARKER_POLL)


def _read(
    directory: Path,
    clients: int,
    made: dict[tuple[int, int], _Body],
    report: LoadReport,
    measure_from: float,
    stop_at: float,
    ended: float,
) -> None:
    """Fill the report from every thread's records-<thread> and wrk's summary."""
    errors: Counter[str] = Counter()

    def error(kind: str, example: str) -> None:
        errors[kind] += 1
        kept = report.examples.setdefault(kind, [])
        if len(kept) < EXAMPLES_PER_KIND:
            kept.append(example)

    for thread in range(1, clients + 1):
        lines = (directory / f"records-{thread}").read_text(encoding="utf-8").splitlines()
        if not lines or lines[-1] != "stopped":
            error("a submitter was cut off by the end of the run", _cut_off(thread, lines, ended))
        for line in lines:
            kind, _, rest = line.partition("\t")
            if kind == "sent":
                continue
            if kind == "ok":
                index, receipt, get_seconds, post_seconds, finished = rest.split("\t")
                body = made[(thread, int(index))]
                report.sent.append(Sent(receipt, body.answers, body.urgency))
                if measure_from <= float(finished) <= stop_at:
                    report.post_seconds.append(float(post_seconds))
                    report.get_seconds.append(float(get_seconds))
            elif kind == "error":
                what, _, example = rest.partition("\t")
                error(what, example)
            elif kind != "stopped":
                raise LeanClientError(f"an unexpected line from wrk's thread {thread}: {line[:200]!r}")
    summary = dict(line.split("\t") for line in (directory / "summary").read_text().splitlines() if "\t" in line)
    if int(summary.get("connect", "0")):
        errors["connect failed"] += int(summary["connect"])
    report.errors.update(errors)


def _cut_off(thread: int, lines: list[str], ended: float) -> str:
    """What a submitter cut off by the end of the run was waiting for, from its last record."""
    last = lines[-1].split("\t") if lines else []
    if last[:1] == ["sent"]:
        return f"thread {thread}: no answer to its {last[1]}, sent {ended - float(last[2]):.1f} s before wrk ended"
    # An answer (or an error) was the last thing seen: wrk never asked for the next request,
    # so its new connection never completed.
    return f"thread {thread}: nothing sent after its last record ({(last or ['none'])[0]})"
