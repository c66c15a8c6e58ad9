"""Running the scheduler from other processes on the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import quote

from django.db import connection


def url_of_the_test_database() -> str:
    """A DATABASE_URL naming the database this test runs on (SQLite file or PostgreSQL test database)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    host = quote(str(settings["HOST"]), safe="")
    return f"postgres://{settings['USER']}@{host}:{settings['PORT']}/{settings['NAME']}"


# A child process that registers one job, which appends a line to a file and then sleeps,
# and runs whatever is due once, as `refuge tick` does.
RUNNER = """
import os, sys, time
from pathlib import Path
import django
django.setup()
from refuge.core.jobs import Job
from refuge.scheduler.runner import run_due

log, sleep, lease, go = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]

# Racing runners start together: each says it is ready, then waits for the word.
if go:
    Path(f"{go}.ready.{os.getpid()}").touch()
    while not Path(go).exists():
        time.sleep(0.01)

def append_and_sleep():
    with log.open("a") as out:
        out.write(f"{os.getpid()}\\n")
    time.sleep(sleep)
    return "done"

run_due([Job(name="test-append", function=append_and_sleep, every=3600, lease=lease)])
"""


def start_runner(log: Path, *, sleep: float, lease: float, go: Path | None = None) -> subprocess.Popen[bytes]:
    """A separate Python process running `test-append` if it is due (once the file `go` exists, if given)."""
    env = {**os.environ, "DATABASE_URL": url_of_the_test_database(), "DJANGO_SETTINGS_MODULE": "refuge.test_settings"}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(RUNNER), str(log), str(sleep), str(lease), str(go or "")],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
