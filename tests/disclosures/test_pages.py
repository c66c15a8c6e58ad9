"""The disclosure pages: partners, preparing with nothing pre-chosen, consent, approval shown once, download."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from django.test import Client
from django.urls import reverse

from refuge.disclosures.models import Packet, Partner
from refuge.disclosures.selection import selection_key
from tests.disclosures.support import (
    CANARIES,
    LEGAL_NAME,
    PARTNER_CANARY,
    add_partner,
    age_key,
    case_with_identity,
    open_with_age_cli,
    packet_json,
)
from tests.personas import World


def test_a_coordinator_adds_a_partner_whose_details_are_encrypted(world: World, client_for, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = age_key(tmp_path)
    alice = client_for(world.alice)
    response = alice.post(
        reverse("workspace:partner_new"),
        {
            "code_name": "lt-embassy",
            "name": PARTNER_CANARY,
            "kind": "embassy",
            "country": "Lithuania",
            "delivery": "age",
            "recipient": key.recipient,
            "contact_notes": "",
        },
    )
    partner = Partner.objects.get(code_name="lt-embassy")
    assert response.status_code == 302
    assert PARTNER_CANARY.encode() not in bytes(partner.details)
    page = alice.get(reverse("workspace:partner_detail", args=[partner.pk]))
    assert PARTNER_CANARY in page.content.decode() and key.recipient in page.content.decode()


def test_a_key_that_is_not_an_age_key_is_refused_and_nothing_is_written(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(world.alice).post(
        reverse("workspace:partner_new"),
        {"code_name": "x", "name": "X", "kind": "ngo", "country": "", "delivery": "age", "recipient": "age1nope"},
    )
    assert response.status_code == 400
    assert "This is not an age public key" in response.content.decode()
    assert not Partner.objects.exists()


def test_the_checklist_has_nothing_chosen_and_the_whole_path_works(world: World, client_for, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = age_key(tmp_path)
    case, person = case_with_identity(world)
    partner = add_partner(world, key.recipient)
    bob = client_for(world.bob)
    form = bob.get(reverse("workspace:packet_new", args=[case.pk])).content.decode()
    assert 'name="chosen"' in form and " checked" not in form
    chosen = selection_key(person, "identity", "legal_name")
    prepared = bob.post(
        reverse("workspace:packet_new", args=[case.pk]),
        {"partner": partner.pk, "purpose": "Referral", "chosen": [chosen]},
    )
    packet = Packet.objects.get()
    assert prepared.status_code == 302
    preview = bob.get(prepared["Location"]).content.decode()
    assert LEGAL_NAME in preview and "CANARY-PHONE" not in preview
    consent_url = reverse("workspace:packet_consent", args=[case.pk, packet.pk])
    consented = bob.post(
        consent_url,
        {
            "consent-who": "The requester",
            "consent-given_on": datetime.date.today().isoformat(),
            "consent-way": "phone",
            "consent-consent_purpose": "Referral",
        },
    )
    assert consented.status_code == 302
    alice = client_for(world.alice)
    produced = alice.post(
        reverse("workspace:packet_approve", args=[packet.pk]), {"expires_in_days": 7, "download_limit": 1}
    ).content.decode()
    link = re.search(r'id="packet-link">([^<]+)<', produced)
    assert link is not None
    path = link.group(1).split("testserver", 1)[1]
    partner_browser = Client()
    assert partner_browser.get(path).status_code == 200
    download = partner_browser.post(path)
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    files = open_with_age_cli(download.content, key, tmp_path)
    assert [f["value"] for p in packet_json(files)["people"] for f in p["fields"]] == [LEGAL_NAME]
    assert partner_browser.post(path).status_code == 404, "downloaded as many times as allowed"
    register = alice.get(reverse("workspace:disclosure_register")).content.decode()
    assert partner.code_name in register and case.reference in register
    for canary in CANARIES:
        assert canary not in register


def test_a_caseworker_approving_gets_404_and_a_packet_without_consent_is_refused(
    world: World, client_for, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from tests.disclosures.support import prepare

    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, age_key(tmp_path).recipient))
    url = reverse("workspace:packet_approve", args=[packet.pk])
    assert client_for(world.bob).post(url, {"expires_in_days": 7, "download_limit": 1}).status_code == 404
    refused = client_for(world.alice).post(url, {"expires_in_days": 7, "download_limit": 1})
    assert refused.status_code == 400
    assert "Record the person" in refused.content.decode()
    assert Packet.objects.get(pk=packet.pk).approved_by_id is None


def test_the_case_page_lists_the_case_disclosures(world: World, client_for, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.disclosures.support import prepare

    case, person = case_with_identity(world)
    prepare(world, case, person, add_partner(world, age_key(tmp_path).recipient))
    page = client_for(world.bob).get(reverse("workspace:case_detail", args=[case.pk])).content.decode()
    assert 'id="disclosures"' in page and "ngo-toronto" in page and "Waiting for consent" in page
