"""docs/operations.md's move to a new server, command by command: `refuge backup` on a running
SQLite installation, `refuge restore` into a new one (PostgreSQL on the PostgreSQL layer)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.server import REFUGE, refuge_env, run_refuge, running_server

pytestmark = pytest.mark.slow

DIGESTS = (
    "import hashlib\n"
    "from refuge.ops.backup.tables import backed_up_tables, encode_row, iter_rows\n"
    "for t in backed_up_tables():\n"
    "    h = hashlib.sha256()\n"
    "    for v in iter_rows(t): h.update(encode_row(t, v))\n"
    "    print(t.label, h.hexdigest())\n"
)


def _digests(data_dir: Path, **env: str) -> dict[str, str]:
    """SHA-256 of every backed-up table but the audit log's (the new one adds its restore entry)."""
    output = run_refuge(data_dir, "manage", "shell", "-v", "0", "-c", DIGESTS, **env).stdout
    pairs = (line.split() for line in output.splitlines() if line.strip())
    return {label: digest for label, digest in pairs if not label.startswith("audit.")}


def _refuge(data_dir: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [REFUGE, *args],
        env=refuge_env(data_dir, **env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_an_installation_moves_to_a_new_server_with_one_backup_file(
    tmp_path: Path, new_database: dict[str, str]
) -> None:
    old, new = tmp_path / "old" / "var", tmp_path / "new" / "var"
    run_refuge(old, "demo", "--no-serve")
    shares = "\n".join(json.loads((old / "demo" / "logins.json").read_text())["recovery_shares"]) + "\n"
    key_file = tmp_path / "backup.key"
    public = run_refuge(old, "backup", "--new-key", str(key_file)).stdout.rsplit(" ", 1)[-1].strip()
    backup, witness = tmp_path / "move.backup", tmp_path / "witness.jsonl"

    # 1. On the old server, while it runs.
    with running_server(old, REFUGE_BACKUP_PUBLIC_KEYS=public):
        run_refuge(old, "audit", "export", "--output", str(witness))
        made = run_refuge(old, "backup", "--output", str(backup), REFUGE_BACKUP_PUBLIC_KEYS=public)
    assert "written to" in made.stdout and backup.stat().st_mode & 0o777 == 0o600
    checked = run_refuge(old, "backup", "--verify", str(backup), "--key-file", str(key_file))
    assert checked.stdout.startswith("OK: backup ")
    before = _digests(old)

    # 2. The new server: the same secrets, a new database.
    shutil.copytree(tmp_path / "old" / "var-secrets", tmp_path / "new" / "var-secrets")
    run_refuge(new, "init", **new_database)

    # 3. Restore with the coordinators' shares and the witness; 4. check.
    restored = _refuge(new, "restore", str(backup), "--witness", str(witness), stdin=shares, **new_database)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith("Restored backup ")
    run_refuge(new, "audit", "verify", **new_database)
    assert _digests(new, **new_database) == before

    # The same file again, or into a non-empty installation: refused, nothing changed.
    again = _refuge(new, "restore", str(backup), "--key-file", str(key_file), **new_database)
    assert again.returncode == 1 and "REFUSED, nothing was changed: this installation is not empty" in again.stderr
    assert _digests(new, **new_database) == before


def test_a_backup_older_than_the_witness_is_refused(tmp_path: Path) -> None:
    old, new = tmp_path / "old" / "var", tmp_path / "new" / "var"
    run_refuge(old, "demo", "--no-serve")
    stale = tmp_path / "stale.backup"
    shares = "\n".join(json.loads((old / "demo" / "logins.json").read_text())["recovery_shares"]) + "\n"
    run_refuge(old, "backup", "--output", str(stale))
    # Later work on the old server, signed and exported to the witness.
    run_refuge(old, "backup", "--output", str(tmp_path / "newer.backup"))
    witness = tmp_path / "witness.jsonl"
    run_refuge(old, "audit", "export", "--output", str(witness))
    shutil.copytree(tmp_path / "old" / "var-secrets", tmp_path / "new" / "var-secrets")
    run_refuge(new, "init")
    refused = _refuge(new, "restore", str(stale), "--witness", str(witness), stdin=shares)
    assert refused.returncode == 1
    assert "REFUSED, nothing was changed: the backup does not match the witness" in refused.stderr
    assert (
        run_refuge(
            new,
            "manage",
            "shell",
            "-v",
            "0",
            "-c",
            "from refuge.accounts.models import Organisation; print(Organisation.objects.count())",
        ).stdout.strip()
        == "0"
    )
