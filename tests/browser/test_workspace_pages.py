"""The main workspace pages in both languages, with JavaScript off: they render, in the right
language, and (with REFUGE_SCREENSHOT_DIR) are saved as the screenshots in docs/screenshots."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import Page, expect

from refuge.accounts.models import Role, User
from refuge.cases.actions.compartments import do_save_compartment
from refuge.cases.actions.notes import do_add_note
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.actions.people import do_add_person
from refuge.cases.actions.tasks import do_add_task
from refuge.cases.models import Compartment, Person, Priority
from refuge.intake.actions.submissions import do_submit_request
from refuge.keyring.keyring import Keyring
from refuge.shelter.actions import ShelterDetails, do_create_shelter, do_place_person
from tests.browser.test_day_of_work import _log_in, _shot
from tests.personas import World, make_member, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Words each language must show on the case list: the page is really translated.
CASES_HEADING = {"en": "Cases", "ru": "Кейсы"}


def _a_working_case(world: World) -> tuple[str, str, str]:  # noqa: F811
    alice, bob = world.alice, world.bob
    submission = do_submit_request(
        organisation=world.north,
        answers={"what_happened": "Detained for two days, phone taken.", "name": "Ахмед Дудаев", "phone": "+7 999 1"},
        urgency="now",
        language="ru",
    )
    ring = Keyring(bob.user, bob.private_key)
    case = do_accept_request(
        actor=world.ivan.user,
        keyring=Keyring(world.ivan.user, world.ivan.private_key),
        request=submission.request,
        team=[bob.user, alice.user],
        priority=Priority.EMERGENCY,
    )
    person = Person.objects.get(case=case)
    identity = Compartment.objects.get(person=person, kind="identity")
    do_save_compartment(
        actor=bob.user,
        keyring=ring,
        person=person,
        kind="identity",
        data={"legal_name": "Ахмед Дудаев", "international_passport_number": "75 4412009"},
        version=identity.version,
    )
    do_add_person(actor=bob.user, keyring=ring, case=case, role="partner")
    do_add_task(
        actor=bob.user,
        keyring=ring,
        case=case,
        title="Book the embassy appointment",
        due_on=datetime.date.today() - datetime.timedelta(days=1),
        owner=bob.user,
    )
    do_add_note(actor=bob.user, keyring=ring, case=case, body="Safe for now; needs a doctor.")
    shelter = do_create_shelter(
        actor=alice.user,
        details=ShelterDetails(code_name="Linden", capacity=2, city="Yerevan", rules="Quiet after 22", address="-"),
    )
    do_place_person(
        actor=alice.user,
        keyring=Keyring(alice.user, alice.private_key),
        person=person,
        shelter=shelter,
        starts_on=datetime.date.today(),
        planned_until=None,
    )
    return str(case.pk), str(person.pk), str(shelter.pk)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_main_workspace_pages_in_each_language(
    live_server,
    new_page,
    world: World,  # noqa: F811
    language: str,
) -> None:
    case_id, person_id, shelter_id = _a_working_case(world)
    make_member(world.north, "nina", Role.INTAKE)
    page: Page = new_page(java_script_enabled=False, locale="ru-RU" if language == "ru" else "en-US")
    base = live_server.url
    _log_in(page, base, world.alice) if language == "en" else _log_in_ru(page, base, world)
    pages = {
        "home": "/",
        "case-list": "/cases/",
        "case": f"/cases/{case_id}/",
        "person": f"/cases/{case_id}/people/{person_id}/",
        "compartment": f"/cases/{case_id}/people/{person_id}/identity/",
        "shelters": "/shelters/",
        "shelter": f"/shelters/{shelter_id}/",
        # Nina's intake key waits for a holder (Alice) on the keys page; the members page
        # shows what deactivating each member destroys.
        "grants": "/grants/",
        "members": "/members/",
    }
    for name, path in pages.items():
        response = page.goto(base + path)
        assert response is not None and response.status == 200, (name, response and response.status)
        assert page.locator("html").get_attribute("lang") == language
        _shot(page, f"workspace-{name}-{language}")
    page.goto(base + "/cases/")
    expect(page.get_by_role("heading", name=CASES_HEADING[language]).first).to_be_visible()


def _log_in_ru(page: Page, base: str, world: World) -> None:  # noqa: F811
    persona = world.alice
    User.objects.filter(pk=persona.user.pk).update(totp_last_step=0)
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.locator("#id_organisation").fill(persona.org_slug)
    page.locator("#id_username").fill(persona.user.username)
    page.locator("#id_password").fill(persona.password)
    page.locator("#id_code").fill(persona.refresh().code())
    page.locator("form.form button[type=submit]").first.click()
    page.wait_for_load_state()
