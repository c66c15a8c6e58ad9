"""A case handed from one Refuge installation to another, in a real browser (issue #14).

North (this test's live server) registers south, a receiving organisation running its own
installation, as a partner and prepares a packet for it: the caseworker chooses two fields, a document and a support letter; the
requester consents on the portal with JavaScript off; a coordinator who did not prepare it
approves; the partner downloads it once. South is a second installation started by the test (its
own data directory, database and keys, `refuge serve` in its own process): its coordinator
uploads the packet with the organisation's age key file and gets a new case whose identity and
document match what north chose, and nothing else. Every page visited, on both installations,
passes axe-core and the Nu HTML Checker (the `new_page` fixture).
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from refuge.accounts import totp
from refuge.accounts.models import User
from refuge.cases.actions.compartments import do_save_compartment
from refuge.cases.actions.documents import do_add_document
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.models import Case, Person
from refuge.disclosures.models import Packet
from refuge.intake.actions.submissions import do_submit_request
from refuge.intake.uploads import sanitise_upload
from tests.disclosures.support import AgeKey, open_with_age_cli, pdf_text
from tests.personas import Persona, World, world  # noqa: F401
from tests.support.server import initialised_organisation, running_server
from tests.workspace.people_support import ANSWERS, ring

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEGAL_NAME = "Магомед Ахмедов"
DATE_OF_BIRTH = "1994-02-17"
UNCHOSEN = "CANARY-UNCHOSEN-PHONE"
SOUTH_PASSWORD = "south-coordinator-password-2026"
OWN_CLOSING = "Write to us through the partner desk in Berlin, reference {purpose}."


def _log_in(page: Page, base: str, org: str, username: str, password: str, code: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.get_by_label("Organisation").fill(org)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()


def _log_in_north(page: Page, base: str, persona: Persona) -> None:
    # The same person may log in again within one 30 s step: let the code count once more.
    User.objects.filter(pk=persona.user.pk).update(totp_last_step=0)
    _log_in(page, base, persona.org_slug, persona.user.username, persona.password, persona.refresh().code())


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), (20, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _north_case(world: World) -> tuple[Case, Person, str]:  # noqa: F811
    """A request accepted for Alice and Bob, whose identity Bob filled, with one document."""
    submission = do_submit_request(organisation=world.north, answers=ANSWERS, urgency="now", language="en")
    case = do_accept_request(
        actor=world.ivan.user,
        keyring=ring(world.ivan),
        request=submission.request,
        team=[world.alice.user, world.bob.user],
        priority="urgent",
    )
    person = Person.objects.select_related("key", "case__key").get(case=case, role="requester")
    bob = world.bob.refresh().user
    existing = person.compartments.filter(kind="identity").first()
    identity = {"legal_name": LEGAL_NAME, "date_of_birth": DATE_OF_BIRTH, "phone": UNCHOSEN}
    do_save_compartment(
        actor=bob,
        keyring=ring(world.bob),
        person=person,
        kind="identity",
        data=identity,
        version=existing.version if existing else None,
    )
    data = _png()
    upload = sanitise_upload("travel-document.png", io.BytesIO(data), len(data))
    do_add_document(actor=bob, keyring=ring(world.bob), case=Case.objects.get(pk=case.pk), upload=upload)
    return Case.objects.get(pk=case.pk), person, submission.receipt


def test_a_case_is_referred_to_another_installation_and_imported_there(
    live_server,
    new_page,
    tmp_path: Path,
    world: World,  # noqa: F811
) -> None:
    north = live_server.url
    # South's installation: its own data directory, keys and server process; its age key made
    # with the standard tool, the public line given to north.
    south = initialised_organisation(tmp_path / "south", slug="south", coordinator="carla", password=SOUTH_PASSWORD)
    key_file = tmp_path / "south-referral-key.txt"
    subprocess.run(["age-keygen", "-o", str(key_file)], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", str(key_file)], check=True, capture_output=True, text=True)
    case, _person, receipt = _north_case(world)
    page = new_page(java_script_enabled=False)

    # North's coordinator registers south as a partner, with south's public key.
    _log_in_north(page, north, world.alice)
    page.goto(f"{north}/partners/")
    page.get_by_role("link", name="Add a partner").click()
    page.get_by_label("Code name", exact=True).fill("south-refuge")
    page.get_by_label("Name", exact=True).fill("South Refuge")
    page.get_by_label("Kind", exact=True).select_option(value="refuge")
    page.get_by_label("Country", exact=False).fill("Germany")
    page.get_by_label("How packets reach them").select_option(value="age")
    page.get_by_label("age public key", exact=False).fill(recipient.stdout.strip())
    page.get_by_role("button", name="Add the partner").click()
    expect(page.get_by_text("The partner south-refuge is added.")).to_be_visible()
    page.goto(f"{north}/partners/")
    page.get_by_role("link", name="south-refuge").click()
    expect(page.get_by_text(recipient.stdout.strip())).to_be_visible()
    page.get_by_role("link", name="Change").click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The partner is saved.")).to_be_visible()

    # From the menu, the coordinator writes the organisation's own wording of the resettlement
    # letter in English: previewed (nothing saved), then saved.
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Disclosures").click()
    page.get_by_role("link", name="Support letters").click()
    page.locator("tr", has_text="Resettlement referral").filter(has_text="English").get_by_role("link").click()
    page.get_by_label("Closing", exact=True).fill(OWN_CLOSING)
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.get_by_text("through the partner desk in Berlin").last).to_be_visible()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("The letter's wording is saved.")).to_be_visible()

    # The caseworker prepares the packet: two fields, the document, a letter; nothing pre-chosen.
    _log_in_north(page, north, world.bob)
    page.goto(f"{north}/cases/{case.pk}/")
    page.get_by_role("link", name="Prepare a disclosure").click()
    assert page.locator("input[type=checkbox]:checked").count() == 0
    page.get_by_role("combobox", name="Partner").select_option(label="south-refuge")
    page.get_by_label("Purpose", exact=True).fill("Hand-over to the receiving organisation in Germany")
    page.get_by_label("Legal name (as in the passport)", exact=True).check()
    page.get_by_label("Date of birth", exact=True).check()
    page.get_by_label("travel-document.png").check()
    page.get_by_role("combobox", name="Support letter").select_option(value="resettlement")
    page.get_by_role("combobox", name="Language of the letter").select_option(value="en")
    page.get_by_role("button", name="Prepare the packet").click()
    expect(page.get_by_text("The packet is prepared.")).to_be_visible()
    expect(page.get_by_text("Resettlement referral").first).to_be_visible()
    assert UNCHOSEN not in page.content()
    page.get_by_role("button", name="Ask the requester on their portal page").click()
    packet = Packet.objects.get(case=case)

    # The requester consents on the portal, JavaScript off, with the receipt only.
    requester = new_page(java_script_enabled=False)
    requester.goto(f"{north}/r/request/")
    requester.get_by_label("Your receipt").fill(receipt)
    requester.get_by_role("button", name="Open my request").click()
    expect(requester.get_by_text("The team asks for your consent")).to_be_visible()
    expect(requester.get_by_text("Legal name (as in the passport)")).to_be_visible()
    expect(requester.get_by_text("travel-document.png", exact=False)).to_be_visible()
    assert "south-refuge" not in requester.content()
    requester.get_by_role("button", name="Yes, I agree").click()
    expect(requester.get_by_text("Thank you: your answer has been sent to the team.")).to_be_visible()
    assert Packet.objects.get(pk=packet.pk).consent_recorded

    # A coordinator who did not prepare it approves; the link is shown once.
    _log_in_north(page, north, world.alice)
    page.goto(f"{north}/disclosures/")
    page.get_by_role("link", name=case.reference).click()
    page.get_by_label("Downloads allowed").fill("2")
    page.get_by_role("button", name="Approve and produce the packet").click()
    link = page.locator("#packet-link").inner_text().strip()
    assert link.startswith(f"{north}/r/packet/")

    # The partner downloads it, once.
    partner = new_page(java_script_enabled=False)
    partner.goto(link)
    with partner.expect_download() as download:
        partner.get_by_role("button", name="Download the packet").click()
    sealed = tmp_path / "packet.zip.age"
    download.value.save_as(str(sealed))
    assert Packet.objects.get(pk=packet.pk).downloads == 1
    (tmp_path / "opened").mkdir()
    opened = open_with_age_cli(sealed.read_bytes(), AgeKey(key_file, recipient.stdout.strip()), tmp_path / "opened")
    assert "through the partner desk in Berlin" in " ".join(pdf_text(opened["letter.pdf"], tmp_path).split())
    # The coordinator also takes it as a file, to hand over another way: the second download.
    page.goto(f"{north}/disclosures/{packet.pk}/")
    with page.expect_download() as taken:
        page.get_by_role("button", name="Download the encrypted file").click()
    assert Path(taken.value.path()).read_bytes() == sealed.read_bytes()
    assert Packet.objects.get(pk=packet.pk).downloads == 2
    partner.goto(link)
    expect(partner.get_by_role("button", name="Download the packet")).to_have_count(0)

    # The referral is delivered: the caseworker closes north's case as referred.
    _log_in_north(page, north, world.bob)
    page.goto(f"{north}/cases/{case.pk}/disclosures/{packet.pk}/")
    page.get_by_role("button", name="Close the case as referred").click()
    expect(page.get_by_text("The case is closed as referred.")).to_be_visible()
    assert Case.objects.get(pk=case.pk).closing_reason == "referred"

    # South imports it through its workspace, as a new case under its own keys.
    with running_server(south.data_dir) as server:
        base = f"http://127.0.0.1:{server.port}"
        _log_in(page, base, "south", "carla", SOUTH_PASSWORD, totp.code_at(south.totp_secret))
        page.goto(f"{base}/disclosures/")
        page.get_by_role("link", name="Import a referral").click()
        page.get_by_label("The packet (packet.zip.age)").set_input_files(str(sealed))
        page.get_by_label("This organisation's age key file").set_input_files(str(key_file))
        page.get_by_role("button", name="Import as a new case").click()
        expect(page.get_by_text("The referral is imported as case")).to_be_visible()
        told = page.get_by_text("Give the sending organisation this confirmation code").inner_text()
        code = told.rsplit(": ", 1)[1].strip()
        expect(page.get_by_text(f"Referred by {world.north.name} on")).to_be_visible()
        expect(page.get_by_text("travel-document.png")).to_be_visible()
        page.locator("main a[href*='/people/']").first.click()
        page.goto(page.url.split("#")[0].rstrip("/") + "/identity/")
        expect(page.get_by_text(LEGAL_NAME)).to_be_visible()
        expect(page.get_by_text(DATE_OF_BIRTH)).to_be_visible()
        assert UNCHOSEN not in page.content()

    # South's coordinator tells north the code; north's caseworker confirms the receipt.
    _log_in_north(page, north, world.bob)
    page.goto(f"{north}/cases/{case.pk}/disclosures/{packet.pk}/")
    page.get_by_label("Confirmation code").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Confirm the receipt").click()
    expect(page.get_by_text("The partner's receipt is confirmed.")).to_be_visible()
    _log_in_north(page, north, world.alice)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Disclosures").click()
    expect(page.locator("tr", has_text=case.reference)).to_contain_text("Received: the partner confirmed")
