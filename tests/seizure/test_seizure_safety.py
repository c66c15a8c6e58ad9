"""Seized at rest, safety: no schedule's rule, check-in message or duress word is readable.

A production-settings process drives a schedule (a rare time zone and an end that dates a
flight), a duress word, check-ins with a message, with the duress word and "help now"
(tests/seizure/drive_safety.py), then rotates the request key. A real server serves the
check-ins page that decrypts all of it to the coordinator and is killed with SIGKILL; every
file left is searched for every canary (the duress word also as it is compared: folded).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from django.urls import reverse

from refuge.accounts import totp
from tests.seizure.drive_safety import CANARIES
from tests.support.http import LoopbackClient
from tests.support.seizure import find_canaries, seized_files
from tests.support.server import initialised_organisation, run_refuge, running_server

pytestmark = pytest.mark.slow

PASSWORD = "canary-org-coordinator-pass"
ROOT = Path(__file__).resolve().parents[2]


def test_no_schedule_check_in_or_duress_word_is_readable_after_a_seizure(tmp_path: Path) -> None:
    org = initialised_organisation(tmp_path, slug="canary", coordinator="coord", password=PASSWORD)
    data_dir = org.data_dir
    holder = sqlite3.connect(data_dir / "refuge.sqlite3")
    holder.execute("SELECT count(*) FROM sqlite_master").fetchone()
    driven = run_refuge(
        data_dir,
        "manage",
        "shell",
        "-c",
        "from tests.seizure.drive_safety import main; main()",
        SEIZURE_PASSWORD=PASSWORD,
        SEIZURE_TOTP=org.totp_secret,
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
    ids = json.loads(driven.stdout.strip().splitlines()[-1])
    with running_server(data_dir) as server:
        staff = LoopbackClient("127.0.0.1", server.port)
        login = staff.post_form(
            "/login/",
            {
                "organisation": "canary",
                "username": "coord",
                "password": PASSWORD,
                "code": totp.code_at(org.totp_secret),
            },
        )
        assert login.status == 302
        page = staff.get(reverse("workspace:case_check_ins", args=[ids["case"]]))
        assert page.status == 200
        # Decrypted for the team after the rotation: the canaries are really there to find.
        assert CANARIES["check-in message"] in page.text
        assert CANARIES["time zone"] in page.text
        assert "Duress word" in page.text and "Help now" in page.text
        assert CANARIES["duress word"] not in page.text, "the word itself is never stored, so never shown"
        server.kill()
    seized = tmp_path / "seized"
    shutil.copytree(data_dir, seized)
    holder.close()
    assert Path(f"{seized / 'refuge.sqlite3'}-wal").exists(), "the WAL must be part of what is searched"
    canaries: dict[str, str | bytes] = dict(CANARIES)
    canaries["duress word, compared form"] = CANARIES["duress word"].casefold()
    canaries["schedule end, as a date"] = "2031-07-19"
    assert find_canaries(seized_files(seized), canaries) == []
