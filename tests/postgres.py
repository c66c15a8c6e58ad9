"""A throwaway PostgreSQL cluster for the test suite (docs/development.md).

Debian's own server binaries, run as an unprivileged user (initdb refuses root),
with the data directory and the Unix socket in a fresh temporary directory: nothing
listens on TCP, nothing outlives the test session, and fsync stays on so the suite
exercises the same durability settings as production.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

MINIMUM_VERSION = 15
SUPERUSER = "refuge"
OWNER_FILE = "owner.pid"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing or too old, or the cluster did not start."""


def find_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl (or REFUGE_TEST_PG_BIN)."""
    configured = os.environ.get("REFUGE_TEST_PG_BIN")
    candidates = [Path(configured)] if configured else _debian_bin_dirs()
    for bin_dir in candidates:
        if (bin_dir / "initdb").exists() and (bin_dir / "pg_ctl").exists():
            version = _major_version(bin_dir)
            if version < MINIMUM_VERSION:
                raise PostgresUnavailable(f"{bin_dir} is PostgreSQL {version}; Refuge needs {MINIMUM_VERSION}+")
            return bin_dir
    raise PostgresUnavailable(
        f"PostgreSQL server binaries (initdb, pg_ctl) not found in {[str(c) for c in candidates] or '/usr/lib/postgresql/*/bin'}: "
        "apt-get install postgresql, or set REFUGE_TEST_PG_BIN"
    )


def _debian_bin_dirs() -> list[Path]:
    root = Path("/usr/lib/postgresql")
    dirs = [path / "bin" for path in root.glob("*") if path.name.isdigit()] if root.is_dir() else []
    return sorted(dirs, key=lambda path: int(path.parent.name), reverse=True)


def _major_version(bin_dir: Path) -> int:
    output = subprocess.run([str(bin_dir / "pg_ctl"), "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", output)
    if match is None:
        raise PostgresUnavailable(f"cannot read the version from {output!r}")
    return int(match.group(1))


@dataclass
class ThrowawayCluster:
    """One PostgreSQL cluster in a temporary directory, reachable only through its Unix socket."""

    bin_dir: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="refuge-pg-")))
    port: int = 5432  # only names the socket file: nothing listens on TCP
    started: bool = False
    # Added to (or overriding) the settings written by start(), e.g. the crash suite's
    # unsafe negative control (tests/support/crash_postgres.py). Empty for the test suite.
    extra_settings: dict[str, str] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = "refuge") -> str:
        """A DATABASE_URL for dj-database-url: the socket directory is the percent-encoded host."""
        return f"postgres://{SUPERUSER}@{quote(str(self.socket_dir), safe='')}:{self.port}/{database}"

    def start(self) -> None:
        """initdb and start the server; raise PostgresUnavailable with the server log on failure."""
        # Lets a later run stop this cluster if this process is killed before it can (reap_orphans).
        (self.root / OWNER_FILE).write_text(str(os.getpid()))
        self.socket_dir.mkdir(mode=0o700)
        run_as = _unprivileged_user()
        if run_as is not None:
            uid, gid = run_as
            for path in (self.root, self.socket_dir):
                os.chown(path, uid, gid)
        # trust is safe here: the only way in is the socket, in a 0700 directory.
        self._run(
            run_as,
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-instructions",
            # initdb's own final sync only: the server below runs with fsync on.
            "--no-sync",
        )
        settings = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "port": str(self.port),
            "fsync": "on",
            "synchronous_commit": "on",
            "full_page_writes": "on",
            "max_connections": "60",
            "shared_buffers": "64MB",
            "log_min_messages": "warning",
            **self.extra_settings,
        }
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# refuge test harness\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        self._run(run_as, "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60", "start")
        self.started = True

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete every file of the cluster."""
        if self.started:
            run_as = _unprivileged_user()
            self._run(run_as, "pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop", check=False)
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, run_as: tuple[int, int] | None, program: str, *args: str, check: bool = True) -> None:
        command = [str(self.bin_dir / program), *args]
        if run_as is not None:
            command = ["runuser", "-u", pwd.getpwuid(run_as[0]).pw_name, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self.root)
        if check and result.returncode != 0:
            log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            raise PostgresUnavailable(
                f"{program} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{log}".strip()
            )


def reap_orphans(bin_dir: Path) -> list[Path]:
    """Stop and delete clusters left behind by test runs that were killed (kill -9, CI timeout)."""
    reaped = []
    for root in Path(tempfile.gettempdir()).glob("refuge-pg-*"):
        owner = root / OWNER_FILE
        try:
            pid = int(owner.read_text())
        except (OSError, ValueError):
            continue  # still starting, or not ours
        if _alive(pid):
            continue
        ThrowawayCluster(bin_dir, root=root, started=(root / "data" / "postmaster.pid").exists()).stop()
        reaped.append(root)
    return reaped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _unprivileged_user() -> tuple[int, int] | None:
    """(uid, gid) of the `postgres` system user when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable(
            "running as root, and initdb refuses root: there is no `postgres` user to run it as "
            "(apt-get install postgresql creates one)"
        ) from None
    return entry.pw_uid, entry.pw_gid
