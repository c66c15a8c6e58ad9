"""Seized at rest: what the JSON API is sent never reaches the database, its WAL or the logs.

A real server (gunicorn, production settings, SQLite in WAL mode): a coordinator makes an
API token bound to a script's key pair on the account page; the script sends a partner's
referral with canary answers, and lists cases with its private key unlocking the member's;
then the server is killed with SIGKILL, and every file it left is searched for the token,
the script's private key, the member's private key, the receipt and the referral's answers.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest

from refuge.crypto import generate_keypair, unwrap_with_password
from tests.support.http import LoopbackClient
from tests.support.seizure import find_canaries, log_in, seized_files
from tests.support.server import initialised_organisation, running_server

pytestmark = pytest.mark.slow

PASSWORD = "CANARY-api-pass-5e2b"
STORY = "CANARY-referral-story-8d41 detained at the border"
NAME = "CANARY-referral-name-2c9a"


def test_nothing_the_api_is_sent_is_readable_in_what_a_seizure_yields(tmp_path: Path) -> None:
    org = initialised_organisation(tmp_path, slug="canary", coordinator="coord", password=PASSWORD)
    data_dir = org.data_dir
    holder = sqlite3.connect(data_dir / "refuge.sqlite3")  # keeps the WAL from being folded back
    holder.execute("SELECT count(*) FROM sqlite_master").fetchone()
    script = generate_keypair()
    script_private = base64.b64encode(script.private).decode()
    with running_server(data_dir) as server:
        client = LoopbackClient("127.0.0.1", server.port)
        log_in(client, "coord", PASSWORD, org.totp_secret)
        csrf = client.get("/account/tokens/").csrf_token()
        form = {
            "csrfmiddlewaretoken": csrf,
            "name": "referral bridge",
            "scopes": ["referrals:write", "cases:read"],
            "days": "30",
            "unlock_public_key": base64.b64encode(script.public).decode(),
        }
        made = client.raw(
            "POST",
            "/account/tokens/",
            urlencode(form, doseq=True).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert made.status == 200, made.text[:500]
        token = re.search(r"refuge_[A-Za-z0-9_-]{43}", made.text).group(0)  # type: ignore[union-attr]
        api = LoopbackClient("127.0.0.1", server.port)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        referral = {"what_happened": STORY, "where_now": "Tbilisi", "urgency": "now", "name": NAME}
        sent = api.raw("POST", "/api/v1/referrals", json.dumps(referral).encode(), headers)
        assert sent.status == 201, sent.text[:500]
        receipt = json.loads(sent.text)["receipt"]
        listed = api.raw("GET", "/api/v1/cases", b"", {**headers, "Refuge-Unlock": script_private})
        assert listed.status == 200, listed.text[:500]
        server.kill()
    seized = tmp_path / "seized"
    shutil.copytree(data_dir, seized)
    holder.close()
    database = seized / "refuge.sqlite3"
    assert Path(f"{database}-wal").exists(), "the WAL must be part of what is searched"
    with sqlite3.connect(data_dir / "refuge.sqlite3") as connection:
        (wrap,) = connection.execute("SELECT private_key_password_wrap FROM accounts_user").fetchone()
    canaries: dict[str, str | bytes] = {
        "API token": token,
        "script private key": script.private,
        "script private key, base64": script_private,
        "member private key": unwrap_with_password(bytes(wrap), PASSWORD),
        "receipt": receipt,
        "referral story": STORY,
        "referral name": NAME,
    }
    files = seized_files(seized)
    assert any(path.name == "server.log" for path in files)
    assert find_canaries(files, canaries) == []
