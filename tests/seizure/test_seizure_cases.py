"""Seized at rest, cases: nothing of a case, its people, their compartments or its shelter is readable.

A production-settings process drives every case feature through the real actions with
a canary in every sensitive field and file (tests/seizure/drive_cases.py): the narrative,
legal name, passport numbers, registered address, SOGIESC, medical needs, a perpetrator
in the contact graph, a passport scan's name and content inside the identity compartment,
notes, tasks, expenses, a document's name and content, a message to the requester, a
shelter's city, rules and address, a partner's name and contact notes, a disclosure
packet's purpose, content, consent and its copy of the case's document (and the packet
produced for the partner, with a support letter); an
application's embassy, city, reference numbers, fees, an appointment, a status note and a
refusal reason; a travel route, transit country, exit risk, receiving partner and first
address after arrival; then a team member is removed, which rotates every key. A real
server then serves the pages that decrypt all of it to the coordinator, and is killed
with SIGKILL. Every file left is searched for every canary.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.urls import reverse

from refuge.intake.uploads import sanitise_upload
from tests.seizure.drive_cases import CANARIES, _pdf
from tests.support.http import LoopbackClient
from tests.support.seizure import drive, find_canaries, hold_the_wal, log_in, seize, seized_files
from tests.support.server import initialised_organisation, running_server

pytestmark = pytest.mark.slow

PASSWORD = "canary-org-coordinator-pass"


def test_nothing_of_a_case_is_readable_after_a_seizure(tmp_path: Path) -> None:
    org = initialised_organisation(tmp_path, slug="canary", coordinator="coord", password=PASSWORD)
    data_dir = org.data_dir
    holder = hold_the_wal(data_dir)
    ids = drive(org, PASSWORD, "tests.seizure.drive_cases")
    with running_server(data_dir) as server:
        staff = LoopbackClient("127.0.0.1", server.port)
        log_in(staff, "coord", PASSWORD, org.totp_secret)
        case_page = staff.get(reverse("workspace:case_detail", args=[ids["case"]]))
        assert case_page.status == 200
        assert CANARIES["note"] in case_page.text, "the coordinator on the team reads the case decrypted"
        assert CANARIES["narrative"] in case_page.text
        for kind in ("identity", "sogiesc", "medical", "contacts", "arrival"):
            page = staff.get(reverse("workspace:compartment", args=[ids["case"], ids["person"], kind]))
            assert page.status == 200
        identity = staff.get(reverse("workspace:compartment", args=[ids["case"], ids["person"], "identity"]))
        assert CANARIES["compartment file name"] in identity.text, "the coordinator holds the identity"
        scan = staff.get(
            reverse(
                "workspace:compartment_file", args=[ids["case"], ids["person"], "identity", ids["compartment_file"]]
            )
        )
        # Decrypted whole (the sanitised PDF's streams are compressed: its text is not searched here).
        assert scan.status == 200 and scan.body.startswith(b"%PDF")
        application = staff.get(reverse("workspace:application_detail", args=[ids["case"], ids["application"]]))
        assert CANARIES["reference number"] in application.text and CANARIES["refusal reason"] in application.text
        journey = staff.get(reverse("workspace:travel", args=[ids["case"]]))
        assert CANARIES["arrival address"] in journey.text and CANARIES["transit country"] in journey.text
        # The first address is kept in the arrival compartment (its own key), given to the coordinator.
        arrival = staff.get(reverse("workspace:compartment", args=[ids["case"], ids["person"], "arrival"]))
        assert CANARIES["arrival address"] in arrival.text
        shelter = staff.get(reverse("workspace:shelter_detail", args=[ids["shelter"]]))
        assert CANARIES["shelter rules"] in shelter.text
        embassy = staff.get(reverse("workspace:partner_detail", args=[ids["embassy"]]))
        assert CANARIES["partner contact"] in embassy.text
        packet = staff.get(reverse("workspace:packet_review", args=[ids["packet"]]))
        assert CANARIES["consent who"] in packet.text and CANARIES["packet purpose"] in packet.text
        assert CANARIES["letter wording"] in packet.text, "the packet keeps the wording it was approved with"
        letter = staff.get(reverse("workspace:letter_template_edit", args=["visa", "ru"]))
        assert CANARIES["letter wording"] in letter.text
        server.kill()
    seized = seize(data_dir, holder, tmp_path / "seized")
    canaries: dict[str, str | bytes] = dict(CANARIES)
    # The scan is stored as sanitised (its page text deflated): its deflated page is searched for too.
    canaries["compartment file stream"] = _deflated_page(CANARIES["compartment file content"])
    assert find_canaries(seized_files(seized), canaries) == []


def _deflated_page(text: str) -> bytes:
    """The compressed content stream of the sanitised one-page PDF that carries `text`, as it is stored."""
    sanitised = sanitise_upload("scan.pdf", io.BytesIO(_pdf(text))).data
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", sanitised, re.S)
    assert streams and max(len(stream) for stream in streams) >= 16
    return max(streams, key=len)
