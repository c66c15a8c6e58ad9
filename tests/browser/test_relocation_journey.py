"""A relocation in a real browser with JavaScript off, part of it in Russian (issue #12, "What must be shown").

A caseworker asks the advisor about a person hiding inside their country of origin with an
international passport and no ties abroad: the pathways that need the person outside the
country are left out, with that reason. Two applications are started, one from the advisor and
one from the case page's link to the start page; an appointment is recorded (its task shows
on the home page), one application is refused and the other granted; the journey is planned with a transit country, the departure and the
arrival recorded, and the case closed as relocated. The outcomes page and its CSV show the
two applications with the right counts and days. Every page is checked by axe and vnu in both
languages (conftest.py), and with REFUGE_SCREENSHOT_DIR the advisor, an application, the
travel page and the outcomes page are saved in both languages.
"""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from playwright.sync_api import Page, expect

from refuge.applications.models import Application
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.models import Case, Person, Priority
from refuge.intake.actions.submissions import do_submit_request
from refuge.keyring.keyring import Keyring
from refuge.relocation.models import Pathway
from refuge.relocation.seed import do_seed_pathways
from tests.browser.test_day_of_work import _log_in, _shot
from tests.personas import World, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = datetime.date.today()
OPENED_DAYS_AGO = 40
REFUSED = "Lithuania: Humanitarian visa"  # needs an international passport only
GRANTED = "Germany: Humanitarian admission from abroad"
LEFT_OUT = {
    "en": "Must be outside the country of origin",
    "ru": "Нужно находиться за пределами страны происхождения",
}


def _day(days_ago: int) -> str:
    return (TODAY - datetime.timedelta(days=days_ago)).isoformat()


def _a_case_in_hiding(world: World) -> Case:  # noqa: F811
    submission = do_submit_request(
        organisation=world.north,
        answers={"what_happened": "Hiding in another region since March.", "name": "Ислам Дудаев", "phone": "+7 999 2"},
        urgency="now",
        language="ru",
    )
    case = do_accept_request(
        actor=world.ivan.user,
        keyring=Keyring(world.ivan.user, world.ivan.private_key),
        request=submission.request,
        team=[world.bob.user, world.alice.user],
        priority=Priority.EMERGENCY,
    )
    # The request came in weeks ago: "days from first request to arrival" has something to count.
    Case.objects.filter(pk=case.pk).update(opened_on=TODAY - datetime.timedelta(days=OPENED_DAYS_AGO))
    return case


def _switch_language(page: Page, language: str) -> None:
    """The workspace's language switch (a plain POST, no script), from the page the member is on."""
    page.locator("#language-select").select_option(language)
    page.locator("form.lang-switch button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def _ask_the_advisor(page: Page, base: str, case: Case, language: str) -> None:
    page.goto(f"{base}/cases/{case.pk}/advisor/")
    page.locator("#id_advisor-person").select_option(label=Person.objects.get(case=case).pseudonym)
    # Radio buttons in the order: not known, yes, no.
    page.check("#id_advisor-outside_origin_2")  # no: hiding inside the country of origin
    page.check("#id_advisor-international_passport_1")  # yes
    page.check("#id_advisor-family_tie_2")  # no ties abroad
    page.locator("form[action$='/advisor/'] button[type=submit]").click()
    left_out = page.locator("#excluded-heading + ul")
    # Canada's resettlement streams and UNHCR need the person outside the country: left out, and why.
    expect(left_out.locator("li").filter(has_text="Canada").first).to_contain_text(LEFT_OUT[language])
    expect(left_out.locator("li").filter(has_text="UNHCR resettlement").first).to_contain_text(LEFT_OUT[language])
    ranked = page.locator("ol.advisor-ranked")
    expect(ranked).to_contain_text(REFUSED)
    expect(ranked).not_to_contain_text("Rainbow Refugee Assistance Partnership")
    _shot(page, f"workspace-advisor-{language}")


def _start(page: Page, pathway: str) -> str:
    page.locator("ol.advisor-ranked > li").filter(has_text=pathway).get_by_role("button").click()
    expect(page.locator("#status-heading")).to_be_visible()
    return page.url


def _start_from_the_case(page: Page, base: str, case: Case, pathway: str) -> str:
    page.goto(f"{base}/cases/{case.pk}/")
    page.locator("#applications").get_by_role("link", name="Начать заявление").click()
    country, name = pathway.split(": ", 1)
    chosen = Pathway.objects.filter(country=country, name__startswith=name).values_list("pk", flat=True)[0]
    page.locator("#id_application-person").select_option(label=Person.objects.get(case=case).pseudonym)
    page.locator("#id_application-pathway").select_option(str(chosen))
    page.locator("form[action$='/applications/new/'] button[type=submit]").click()
    expect(page.locator("#status-heading")).to_be_visible()
    return page.url


def _status(page: Page, status: str, days_ago: int, **fields: str) -> None:
    page.locator("#id_status-status").select_option(status)
    page.locator("#id_status-on").fill(_day(days_ago))
    for name, value in fields.items():
        page.locator(f"#id_status-{name}").fill(value)
    page.locator("form[action$='/status/'] button[type=submit]").click()
    expect(page.locator("#status-heading")).to_be_visible()


def test_a_relocation_from_the_advisor_to_the_outcomes_partly_in_russian(
    live_server,
    new_page,
    world: World,  # noqa: F811
) -> None:
    # A live server's tests leave a flushed database behind them: the catalogue that migrations
    # load is gone if another browser test ran first, so it is loaded again as they load it.
    do_seed_pathways()
    case = _a_case_in_hiding(world)
    base = live_server.url
    page: Page = new_page(java_script_enabled=False)
    page.set_default_timeout(60_000)  # a long walk through many pages, on a machine that may be busy
    _log_in(page, base, world.bob)

    # The advisor in English; the first application is started from it.
    _ask_the_advisor(page, base, case, "en")
    refused_url = _start(page, REFUSED)

    # The rest of the casework in Russian, switched on the page the caseworker is on.
    _switch_language(page, "ru")
    assert page.url == refused_url
    expect(page.get_by_role("heading", name="История статусов")).to_be_visible()
    _ask_the_advisor(page, base, case, "ru")
    # The second application is started from the case page's link, on the start page of its own.
    granted_url = _start_from_the_case(page, base, case, GRANTED)

    # An appointment becomes a task on the home page.
    page.locator("#id_appointment-on").fill((TODAY + datetime.timedelta(days=5)).isoformat())
    page.locator("#id_appointment-what").fill("Fingerprints at the visa centre")
    page.locator("#id_appointment-owner").select_option(str(world.bob.user.pk))
    page.locator("form[action$='/appointments/'] button[type=submit]").click()
    page.goto(f"{base}/")
    expect(page.locator("main")).to_contain_text("Fingerprints at the visa centre")

    # Submitted 25 days ago, granted 3 days ago: 22 days to the decision.
    page.goto(granted_url)
    _status(page, "submitted", 25, note="Filed at the embassy")
    _status(page, "granted", 3, visa_type="D visa")
    expect(page.locator("main")).to_contain_text("Одобрено")
    _shot(page, "workspace-application-ru")
    # Submitted 30 days ago, refused 10 days ago: 20 days.
    page.goto(refused_url)
    _status(page, "submitted", 30)
    _status(page, "refused", 10, refusal_reason="Insufficient ties to the destination")
    expect(page.locator("main")).to_contain_text("Отказ")

    # The journey: a leg through a transit country, the departure check, the arrival, closing.
    travel = f"{base}/cases/{case.pk}/travel/"
    page.goto(travel)
    page.locator("#id_leg-departs_on").fill(_day(1))
    page.locator("#id_leg-origin").fill("Нальчик")
    page.locator("#id_leg-destination").fill("Berlin")
    page.locator("#id_leg-transit").fill("Latvia")
    page.locator("form[action$='/travel/legs/'] button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Latvia")
    page.locator("#id_departure-departed_on").fill(_day(1))
    for check in ("passport_valid", "visa_valid", "exit_risk_reviewed", "shelter_ended"):
        page.check(f"#id_departure-{check}")
    page.locator("form[action$='/travel/departure/'] button[type=submit]").click()
    page.locator("#id_arrival-arrived_on").fill(TODAY.isoformat())
    page.locator("#id_arrival-receiving_partner").fill("Quarteera e.V.")
    page.locator("#id_arrival-first_address").fill("Berlin, Oranienstraße 1")
    page.locator("form[action$='/travel/arrival/'] button[type=submit]").click()
    # Bob recorded the arrival: he holds the compartment that keeps the first address.
    expect(page.locator("main")).to_contain_text("Berlin, Oranienstraße 1")
    page.locator("form[action$='/travel/close/'] button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Переезд состоялся")
    _shot(page, "workspace-travel-ru")
    closed = Case.objects.get(pk=case.pk)
    assert (closed.stage, closed.closing_reason) == ("closed", "relocated")
    assert sorted(Application.objects.filter(case=case).values_list("status", flat=True)) == ["granted", "refused"]

    # Outcomes: the two applications, each on its own pathway, with their days.
    page.goto(f"{base}/outcomes/")
    table = page.locator("table.table")
    lithuania = table.locator("tbody tr").filter(has_text="Humanitarian visa")
    germany = table.locator("tbody tr").filter(has_text="Humanitarian admission from abroad")
    # Submitted, granted, refused, withdrawn, pending; days to decision; days from request to arrival.
    expect(lithuania.locator("td.numeric")).to_have_text(["1", "0", "1", "0", "0", "20 / 20 (n=1)", "—"])
    arrival = f"{OPENED_DAYS_AGO} / {OPENED_DAYS_AGO} (n=1)"
    expect(germany.locator("td.numeric")).to_have_text(["1", "1", "0", "0", "0", "22 / 22 (n=1)", arrival])
    _shot(page, "workspace-outcomes-ru")
    exported = page.request.get(f"{base}/outcomes/outcomes.csv")
    assert exported.status == 200
    rows = {row["destination"]: row for row in csv.DictReader(io.StringIO(exported.text()))}
    assert set(rows) == {"Lithuania", "Germany"}
    assert [rows["Lithuania"][k] for k in ("submitted", "granted", "refused", "median_days_to_decision")] == [
        "1",
        "0",
        "1",
        "20",
    ]
    assert [rows["Germany"][k] for k in ("submitted", "granted", "median_days_to_decision", "arrivals")] == [
        "1",
        "1",
        "22",
        "1",
    ]
    assert rows["Germany"]["median_days_request_to_arrival"] == str(OPENED_DAYS_AGO)

    # Back in English: the same pages, for the screenshots in both languages.
    _switch_language(page, "en")
    expect(page.get_by_role("heading", name="Outcomes", exact=True)).to_be_visible()
    _shot(page, "workspace-outcomes-en")
    page.goto(granted_url)
    expect(page.locator("main")).to_contain_text("Granted")
    _shot(page, "workspace-application-en")
    page.goto(travel)
    expect(page.locator("main")).to_contain_text("Relocated")
    _shot(page, "workspace-travel-en")
    page.goto(f"{base}/cases/{case.pk}/")
    expect(page.locator("main")).to_contain_text("Relocated")
