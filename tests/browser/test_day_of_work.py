"""A day of casework in a real browser with JavaScript off (issue #4).

Intake accepts a request; a coordinator assigns a caseworker; the caseworker adds the
requester's partner, records passports in the partner's identity compartment, places
the requester in a shelter, adds a task, writes to the requester and moves the case to
"documents"; a second caseworker on the team sees the case but not the passport
numbers; the first caseworker, taken off the team, can no longer open the case, and
the case keys were rotated.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from refuge.accounts.models import User
from refuge.cases.models import Case, Compartment, PersonRole, Stage, Task
from refuge.intake.actions.submissions import do_submit_request
from refuge.intake.models import HelpRequest
from refuge.keyring.models import HolderKind, KeyWrap
from refuge.shelter.actions import ShelterDetails, do_create_shelter
from refuge.shelter.models import Placement
from tests.personas import Persona, World, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("REFUGE_SCREENSHOT_DIR")
PASSPORT = "75 4412009"


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _log_in(page: Page, base: str, persona: Persona) -> None:
    # The same person logs in again within one 30 s step: let the code count once more.
    User.objects.filter(pk=persona.user.pk).update(totp_last_step=0)
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.get_by_label("Organisation").fill(persona.org_slug)
    page.get_by_label("Username").fill(persona.user.username)
    page.get_by_label("Password", exact=True).fill(persona.password)
    page.get_by_label("Code from your authenticator app").fill(persona.refresh().code())
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()


def _open_case(page: Page, base: str, reference: str) -> None:
    page.goto(f"{base}/cases/")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name=re.compile(reference)).first).to_be_visible()


def test_a_day_of_work_on_a_case_without_javascript(
    live_server,
    new_page,
    world: World,  # noqa: F811
) -> None:
    base = live_server.url
    answers = {"what_happened": "They came to my flat at night.", "name": "Ахмед Дудаев", "phone": "+7 999 100-20-30"}
    submission = do_submit_request(organisation=world.north, answers=answers, urgency="now", language="ru")
    do_create_shelter(
        actor=world.alice.user,
        details=ShelterDetails(code_name="Linden", capacity=3, city="Yerevan", rules="Quiet after 22", address="-"),
    )
    page = new_page(java_script_enabled=False)

    # Intake accepts the request and opens a case for the coordinator.
    _log_in(page, base, world.ivan)
    page.goto(f"{base}/requests/{submission.request.pk}/")
    page.get_by_role("link", name="Accept and open a case").click()
    page.get_by_label("Emergency", exact=False).check()
    page.get_by_label("alice (Coordinator)", exact=False).check()
    page.get_by_label("ivan (Intake)", exact=False).uncheck()
    _shot(page, "case-accept-en")
    page.get_by_role("button", name="Accept and open the case").click()
    case = Case.objects.get(request=submission.request)
    assert HelpRequest.objects.get(pk=submission.request.pk).status == "accepted"

    # The coordinator assigns a caseworker.
    _log_in(page, base, world.alice)
    _open_case(page, base, case.reference)
    page.get_by_text("Add someone to the team").click()
    page.get_by_label("Member to add").select_option(label="bob (Caseworker)")
    page.get_by_role("button", name="Add to the team").click()
    expect(page.get_by_text("bob").first).to_be_visible()

    # The caseworker's day.
    _log_in(page, base, world.bob)
    _open_case(page, base, case.reference)
    expect(page.get_by_text("They came to my flat at night.")).to_be_visible()
    _shot(page, "case-detail-en")
    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("Who this person is").select_option(label="Partner")
    page.get_by_role("button", name=re.compile("^Add")).click()
    partner = case.people.get(role=PersonRole.PARTNER)
    page.goto(f"{base}/cases/{case.pk}/people/{partner.pk}/identity/")
    page.get_by_label("International passport number").fill(PASSPORT)
    page.get_by_label("International passport valid until").fill("2027-09-01")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(PASSPORT)).to_be_visible()
    _shot(page, "compartment-identity-en")

    requester = case.people.get(role=PersonRole.REQUESTER)
    page.goto(f"{base}/cases/{case.pk}/people/{requester.pk}/")
    page.get_by_role("combobox", name="Shelter").select_option(index=1)
    page.get_by_role("button", name="Place in this shelter").click()
    assert Placement.objects.filter(person=requester, ended_on__isnull=True).exists()
    _shot(page, "person-detail-en")

    _open_case(page, base, case.reference)
    page.get_by_text("Add a task", exact=True).click()
    page.get_by_label("What needs doing").fill("Book the embassy appointment")
    page.get_by_label("Due on").fill("2026-12-01")
    page.get_by_role("button", name="Add the task").click()
    expect(page.get_by_text("Book the embassy appointment").first).to_be_visible()
    page.get_by_label("Message to the requester").fill("We found a safe place for you.")
    page.get_by_role("button", name="Send the message").click()
    expect(page.get_by_text("We found a safe place for you.").first).to_be_visible()
    page.get_by_label("New stage").select_option(value=Stage.DOCUMENTS)
    page.get_by_role("button", name="Change the stage").click()
    assert Case.objects.get(pk=case.pk).stage == Stage.DOCUMENTS
    # The passport's expiry made its own task.
    assert Task.objects.filter(case=case, source__endswith="international_passport_expiry").exists()

    # Bob shares the case with Bella, who sees it but not the partner's passport.
    page.get_by_text("Add someone to the team").click()
    page.get_by_label("Member to add").select_option(label="bella (Caseworker)")
    page.get_by_role("button", name="Add to the team").click()
    _log_in(page, base, world.bella)
    _open_case(page, base, case.reference)
    expect(page.get_by_text("They came to my flat at night.")).to_be_visible()
    page.goto(f"{base}/cases/{case.pk}/people/{partner.pk}/identity/")
    expect(page.get_by_text("You have not been given this compartment").first).to_be_visible()
    assert PASSPORT not in page.content()
    _shot(page, "compartment-not-given-en")

    # The coordinator takes Bob off the team; the keys he held are rotated.
    identity = Compartment.objects.select_related("key").get(person=partner, kind="identity")
    _log_in(page, base, world.alice)
    _open_case(page, base, case.reference)
    page.get_by_role("link", name="Remove bob").click()
    page.get_by_role("button", name="Yes, remove them").click()
    case.refresh_from_db()
    case.key.refresh_from_db()
    assert case.key.version == 2
    assert not KeyWrap.objects.filter(key=case.key, holder_kind=HolderKind.USER, holder=world.bob.user).exists()
    # Bob was the only member holding the partner's identity: only recovery holds it now,
    # and it waits for rotation by whoever is given it back.
    identity.key.refresh_from_db()
    assert identity.key.rotation_due
    _log_in(page, base, world.bob)
    response = page.goto(f"{base}/cases/{case.pk}/")
    assert response is not None and response.status == 404
    page.goto(f"{base}/cases/")
    assert page.get_by_role("link", name=case.reference).count() == 0
