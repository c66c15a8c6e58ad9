"""Seized at rest: account secrets never reach the database, its WAL, sessions or logs.

A real server process (gunicorn, production settings, file-backed SQLite in WAL
mode) is driven over loopback through login, password change, duress password,
invitation and enrolment with canary secrets; then it is killed with SIGKILL —
as a seizure would stop it — and every file it left is searched.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from refuge.accounts import totp
from refuge.crypto import unwrap_with_password
from tests.support.http import LoopbackClient
from tests.support.seizure import find_canaries, hold_the_wal, log_in, seize, seized_files
from tests.support.server import initialised_organisation, running_server

pytestmark = pytest.mark.slow

FIRST_PASSWORD = "CANARY-first-pass-4d1f"
SECOND_PASSWORD = "CANARY-second-pass-9a2c"
DURESS_PASSWORD = "CANARY-duress-pass-77be"
ENROL_PASSWORD = "CANARY-enrol-pass-31f0"


def test_nothing_secret_is_readable_in_what_a_seizure_yields(tmp_path: Path) -> None:
    org = initialised_organisation(tmp_path, slug="canary", coordinator="coord", password=FIRST_PASSWORD)
    data_dir, secret, recovery_code, shares = org.data_dir, org.totp_secret, org.recovery_code, org.shares

    holder = hold_the_wal(data_dir)
    with running_server(data_dir) as server:
        client = LoopbackClient("127.0.0.1", server.port)
        log_in(client, "coord", FIRST_PASSWORD, secret)
        token = client.get("/account/").csrf_token()
        response = client.request(
            "POST",
            "/account/password/",
            {
                "csrfmiddlewaretoken": token,
                "old_password": FIRST_PASSWORD,
                "password": SECOND_PASSWORD,
                "password_again": SECOND_PASSWORD,
            },
        )
        assert response.status == 302
        token = client.get("/account/").csrf_token()
        response = client.request(
            "POST",
            "/account/duress/",
            {"csrfmiddlewaretoken": token, "current_password": SECOND_PASSWORD, "duress_password": DURESS_PASSWORD},
        )
        assert response.status == 302
        invited = client.post_form("/members/", {"username": "newcomer", "role": "caseworker"})
        enrol_token = re.search(r"/enrol/([A-Za-z0-9_-]+)/", invited.text).group(1)  # type: ignore[union-attr]
        newcomer = LoopbackClient("127.0.0.1", server.port)
        keys_page = newcomer.post_form(
            f"/enrol/{enrol_token}/", {"password": ENROL_PASSWORD, "password_again": ENROL_PASSWORD}
        )
        new_secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', keys_page.text).group(1)  # type: ignore[union-attr]
        new_recovery = re.search(r'id="recovery-key">([0-9A-Z-]+)<', keys_page.text).group(1)  # type: ignore[union-attr]
        confirm = newcomer.post_form("/enrol/confirm/", {"code": totp.code_at(new_secret)})
        assert confirm.status == 302
        assert newcomer.get("/").status == 200
        server.kill()
    seized = seize(data_dir, holder, tmp_path / "seized")
    private_keys = _private_keys(data_dir / "refuge.sqlite3", {"coord": SECOND_PASSWORD, "newcomer": ENROL_PASSWORD})
    canaries: dict[str, str | bytes] = {
        "first password": FIRST_PASSWORD,
        "second password": SECOND_PASSWORD,
        "duress password": DURESS_PASSWORD,
        "enrolment password": ENROL_PASSWORD,
        "coordinator TOTP secret": secret,
        "newcomer TOTP secret": new_secret,
        "coordinator recovery key": recovery_code,
        "newcomer recovery key": new_recovery,
        "enrolment token": enrol_token,
        **{f"recovery share {i}": share for i, share in enumerate(shares)},
        **{f"{name} private key": key for name, key in private_keys.items()},
    }
    files = seized_files(seized)
    assert any(path.name == "server.log" for path in files)
    assert find_canaries(files, canaries) == []


def _private_keys(database: Path, passwords: dict[str, str]) -> dict[str, bytes]:
    """Unwrap with the passwords (as only their owners can) to know what to search for."""
    with sqlite3.connect(database) as connection:
        rows = dict(connection.execute("SELECT username, private_key_password_wrap FROM accounts_user").fetchall())
    return {name: unwrap_with_password(bytes(rows[name]), password) for name, password in passwords.items()}
