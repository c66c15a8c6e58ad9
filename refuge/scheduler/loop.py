"""The scheduler loop (`refuge scheduler`) and its keeper beside gunicorn (`refuge serve`).

`refuge serve` runs one scheduler process next to gunicorn's master, never one per
worker: the master's `when_ready` hook starts a thread that keeps a `refuge scheduler`
child running (restarting it if it dies) and `on_exit` stops it. The child is a
process of its own, not a thread of the master, because the master forks workers and a
database connection must never be shared across a fork. Several servers on one
database may each run their loop: the leases in runner.py still run each job once.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from typing import Any

from django.db import DatabaseError, connection

from refuge.scheduler.runner import run_due, seconds_to_next_due

log = logging.getLogger(__name__)

# The loop looks again at least this often, so that a job another runner rescheduled,
# or one registered by a newer release, is seen without a restart.
MAX_SLEEP_SECONDS = 30.0
# A job due "now" again right after it ran (an interval of 0) does not spin the loop.
MIN_SLEEP_SECONDS = 1.0
# The scheduler starts this long after the server is ready: its own start (a second or two
# of CPU) then competes neither with the workers booting nor with the first requests after a
# restart. Jobs are not urgent to the second; what they owe waits in the database meanwhile.
START_DELAY_SECONDS = 10.0
# A scheduler process that dies is started again after this long.
RESTART_SECONDS = 5.0
STOP_SECONDS = 15.0


def run_forever(stop: threading.Event, *, parent: int | None = None) -> None:
    """Run due jobs until `stop` is set (or the process `parent` has gone); a job in progress is finished first."""
    while not stop.is_set():
        if parent is not None and os.getppid() != parent:
            # The server was killed (kill -9) without stopping us: an orphan scheduler would
            # hold the database open for nobody. Whatever it leases, another runner takes over.
            log.warning("the server that started the scheduler has gone; the scheduler stops")
            break
        try:
            run_due()
            wait = seconds_to_next_due()
        except DatabaseError as error:
            # The database restarting or unreachable: try again shortly with a fresh connection.
            log.warning("the scheduler could not reach the database: %s", type(error).__name__)
            connection.close()
            wait = MAX_SLEEP_SECONDS
        stop.wait(min(MAX_SLEEP_SECONDS, max(MIN_SLEEP_SECONDS, MAX_SLEEP_SECONDS if wait is None else wait)))
    connection.close()


def scheduler_command() -> list[str]:
    """`refuge scheduler`, told to stop if this process (gunicorn's master) goes away."""
    return [sys.executable, "-c", "from refuge.cli import main; main()", "scheduler", "--parent", str(os.getpid())]


class Keeper:
    """Keeps one scheduler process running while the web server runs."""

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command
        self._stopping = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, server: Any = None) -> None:
        """gunicorn's when_ready hook: start the keeper thread in the master."""
        self._thread = threading.Thread(target=self._keep, name="refuge-scheduler-keeper", daemon=True)
        self._thread.start()

    def _keep(self) -> None:
        self._stopping.wait(START_DELAY_SECONDS)
        while not self._stopping.is_set():
            with self._lock:
                if self._stopping.is_set():
                    return
                # The command and its arguments are ours, not input: no shell.
                self._process = subprocess.Popen(self.command or scheduler_command())  # noqa: S603
            code = self._process.wait()
            if not self._stopping.is_set():
                log.warning("the scheduler process exited (%s); starting it again", code)
                self._stopping.wait(RESTART_SECONDS)

    def stop(self, server: Any = None) -> None:
        """gunicorn's on_exit hook: stop the scheduler (it finishes a running job first)."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            # A job stuck past the wait: its lease expires and another runner does it again.
            process.kill()
            process.wait()

    def hooks(self) -> dict[str, Any]:
        """The gunicorn settings that run the scheduler beside the server."""
        return {"when_ready": self.start, "on_exit": self.stop}
