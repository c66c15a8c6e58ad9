"""Run Refuge as real processes (the `refuge` command under gunicorn) for tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REFUGE = str(Path(sys.executable).parent / "refuge")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def refuge_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a production-settings process on its own data directory.

    The process gets its own SQLite database in `data_dir` unless `DATABASE_URL`
    is passed explicitly: the test run's database belongs to pytest-django.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REFUGE_", "DJANGO_")) and k != "DATABASE_URL"}
    env.update({"REFUGE_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "refuge.settings", **extra})
    return env


def run_refuge(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run one `refuge` command to completion; fail the test with its output if it fails."""
    result = subprocess.run(
        [REFUGE, *args], env=refuge_env(data_dir, **extra), capture_output=True, text=True, timeout=180, check=False
    )
    if result.returncode != 0:
        raise AssertionError(f"refuge {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def kill(self) -> None:
        """SIGKILL the whole process group: what a crash or a seizure does."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@contextmanager
def running_server(data_dir: Path, *, workers: int = 1, **extra: str) -> Iterator[ServerProcess]:
    """Start `refuge serve` on a free loopback port and wait until it answers."""
    port = free_port()
    log_path = data_dir / "server.log"
    log = open(log_path, "ab")  # noqa: SIM115 - closed below, after the process ends
    process = subprocess.Popen(
        [REFUGE, "serve", "--port", str(port), "--workers", str(workers)],
        env=refuge_env(data_dir, **extra),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = ServerProcess(process, port, log_path)
    try:
        wait_for_port(port, process)
        yield server
    finally:
        server.kill()
        log.close()


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("the server exited before it answered")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the server did not answer on port {port} within {timeout} s")


@dataclass
class CreatedOrganisation:
    """What `refuge createorg` printed once: the coordinator's secrets and the shares."""

    data_dir: Path
    stdout: str
    totp_secret: str
    recovery_code: str
    shares: list[str]


def initialised_organisation(tmp_path: Path, *, slug: str, coordinator: str, password: str) -> CreatedOrganisation:
    """`refuge init` and `refuge createorg` in a fresh data directory, as an operator would."""
    data_dir = tmp_path / "var"
    run_refuge(data_dir, "init")
    # The password file stays in tmp_path: tests pass it to `refuge createuser` as well.
    password_file = tmp_path / f"{slug}-password"
    return create_organisation(
        data_dir, slug=slug, coordinator=coordinator, password=password, password_file=password_file
    )


def create_organisation(
    data_dir: Path,
    *,
    slug: str,
    coordinator: str,
    password: str,
    name: str = "",
    password_file: Path | None = None,
    **extra: str,
) -> CreatedOrganisation:
    """`refuge createorg` in an initialised data directory (`extra`: its environment, as run_refuge's).

    The password goes through `password_file` (kept: the caller's), or a file in the data
    directory that is removed afterwards.
    """
    import re

    kept = password_file is not None
    password_file = password_file or data_dir / f"{slug}-password"
    password_file.write_text(password + "\n")
    try:
        created = run_refuge(
            data_dir, "createorg", "--name", name or f"{slug.title()} Org", "--slug", slug,
            "--coordinator", coordinator, "--password-file", str(password_file), **extra,
        )  # fmt: skip
    finally:
        if not kept:
            password_file.unlink()
    secret = re.search(r"TOTP secret:\s+(\S+)", created.stdout)
    recovery = re.search(r"personal recovery key:\s+(\S+)", created.stdout)
    assert secret is not None and recovery is not None, created.stdout
    shares = re.findall(r"share \d+: (.+)", created.stdout)
    return CreatedOrganisation(data_dir, created.stdout, secret.group(1), recovery.group(1), shares)
