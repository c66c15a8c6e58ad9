"""The disclosure pages of issue #14 in both languages, with JavaScript off: the support-letter
wording and its preview, a produced packet (its "Download the encrypted file" and the receipt
confirmation), and the register once the partner's receipt is confirmed. Every page passes axe
and vnu (the `new_page` fixture); with REFUGE_SCREENSHOT_DIR they are saved in docs/screenshots.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from refuge.disclosures import packets
from refuge.disclosures.models import Packet
from tests.browser.test_day_of_work import _log_in, _shot
from tests.browser.test_relocation_journey import _switch_language
from tests.disclosures.support import (
    add_partner,
    age_key,
    approve,
    case_with_identity,
    consent,
    open_with_age_cli,
    packet_json,
    prepare,
)
from tests.personas import Persona, World, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECEIVED = {"en": "Received: the partner confirmed", "ru": "Получен: партнёр подтвердил"}


def _as(page: Page, base: str, persona: Persona, language: str) -> None:
    _log_in(page, base, persona)
    if language != "en":
        _switch_language(page, language)


def _visit(page: Page, url: str, language: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    assert page.locator("html").get_attribute("lang") == language
    # The title is the page's name, not markup spilled from the page's sections.
    assert "<" not in page.title() and len(page.title()) < 120


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_disclosure_pages_in_each_language(
    live_server,
    new_page,
    tmp_path: Path,
    world: World,  # noqa: F811
    language: str,
) -> None:
    base = live_server.url
    # A packet Bob prepared, consented, approved by Alice and downloaded once by the partner,
    # who read its confirmation code with the real `age` tool.
    key = age_key(tmp_path)
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, key.recipient))
    consent(world, packet)
    produced = approve(world, packet, limit=3)
    sealed = packets.do_take_download(token=produced.token)
    assert sealed is not None
    code = packet_json(open_with_age_cli(sealed, key, tmp_path))["acknowledgement"]
    # Logged in through the English login page; Russian is then chosen with the workspace's switch.
    page = new_page(java_script_enabled=False, locale="en-US")

    # A coordinator: the support letters, one letter's wording previewed, the packet's review page.
    _as(page, base, world.alice, language)
    _visit(page, f"{base}/disclosures/letters/", language)
    expect(page.locator("a[href*='/disclosures/letters/resettlement/']").first).to_be_visible()
    _shot(page, f"disclosures-letters-{language}")
    _visit(page, f"{base}/disclosures/letters/resettlement/{language}/", language)
    page.locator("button[name=preview]").click()
    expect(page.locator("#preview")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == language
    _shot(page, f"disclosures-letter-preview-{language}")
    _visit(page, f"{base}/disclosures/{packet.pk}/", language)
    expect(page.locator("form[action$='/file/'] button")).to_be_visible()
    expect(page.locator("form[action$='/received/']")).to_be_visible()
    _shot(page, f"disclosures-packet-review-{language}")

    # The caseworker, on the case's packet page: the file and the receipt confirmation, then the code typed in.
    _as(page, base, world.bob, language)
    _visit(page, f"{base}/cases/{case.pk}/disclosures/{packet.pk}/", language)
    expect(page.locator("form[action$='/file/'] button")).to_be_visible()
    receipt = page.locator("form[action$='/received/']")
    expect(receipt).to_be_visible()
    _shot(page, f"disclosures-packet-{language}")
    receipt.locator("input[type=text]").fill(code.lower().replace("-", " "))
    receipt.locator("button[type=submit]").click()
    expect(page.locator("form[action$='/received/']")).to_have_count(0)
    assert Packet.objects.get(pk=packet.pk).received_on is not None

    # The coordinator's register shows it received.
    _as(page, base, world.alice, language)
    _visit(page, f"{base}/disclosures/", language)
    expect(page.locator("tr", has_text=case.reference)).to_contain_text(RECEIVED[language])
    _shot(page, f"disclosures-register-{language}")
