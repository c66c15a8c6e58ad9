"""Travel and arrival: the legs, the departure check, arrival with follow-ups, and the stage moves they make."""

from __future__ import annotations

import datetime

import pytest

from refuge.applications.models import Journey, TravelLeg
from refuge.cases.models import Case, Task
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
    arrival = {
        "arrival-arrived_on": TODAY.isoformat(),
        "arrival-status_at_destination": "asylum claimed",
        "arrival-receiving_partner": "LGL",
        "arrival-first_address": "Gedimino pr. 1-5",
        "arrival-owner": str(world.bob.user.pk),
    }
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
