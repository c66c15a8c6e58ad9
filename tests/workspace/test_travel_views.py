"""Travel and arrival: the legs, the departure check, arrival with follow-ups, and the stage moves they make."""

from __future__ import annotations

import datetime
import re

import pytest

from refuge.applications.models import Journey, TravelLeg
from refuge.cases.models import Case, CaseEvent, Task
from tests.personas import World
from tests.workspace.people_support import open_case

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
CHECKS = {
    "departure-passport_valid": "on",
    "departure-visa_valid": "on",
    "departure-exit_risk_reviewed": "on",
    "departure-shelter_ended": "on",
}


@pytest.fixture
def case(world: World) -> Case:
    return open_case(world)  # team: Alice and Bob


def _arrival(world: World) -> dict[str, str]:
    """The arrival form filled in whole, today, with Bob to follow up."""
    return {
        "arrival-arrived_on": TODAY.isoformat(),
        "arrival-status_at_destination": "asylum claimed",
        "arrival-receiving_partner": "LGL",
        "arrival-first_address": "Gedimino pr. 1-5",
        "arrival-owner": str(world.bob.user.pk),
    }


def _leg(client, case: Case) -> int:  # type: ignore[no-untyped-def]
    data = {
        "leg-departs_on": (TODAY - datetime.timedelta(days=2)).isoformat(),
        "leg-origin": "Nalchik",
        "leg-destination": "Vilnius",
        "leg-transport": "bus, then train",
        "leg-transit": "Belarus\n",
        "leg-exit_risk": "Phones are searched at the Belarus border",
        "leg-accompanied_by": "a volunteer",
    }
    return client.post(f"/cases/{case.pk}/travel/legs/", data).status_code


def test_the_journey_moves_the_case_to_travel_arrived_and_closed_relocated(
    world: World, client_for, case: Case
) -> None:
    alice = client_for(world.alice)
    assert _leg(alice, case) == 302
    leg = TravelLeg.objects.get(case=case)
    assert b"Belarus" not in bytes(leg.details)
    page = alice.get(f"/cases/{case.pk}/travel/").content.decode()
    assert "Nalchik → Vilnius" in page and "Transit: Belarus" in page
    departed = TODAY - datetime.timedelta(days=2)
    # Every item of the departure check must be confirmed.
    missing = alice.post(f"/cases/{case.pk}/travel/departure/", {"departure-departed_on": departed.isoformat()})
    assert missing.status_code == 400
    assert "Every item of the departure check must be confirmed first." in missing.content.decode()
    case.refresh_from_db()
    assert case.stage == "accepted"
    # Closing as relocated before an arrival is refused.
    alice.post(f"/cases/{case.pk}/travel/close/")
    case.refresh_from_db()
    assert case.stage == "accepted"
    assert (
        alice.post(
            f"/cases/{case.pk}/travel/departure/", {"departure-departed_on": departed.isoformat(), **CHECKS}
        ).status_code
        == 302
    )
    case.refresh_from_db()
    assert case.stage == "travel"
    arrival = _arrival(world)
    assert alice.post(f"/cases/{case.pk}/travel/arrival/", arrival).status_code == 302
    case.refresh_from_db()
    assert case.stage == "arrived"
    journey = Journey.objects.get(case=case)
    assert b"Gedimino" not in bytes(journey.details)
    assert journey.arrived_month == TODAY.replace(day=1) and journey.days_to_arrival == (TODAY - case.opened_on).days
    follow_ups = sorted(Task.objects.filter(case=case, owner=world.bob.user).values_list("due_on", flat=True))
    assert follow_ups == [TODAY + datetime.timedelta(days=days) for days in (30, 90, 180)]
    assert alice.post(f"/cases/{case.pk}/travel/close/").status_code == 302
    case.refresh_from_db()
    assert (case.stage, case.closing_reason) == ("closed", "relocated")


def test_an_arrival_before_the_departure_is_refused(world: World, client_for, case: Case) -> None:
    alice = client_for(world.alice)
    _leg(alice, case)
    alice.post(f"/cases/{case.pk}/travel/departure/", {"departure-departed_on": TODAY.isoformat(), **CHECKS})
    response = alice.post(
        f"/cases/{case.pk}/travel/arrival/", {"arrival-arrived_on": (TODAY - datetime.timedelta(days=1)).isoformat()}
    )
    assert response.status_code == 400
    assert "The arrival cannot be before the departure." in response.content.decode()
    case.refresh_from_db()
    assert case.stage == "travel"


def test_travel_is_the_teams_only(world: World, client_for, case: Case) -> None:
    assert client_for(world.bella).get(f"/cases/{case.pk}/travel/").status_code == 404
    assert client_for(world.charlie).post(f"/cases/{case.pk}/travel/close/").status_code == 404


def test_the_stage_form_offers_neither_travel_nor_arrived_and_refuses_them_posted(
    world: World, client_for, case: Case
) -> None:
    alice = client_for(world.alice)
    stage = {"stage-version": case.version, "stage-stage": "applying"}
    assert alice.post(f"/cases/{case.pk}/stage/", stage).status_code == 302
    case.refresh_from_db()
    page = alice.get(f"/cases/{case.pk}/").content.decode()
    offered = re.search(r'<select name="stage-stage".*?</select>', page, re.S)
    assert offered is not None
    # From applying the table allows travel; the form leaves it to the departure record.
    assert 'value="documents"' in offered.group(0)
    assert 'value="travel"' not in offered.group(0) and 'value="arrived"' not in offered.group(0)
    refused = "when its departure or arrival is recorded on its travel page"
    events = CaseEvent.objects.filter(case=case).count()
    response = alice.post(f"/cases/{case.pk}/stage/", {"stage-version": case.version, "stage-stage": "travel"})
    assert response.status_code == 400 and refused in response.content.decode()
    case.refresh_from_db()
    assert case.stage == "applying" and CaseEvent.objects.filter(case=case).count() == events
    # The departure record moves it there.
    assert _leg(alice, case) == 302
    departed = {"departure-departed_on": TODAY.isoformat(), **CHECKS}
    assert alice.post(f"/cases/{case.pk}/travel/departure/", departed).status_code == 302
    case.refresh_from_db()
    assert case.stage == "travel"
    # From travel the table allows arrived: the form offers it not, and refuses it posted.
    page = alice.get(f"/cases/{case.pk}/").content.decode()
    offered = re.search(r'<select name="stage-stage".*?</select>', page, re.S)
    assert offered is not None and 'value="applying"' in offered.group(0) and 'value="arrived"' not in offered.group(0)
    events = CaseEvent.objects.filter(case=case).count()
    response = alice.post(f"/cases/{case.pk}/stage/", {"stage-version": case.version, "stage-stage": "arrived"})
    assert response.status_code == 400 and refused in response.content.decode()
    case.refresh_from_db()
    assert case.stage == "travel" and CaseEvent.objects.filter(case=case).count() == events


def test_the_stage_refusal_is_translated(world: World, client_for, case: Case) -> None:
    alice = client_for(world.alice)
    alice.post(f"/cases/{case.pk}/stage/", {"stage-version": case.version, "stage-stage": "applying"})
    case.refresh_from_db()
    alice.cookies["__Host-refuge-lang"] = "ru"
    response = alice.post(f"/cases/{case.pk}/stage/", {"stage-version": case.version, "stage-stage": "travel"})
    assert response.status_code == 400
    assert "когда на его странице поездки записаны отъезд или прибытие" in response.content.decode()


def test_closing_as_relocated_by_hand_waits_for_the_arrival_record(world: World, client_for, case: Case) -> None:
    alice = client_for(world.alice)
    refused = "A case is closed as relocated once its arrival is recorded"

    def close(reason: str):  # type: ignore[no-untyped-def]
        case.refresh_from_db()
        data = {"stage-version": case.version, "stage-stage": "closed", "stage-closing_reason": reason}
        return alice.post(f"/cases/{case.pk}/stage/", data)

    response = close("relocated")
    assert response.status_code == 400 and refused in response.content.decode()
    case.refresh_from_db()
    assert (case.stage, case.closing_reason) == ("accepted", "")
    alice.cookies["__Host-refuge-lang"] = "ru"
    assert "после того, как записано его прибытие" in close("relocated").content.decode()
    alice.cookies["__Host-refuge-lang"] = "en"
    # Departed but not arrived: still refused.
    assert _leg(alice, case) == 302
    departed = {"departure-departed_on": (TODAY - datetime.timedelta(days=2)).isoformat(), **CHECKS}
    assert alice.post(f"/cases/{case.pk}/travel/departure/", departed).status_code == 302
    assert close("relocated").status_code == 400
    case.refresh_from_db()
    assert case.stage == "travel"
    # Once the arrival is recorded, the stage form closes it as relocated too.
    arrival = {"arrival-arrived_on": TODAY.isoformat(), "arrival-owner": str(world.bob.user.pk)}
    assert alice.post(f"/cases/{case.pk}/travel/arrival/", arrival).status_code == 302
    assert close("relocated").status_code == 302
    case.refresh_from_db()
    assert (case.stage, case.closing_reason) == ("closed", "relocated")


def test_the_stage_form_offers_closing_as_relocated_only_once_arrived(world: World, client_for, case: Case) -> None:
    alice = client_for(world.alice)

    def reasons() -> str:
        page = alice.get(f"/cases/{case.pk}/").content.decode()
        offered = re.search(r'<select name="stage-closing_reason".*?</select>', page, re.S)
        assert offered is not None and 'value="self_relocated"' in offered.group(0)
        return offered.group(0)

    case.refresh_from_db()
    assert case.stage == "accepted" and 'value="relocated"' not in reasons()
    assert _leg(alice, case) == 302
    departed = {"departure-departed_on": (TODAY - datetime.timedelta(days=2)).isoformat(), **CHECKS}
    assert alice.post(f"/cases/{case.pk}/travel/departure/", departed).status_code == 302
    case.refresh_from_db()
    assert case.stage == "travel" and 'value="relocated"' not in reasons()
    # Refused posted anyway, the form shown again with the refusal still does not offer it.
    data = {"stage-version": case.version, "stage-stage": "closed", "stage-closing_reason": "relocated"}
    refused = alice.post(f"/cases/{case.pk}/stage/", data).content.decode()
    shown = re.search(r'<select name="stage-closing_reason".*?</select>', refused, re.S)
    assert shown is not None and 'value="relocated"' not in shown.group(0)
    arrival = {"arrival-arrived_on": TODAY.isoformat(), "arrival-owner": str(world.bob.user.pk)}
    assert alice.post(f"/cases/{case.pk}/travel/arrival/", arrival).status_code == 302
    case.refresh_from_db()
    assert case.stage == "arrived" and 'value="relocated"' in reasons()


def test_other_closing_reasons_need_no_arrival(world: World, client_for, case: Case) -> None:
    alice = client_for(world.alice)
    data = {"stage-version": case.version, "stage-stage": "closed", "stage-closing_reason": "self_relocated"}
    assert alice.post(f"/cases/{case.pk}/stage/", data).status_code == 302
    case.refresh_from_db()
    assert (case.stage, case.closing_reason) == ("closed", "self_relocated")


def _journey_panel(client, case: Case) -> str:  # type: ignore[no-untyped-def]
    page = client.get(f"/cases/{case.pk}/").content.decode()
    start = page.index('id="journey"')
    return page[start : page.index("</section>", start)]


def test_the_case_page_says_where_the_journey_stands(world: World, client_for, case: Case) -> None:  # type: ignore[no-untyped-def]
    alice = client_for(world.alice)
    assert "0 legs planned." in _journey_panel(alice, case)
    assert "No applications yet." in alice.get(f"/cases/{case.pk}/").content.decode()
    assert _leg(alice, case) == 302
    assert "1 leg planned." in _journey_panel(alice, case)
    departed = TODAY - datetime.timedelta(days=2)
    data = {"departure-departed_on": departed.isoformat(), **CHECKS}
    assert alice.post(f"/cases/{case.pk}/travel/departure/", data).status_code == 302
    left = f"Left in {departed:%Y-%m}; arrival not recorded yet."
    assert left in _journey_panel(alice, case)
    arrival = _arrival(world)
    assert alice.post(f"/cases/{case.pk}/travel/arrival/", arrival).status_code == 302
    assert f"Arrived in {TODAY:%Y-%m}." in _journey_panel(alice, case)
