"""The `refuge` command as an operator uses it: real processes, production settings."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.server import REFUGE, initialised_organisation, refuge_env, run_refuge

pytestmark = pytest.mark.slow


def _refuge(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [REFUGE, *args], env=refuge_env(data_dir), capture_output=True, text=True, timeout=180, input=stdin, check=False
    )


def test_refuge_help_lists_every_command(tmp_path: Path) -> None:
    result = _refuge(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("init", "serve", "demo", "createorg", "createuser", "audit", "check"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.MULTILINE), command


def test_an_unknown_command_is_refused_with_the_list(tmp_path: Path) -> None:
    result = _refuge(tmp_path, "launch")
    assert result.returncode == 2
    assert "unknown command" in result.stderr


def test_init_creates_private_secret_files_and_a_wal_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    result = run_refuge(data_dir, "init")
    # Beside the data directory, not in it: a backup of var/ holds no secret (issue #16).
    secrets = tmp_path / "var-secrets"
    assert f"secrets:        {secrets}" in result.stdout
    assert not (data_dir / "secrets").exists()
    assert secrets.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in secrets.iterdir()) == [
        "audit_signing_key",
        "receipt_pepper",
        "secret_key",
        "server_key",
    ]
    assert all(p.stat().st_mode & 0o077 == 0 for p in secrets.iterdir())
    first = {p.name: p.read_bytes() for p in secrets.iterdir()}
    run_refuge(data_dir, "init")  # safe to run again: secrets are never replaced
    assert first == {p.name: p.read_bytes() for p in secrets.iterdir()}
    header = (data_dir / "refuge.sqlite3").read_bytes()[:20]
    assert header[18:20] == b"\x02\x02", "the database file must be in WAL mode"


def test_the_data_directory_and_the_database_files_are_for_the_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    run_refuge(data_dir, "init")
    assert data_dir.stat().st_mode & 0o777 == 0o700
    assert (data_dir / "refuge.sqlite3").stat().st_mode & 0o777 == 0o600
    # -wal and -shm exist while a connection is open: look at them from inside one.
    modes = _refuge(
        data_dir,
        "manage",
        "shell",
        "-v",
        "0",
        "-c",
        "import os; from django.db import connection; from refuge.accounts.models import User; User.objects.count(); "
        "path = connection.settings_dict['NAME']; "
        "print(*(oct(os.stat(path + suffix).st_mode & 0o777) for suffix in ('', '-wal', '-shm')))",
    )
    assert modes.stdout.split() == ["0o600", "0o600", "0o600"], modes.stderr
    # A database left readable by others (an older version) is narrowed at the next start.
    os.chmod(data_dir / "refuge.sqlite3", 0o644)
    run_refuge(data_dir, "check")
    assert (data_dir / "refuge.sqlite3").stat().st_mode & 0o777 == 0o600


def test_no_command_prints_pikepdfs_greeting(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    run_refuge(data_dir, "init")
    for args in (["--help"], ["init", "--help"], ["check"], ["createorg", "--help"]):
        result = _refuge(data_dir, *args)
        assert result.returncode == 0, result.stderr
        assert "pikepdf" not in result.stdout + result.stderr, args
        assert " INFO " not in result.stderr, args


def test_secrets_left_inside_the_data_directory_keep_working_and_a_check_says_how_to_move_them(
    tmp_path: Path,
) -> None:
    data_dir, moved_to = tmp_path / "var", tmp_path / "var-secrets"
    run_refuge(data_dir, "init")
    # An installation made before issue #16 keeps its secrets in var/secrets/.
    moved_to.rename(data_dir / "secrets")
    before = {p.name: p.read_bytes() for p in (data_dir / "secrets").iterdir()}
    run_refuge(data_dir, "init")  # no fresh secrets beside it: they would orphan every receipt
    assert not moved_to.exists()
    checked = _refuge(data_dir, "check")
    assert checked.returncode == 0, checked.stderr
    assert "refuge.W004" in checked.stderr
    assert f"mv {data_dir / 'secrets'} {moved_to}" in checked.stderr
    # Doing what the hint says: the same secrets, from the new place, and no warning.
    subprocess.run(["mv", str(data_dir / "secrets"), str(moved_to)], check=True)
    checked = _refuge(data_dir, "check")
    assert checked.returncode == 0 and "refuge.W004" not in checked.stdout + checked.stderr
    assert before == {p.name: p.read_bytes() for p in moved_to.iterdir()}


def test_demo_sets_up_the_organisation_and_prints_working_logins(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    result = run_refuge(data_dir, "demo", "--no-serve", "--port", "8765")
    assert "http://127.0.0.1:8765/login/" in result.stdout
    for username in ("coordinator", "caseworker-anna", "caseworker-boris", "intake", "auditor", "admin"):
        assert username in result.stdout
    logins = json.loads((data_dir / "demo" / "logins.json").read_text())
    codes = run_refuge(data_dir, "demo", "--codes").stdout
    assert re.search(r"^coordinator\s+\d{6}$", codes, re.MULTILINE)
    assert len(logins["receipts"]) == 6
    # Running the demo again keeps the same organisation and logins.
    again = run_refuge(data_dir, "demo", "--no-serve")
    assert logins["users"][0]["totp_secret"] in again.stdout


def test_createorg_prints_shares_and_a_coordinator_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    run_refuge(data_dir, "init")
    (tmp_path / "pw").write_text("a-long-coordinator-pass\n")
    result = run_refuge(
        data_dir,
        "createorg",
        "--name",
        "North",
        "--slug",
        "north",
        "--coordinator",
        "anna",
        "--password-file",
        str(tmp_path / "pw"),
        "--threshold",
        "3",
        "--shares",
        "5",
    )
    assert len(re.findall(r"share \d: \w+( \w+){19,}", result.stdout)) == 5
    assert "TOTP secret:" in result.stdout and "personal recovery key:" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slug", "Not A Slug"], "lowercase latin letters"),
        (["--slug", "x"], "lowercase latin letters"),
        (["--slug", "status"], "reserved"),
        (["--name", ""], "name of up to 200"),
        (["--coordinator", "Анна"], "lowercase latin letters"),
        (["--threshold", "4", "--shares", "3"], "threshold"),
        (["--threshold", "two"], "invalid int value"),
        (["--threshold", "1"], "--allow-one-share"),
    ],
    ids=["spaces", "short", "reserved", "empty-name", "cyrillic-user", "threshold", "not-a-number", "one-share"],
)
def test_createorg_refuses_bad_input_clearly_and_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    data_dir = tmp_path / "var"
    run_refuge(data_dir, "init")
    (tmp_path / "pw").write_text("a-long-coordinator-pass\n")
    base = {"--name": "North", "--slug": "north", "--coordinator": "anna", "--password-file": str(tmp_path / "pw")}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    result = _refuge(data_dir, "createorg", *[item for pair in base.items() for item in pair])
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    listing = _refuge(
        data_dir,
        "manage",
        "shell",
        "-v",
        "0",
        "-c",
        "from refuge.accounts.models import Organisation as O, User as U; print(O.objects.count(), U.objects.count())",
    )
    assert listing.stdout.split() == ["0", "0"]


def test_createorg_with_one_share_is_explicit_and_warned(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    run_refuge(data_dir, "init")
    (tmp_path / "pw").write_text("a-long-coordinator-pass\n")
    args = ["--name", "North", "--slug", "north", "--coordinator", "anna", "--password-file", str(tmp_path / "pw")]
    result = _refuge(data_dir, "createorg", *args, "--threshold", "1", "--shares", "1", "--allow-one-share")
    assert result.returncode == 0, result.stderr
    assert "WARNING: threshold 1" in result.stderr
    assert "1 of these 1 shares" in result.stdout


def test_createorg_refuses_a_weak_password_and_an_unreadable_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    run_refuge(data_dir, "init")
    (tmp_path / "weak").write_text("short\n")
    (tmp_path / "binary").write_bytes(b"\xff\xfe\x00bad")
    expected = {"weak": "too short", "binary": "cannot read a password", "nope": "cannot read a password"}
    for file_name, message in expected.items():
        args = ["--name", "N", "--slug", "north", "--coordinator", "anna", "--password-file", str(tmp_path / file_name)]
        result = _refuge(data_dir, "createorg", *args)
        assert result.returncode != 0, file_name
        assert message in result.stderr, file_name


def test_createuser_adds_a_member_and_refuses_duplicates_and_unknown_orgs(tmp_path: Path) -> None:
    data_dir = initialised_organisation(
        tmp_path, slug="north", coordinator="anna", password="a-long-member-password"
    ).data_dir
    pw = str(tmp_path / "north-password")
    created = run_refuge(
        data_dir, "createuser", "--org", "north", "--username", "boris", "--role", "caseworker", "--password-file", pw
    )
    assert "TOTP secret:" in created.stdout
    duplicate = _refuge(
        data_dir, "createuser", "--org", "north", "--username", "boris", "--role", "caseworker", "--password-file", pw
    )
    assert duplicate.returncode != 0 and "already used" in duplicate.stderr
    unknown = _refuge(
        data_dir, "createuser", "--org", "nowhere", "--username", "x1", "--role", "caseworker", "--password-file", pw
    )
    assert unknown.returncode != 0 and "no organisation" in unknown.stderr
    bad_role = _refuge(
        data_dir, "createuser", "--org", "north", "--username", "x1", "--role", "king", "--password-file", pw
    )
    assert bad_role.returncode != 0 and "invalid choice" in bad_role.stderr


def test_recovery_verify_accepts_enough_shares_and_refuses_too_few_or_wrong_ones(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    run_refuge(data_dir, "init")
    (tmp_path / "pw").write_text("a-long-coordinator-pass\n")
    pw = str(tmp_path / "pw")
    north = run_refuge(
        data_dir, "createorg", "--name", "North", "--slug", "north", "--coordinator", "anna", "--password-file", pw
    )
    south = run_refuge(
        data_dir, "createorg", "--name", "South", "--slug", "south", "--coordinator", "sam", "--password-file", pw
    )
    shares = re.findall(r"share \d+: (.+)", north.stdout)
    other = re.findall(r"share \d+: (.+)", south.stdout)
    ok = _refuge(data_dir, "recovery", "verify", "--org", "north", stdin="\n".join(shares[1:]) + "\n")
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout
    too_few = _refuge(data_dir, "recovery", "verify", "--org", "north", stdin=shares[0] + "\n")
    assert too_few.returncode != 0
    assert "do not rebuild" in too_few.stderr
    wrong_org = _refuge(data_dir, "recovery", "verify", "--org", "north", stdin="\n".join(other[:2]) + "\n")
    assert wrong_org.returncode != 0
    assert "do not rebuild" in wrong_org.stderr
    garbage = _refuge(data_dir, "recovery", "verify", "--org", "north", stdin="\xff not words at all\n")
    assert garbage.returncode != 0
    assert "Traceback" not in garbage.stderr
