"""Intake triages a request in a real browser with JavaScript off: read, reply, decline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from refuge.intake.actions.submissions import do_submit_request
from refuge.intake.models import HelpRequest, RequesterStatus
from refuge.intake.uploads import CleanUpload
from tests.personas import Persona, World, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("REFUGE_SCREENSHOT_DIR")


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _log_in(page: Page, base: str, persona: Persona) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Organisation").fill(persona.org_slug)
    page.get_by_label("Username").fill(persona.user.username)
    page.get_by_label("Password", exact=True).fill(persona.password)
    page.get_by_label("Code from your authenticator app").fill(persona.code())
    page.get_by_role("button", name="Log in").click()


def test_intake_reads_a_request_replies_and_declines_without_javascript(
    live_server,
    new_page,
    world: World,  # noqa: F811
) -> None:
    answers = {"what_happened": "They took my phone at a checkpoint.", "name": "Юрий", "phone": "+7 916 000-00-00"}
    upload = CleanUpload(kind="pdf", data=b"%PDF-1.4\n%%EOF\n", name="scan.pdf", removed=("author",))
    submission = do_submit_request(
        organisation=world.north, answers=answers, urgency="now", language="en", uploads=[upload]
    )
    do_submit_request(organisation=world.north, answers={"what_happened": "later"}, urgency="later", language="ru")
    reference = submission.request.reference

    page = new_page(java_script_enabled=False)
    _log_in(page, live_server.url, world.ivan)
    page.get_by_role("link", name="Requests", exact=True).click()
    expect(page.get_by_role("heading", name="Requests")).to_be_visible()
    assert "They took my phone" not in page.content()
    _shot(page, "intake-inbox-en")

    page.get_by_role("link", name=reference).click()
    expect(page.get_by_text("They took my phone at a checkpoint.")).to_be_visible()
    expect(page.get_by_role("link", name="scan.pdf")).to_be_visible()
    _shot(page, "intake-request-en")

    page.get_by_label("Your reply").fill("We read your request. Are you safe tonight?")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply is sent.")).to_be_visible()
    expect(page.get_by_text("We read your request. Are you safe tonight?")).to_be_visible()

    # An empty reply is explained next to the field; nothing is lost or sent.
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#id_body_error").get_by_text("Write a reply first.")).to_be_visible()

    # Declining asks first (a <details> confirmation, no script), with a kind text to edit.
    page.get_by_text("Decline…").click()
    assert "Thank you for trusting us" in page.get_by_label("Message to the requester").input_value()
    _shot(page, "intake-decline-en")
    page.get_by_role("button", name="Yes, decline and send").click()
    expect(page.get_by_text("The request is declined")).to_be_visible()
    assert HelpRequest.objects.get(pk=submission.request.pk).status == RequesterStatus.DECLINED
    page.get_by_role("link", name="← All open requests").click()
    assert page.get_by_role("link", name=reference).count() == 0


def test_a_caseworker_has_no_requests_link_and_gets_not_found(
    live_server,
    new_page,
    world: World,  # noqa: F811
) -> None:
    page = new_page(java_script_enabled=False)
    _log_in(page, live_server.url, world.bob)
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    assert page.get_by_role("link", name="Requests").count() == 0
    response = page.goto(f"{live_server.url}/requests/")
    assert response is not None and response.status == 404
