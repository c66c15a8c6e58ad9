"""A benchmark's measuring child: its own process, production settings, a fresh data directory.

The benchmarks whose child measures one database (login, login_timing, brakes) run it the
same way: a scratch directory with the data directory inside it (the secrets go beside the
data directory, var-secrets/, so both are inside the scratch directory and go with it), the
child's measurements back as JSON in `--output FILE`, and on failure its output and the last
of the server log it may have started, so that a failed run says why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_child(name: str, module: str, args: list[str], database_url: str | None, *, timeout: int) -> dict[str, Any]:
    """Run `python -m module *args --output FILE` in a fresh data directory; return the JSON it wrote there.

    `name` names the benchmark in the scratch directory and in the error of a failed run.
    """
    from tests.support.server import refuge_env

    data_dir = Path(tempfile.mkdtemp(prefix=f"refuge-bench-{name.replace(' ', '-')}-")) / "var"
    data_dir.mkdir(mode=0o700)
    try:
        output = data_dir / "measured.json"
        env = refuge_env(data_dir, **({"DATABASE_URL": database_url} if database_url else {}))
        command = [sys.executable, "-m", module, *args, "--output", str(output)]
        completed = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if completed.returncode != 0:
            log = data_dir / "server.log"
            server_log = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"the {name} benchmark failed:\n{completed.stdout}\n{completed.stderr}\n{server_log}")
        data: dict[str, Any] = json.loads(output.read_text())
        return data
    finally:
        shutil.rmtree(data_dir.parent, ignore_errors=True)
