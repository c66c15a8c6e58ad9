"""Seized at rest, safety: no schedule's rule, check-in message or duress word is readable.

A production-settings process drives a schedule (a rare time zone and an end that dates a
flight), a duress word, check-ins with a message, with the duress word and "help now"
(tests/seizure/drive_safety.py), then rotates the request key. A real server serves the
check-ins page that decrypts all of it to the coordinator and is killed with SIGKILL; every
file left is searched for every canary (the duress word also as it is compared: folded).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from tests.seizure.drive_safety import CANARIES
from tests.support.http import LoopbackClient
from tests.support.seizure import drive, find_canaries, hold_the_wal, log_in, seize, seized_files
from tests.support.server import initialised_organisation, running_server

pytestmark = pytest.mark.slow

PASSWORD = "canary-org-coordinator-pass"


def test_no_schedule_check_in_or_duress_word_is_readable_after_a_seizure(tmp_path: Path) -> None:
    org = initialised_organisation(tmp_path, slug="canary", coordinator="coord", password=PASSWORD)
    data_dir = org.data_dir
    holder = hold_the_wal(data_dir)
    ids = drive(org, PASSWORD, "tests.seizure.drive_safety")
    with running_server(data_dir) as server:
        staff = LoopbackClient("127.0.0.1", server.port)
        log_in(staff, "coord", PASSWORD, org.totp_secret)
        page = staff.get(reverse("workspace:case_check_ins", args=[ids["case"]]))
        assert page.status == 200
        # Decrypted for the team after the rotation: the canaries are really there to find.
        assert CANARIES["check-in message"] in page.text
        assert CANARIES["time zone"] in page.text
        assert "Duress word" in page.text and "Help now" in page.text
        assert CANARIES["duress word"] not in page.text, "the word itself is never stored, so never shown"
        server.kill()
    seized = seize(data_dir, holder, tmp_path / "seized")
    canaries: dict[str, str | bytes] = dict(CANARIES)
    canaries["duress word, compared form"] = CANARIES["duress word"].casefold()
    canaries["schedule end, as a date"] = "2031-07-19"
    assert find_canaries(seized_files(seized), canaries) == []
