"""Seized at rest, intake: nothing a requester or the team wrote or uploaded is readable.

A real server (gunicorn, production settings, SQLite in WAL mode) is driven over
loopback as people would: a requester submits a request with canaries in every
field and a PDF whose name and page content are canaries; a coordinator logs in,
reads it and replies; the requester comes back with the receipt, reads the reply
and answers. Then the server is killed with SIGKILL and every file it left is
searched for every canary (raw, UTF-16, hex, base64, any letter case).
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import sqlite3
from pathlib import Path

import pikepdf
import pytest

from refuge.accounts import totp
from tests.support.http import LoopbackClient
from tests.support.seizure import find_canaries, seized_files
from tests.support.server import initialised_organisation, running_server

pytestmark = pytest.mark.slow

PASSWORD = "canary-org-coordinator-pass"
CANARIES = {
    "what happened": "CANARY-story-Kadyrovtsy-took-my-phone-7d1e",
    "where now": "CANARY-Kaspiysk-flat-of-aunt-5c2a",
    "contact": "CANARY-signal-after-nine-0b9f",
    "name": "CANARY Руслан Хасанов",
    "phone": "+7 999 431-77-10",
    "document number": "CANARY-4510-998877",
    "others at risk": "CANARY-my-partner-Timur-e3a4",
    "file name": "CANARY-passport-scan-91ab",
    "file content": "CANARY-file-content-page-text-44c0",
    "reply": "CANARY-reply-are-you-safe-tonight-2f6d",
    "answer": "CANARY-answer-yes-with-a-friend-8e17",
}


def _pdf_with_text(text: str) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].Contents = pdf.make_stream(f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode())
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    return out.getvalue()


def _submit(requester: LoopbackClient) -> str:
    form = requester.get("/r/canary/ask/")
    token = re.search(r'name="form_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    fields = {
        "csrfmiddlewaretoken": form.csrf_token(),
        "form_token": token,
        "what_happened": CANARIES["what happened"],
        "where_now": CANARIES["where now"],
        "urgency": "now",
        "contact": CANARIES["contact"],
        "name": CANARIES["name"],
        "phone": CANARIES["phone"],
        "document_number": CANARIES["document number"],
        "others_at_risk": CANARIES["others at risk"],
    }
    files = [("files", CANARIES["file name"] + ".pdf", _pdf_with_text(CANARIES["file content"]))]
    answer = requester.post_multipart("/r/canary/ask/", fields, files)
    assert answer.status == 200, answer.text[:2000]
    groups = re.findall(r'<span class="receipt__group">([0-9A-Z]{4})</span>', answer.text)
    assert len(groups) == 5, "the receipt page shows the receipt in five groups"
    return "-".join(groups)


def _reply_as_coordinator(staff: LoopbackClient, secret: str) -> None:
    login = staff.post_form(
        "/login/", {"organisation": "canary", "username": "coord", "password": PASSWORD, "code": totp.code_at(secret)}
    )
    assert login.status == 302
    inbox = staff.get("/requests/")
    request_id = re.search(r"/requests/([0-9a-f-]{36})/", inbox.text).group(1)  # type: ignore[union-attr]
    detail = staff.get(f"/requests/{request_id}/")
    assert CANARIES["what happened"] in detail.text, "the coordinator reads the request decrypted"
    reply = staff.request(
        "POST",
        f"/requests/{request_id}/reply/",
        {"csrfmiddlewaretoken": detail.csrf_token(), "body": CANARIES["reply"]},
    )
    assert reply.status == 302


def _come_back_and_answer(requester: LoopbackClient, receipt: str) -> None:
    opened = requester.post_form("/r/status/", {"receipt": receipt})
    assert opened.status == 302
    page = requester.get("/r/request/")
    assert CANARIES["reply"] in page.text, "the requester reads the team's reply"
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    sent = requester.post_multipart(
        "/r/request/", {"csrfmiddlewaretoken": page.csrf_token(), "form_token": token, "body": CANARIES["answer"]}, []
    )
    assert sent.status in {200, 302}, sent.text[:1000]


def test_nothing_a_requester_or_the_team_wrote_is_readable_after_a_seizure(tmp_path: Path) -> None:
    org = initialised_organisation(tmp_path, slug="canary", coordinator="coord", password=PASSWORD)
    data_dir, secret = org.data_dir, org.totp_secret

    # Another open connection (a backup tool, a second process) keeps SQLite from
    # folding the WAL back and deleting it, so the seizure always includes a WAL.
    holder = sqlite3.connect(data_dir / "refuge.sqlite3")
    holder.execute("SELECT count(*) FROM sqlite_master").fetchone()
    with running_server(data_dir) as server:
        requester = LoopbackClient("127.0.0.1", server.port)
        receipt = _submit(requester)
        _reply_as_coordinator(LoopbackClient("127.0.0.1", server.port), secret)
        _come_back_and_answer(LoopbackClient("127.0.0.1", server.port), receipt)
        server.kill()
    seized = tmp_path / "seized"
    shutil.copytree(data_dir, seized)
    holder.close()
    assert Path(f"{seized / 'refuge.sqlite3'}-wal").exists(), "the WAL must be part of what is searched"

    canaries: dict[str, str | bytes] = {
        **CANARIES,
        "receipt": receipt,
        "receipt without dashes": receipt.replace("-", ""),
    }
    assert find_canaries(seized_files(seized), canaries) == []


def _secret_canaries(secrets_dir: Path) -> dict[str, str | bytes]:
    """Each secret file's text and, for the base64 keys, the key bytes themselves."""
    canaries: dict[str, str | bytes] = {}
    for path in sorted(secrets_dir.iterdir()):
        text = path.read_text().strip()
        canaries[path.name] = text
        if path.name.endswith("_key") and path.name != "secret_key":
            canaries[f"{path.name} (bytes)"] = base64.b64decode(text)
    return canaries


def test_a_copy_of_the_data_directory_holds_no_secret(tmp_path: Path) -> None:
    """What docs/configuration.md says to back up opens nothing (issue #16): no server key, pepper or signing key."""
    org = initialised_organisation(tmp_path, slug="canary", coordinator="coord", password=PASSWORD)
    with running_server(org.data_dir) as server:
        _submit(LoopbackClient("127.0.0.1", server.port))
        server.kill()
    backup = tmp_path / "backup"
    shutil.copytree(org.data_dir, backup)
    secrets_dir = tmp_path / "var-secrets"
    canaries = _secret_canaries(secrets_dir)
    assert set(canaries) >= {"secret_key", "receipt_pepper", "server_key (bytes)", "audit_signing_key (bytes)"}
    assert find_canaries(seized_files(backup), canaries) == []
    # And the secrets are where `refuge init` said, private to the account Refuge runs as.
    assert all(path.stat().st_mode & 0o077 == 0 for path in secrets_dir.iterdir())
