"""The first address after arrival: kept in the requester's arrival compartment, read by its holders only."""

from __future__ import annotations

import datetime
import json

import pytest

from refuge.applications import travel
from refuge.applications.models import Journey
from refuge.audit.models import AuditEntry
from refuge.cases.actions.compartments import do_grant_compartment, do_save_compartment
from refuge.cases.models import Case, Compartment
from refuge.cases.queries import read_compartment
from refuge.keyring.records import decrypt_text, encrypt_column
from refuge.relocation.audit_events import RelocationEvent
from tests.personas import World
from tests.workspace.people_support import open_case, requester_of, ring

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
ADDRESS = "Gedimino pr. 9-3 CANARY-FIRST-ADDRESS"
NOT_GIVEN = "which you have not been given"


@pytest.fixture
def case(world: World) -> Case:
    return open_case(world)  # team: Alice and Bob


def _departed(world: World, case: Case) -> None:
    alice = ring(world.alice)
    leg = travel.Leg(departs_on=TODAY.isoformat(), origin="Nalchik", destination="Vilnius")
    travel.do_add_travel_leg(actor=world.alice.user, keyring=alice, case=case, leg=leg)
    departure = travel.Departure(TODAY.isoformat(), True, True, True, True)
    travel.do_record_departure(actor=world.alice.user, keyring=alice, case=case, departure=departure)


def _arrival_form(world: World) -> dict[str, str]:
    return {
        "arrival-arrived_on": TODAY.isoformat(),
        "arrival-receiving_partner": "LGL",
        "arrival-first_address": ADDRESS,
        "arrival-owner": str(world.bob.user.pk),
    }


def _journey_json(world: World, case: Case) -> dict:  # type: ignore[type-arg]
    journey = Journey.objects.select_related("key").get(case=case)
    return json.loads(decrypt_text(journey, "details", ring(world.alice).secret_for(case.key), journey.key))


def test_the_first_address_is_kept_in_the_arrival_compartment_for_its_holders_only(
    world: World, client_for, case: Case
) -> None:
    _departed(world, case)
    alice, bob = client_for(world.alice), client_for(world.bob)
    assert alice.post(f"/cases/{case.pk}/travel/arrival/", _arrival_form(world)).status_code == 302
    case.refresh_from_db()
    assert case.stage == "arrived"
    compartment = Compartment.objects.select_related("key").get(person=requester_of(case), kind="arrival")
    assert read_compartment(compartment, ring(world.alice)) == {"first_address": ADDRESS}
    # Not under the case key any more: the journey's own record has no address at all.
    assert "first_address" not in _journey_json(world, case)["arrival"]
    assert ADDRESS in alice.get(f"/cases/{case.pk}/travel/").content.decode()
    # Bob is on the team but was not given the compartment: he learns who holds it, not the address.
    page = bob.get(f"/cases/{case.pk}/travel/").content.decode()
    assert ADDRESS not in page and NOT_GIVEN in page and "alice" in page
    assert ADDRESS not in bob.get(f"/cases/{case.pk}/people/{requester_of(case).pk}/arrival/").content.decode()
    compartment.person = requester_of(case)
    do_grant_compartment(
        actor=world.alice.user, keyring=ring(world.alice), compartment=compartment, member=world.bob.user
    )
    assert ADDRESS in bob.get(f"/cases/{case.pk}/travel/").content.decode()


def test_an_arrival_is_refused_when_the_member_was_not_given_the_existing_compartment(
    world: World, client_for, case: Case
) -> None:
    person = requester_of(case)
    do_save_compartment(
        actor=world.alice.user,
        keyring=ring(world.alice),
        person=person,
        kind="arrival",
        data={"address_notes": "Alice's notes"},
        version=None,
    )
    _departed(world, case)
    response = client_for(world.bob).post(f"/cases/{case.pk}/travel/arrival/", _arrival_form(world))
    assert response.status_code == 400
    assert "which you have not been given" in response.content.decode()
    case.refresh_from_db()
    assert case.stage == "travel" and not _journey_json(world, case)["arrival"]["arrived_on"]
    # Alice holds it: her arrival keeps her notes and adds the address.
    assert client_for(world.alice).post(f"/cases/{case.pk}/travel/arrival/", _arrival_form(world)).status_code == 302
    compartment = Compartment.objects.select_related("key").get(person=person, kind="arrival")
    assert read_compartment(compartment, ring(world.alice)) == {
        "address_notes": "Alice's notes",
        "first_address": ADDRESS,
    }


def _store_the_old_way(world: World, case: Case) -> None:
    """A journey as issue #12's first version stored it: the first address under the case key."""
    _departed(world, case)
    journey = Journey.objects.select_related("key").get(case=case)
    details = _journey_json(world, case)
    details["arrival"] = {
        "arrived_on": TODAY.isoformat(),
        "status_at_destination": "",
        "receiving_partner": "LGL",
        "first_address": ADDRESS,
    }
    secret = ring(world.alice).secret_for(case.key)
    encrypt_column(journey, "details", json.dumps(details), secret, journey.key)
    journey.arrived_month = TODAY.replace(day=1)
    journey.save()


def test_an_address_stored_under_the_case_key_moves_into_the_compartment_when_the_team_opens_travel(
    world: World, client_for, case: Case
) -> None:
    _store_the_old_way(world, case)
    person = requester_of(case)
    assert not Compartment.objects.filter(person=person, kind="arrival").exists()
    page = client_for(world.bob).get(f"/cases/{case.pk}/travel/").content.decode()
    assert ADDRESS in page  # Bob moved it: the compartment he made is his
    compartment = Compartment.objects.select_related("key").get(person=person, kind="arrival")
    assert read_compartment(compartment, ring(world.bob)) == {"first_address": ADDRESS}
    assert "first_address" not in _journey_json(world, case)["arrival"]
    assert _journey_json(world, case)["arrival"]["receiving_partner"] == "LGL"
    moved = AuditEntry.objects.filter(code=RelocationEvent.FIRST_ADDRESS_MOVED, object_id=str(case.pk))
    assert moved.count() == 1
    # Moved once: Alice, who was not given it, now sees whose compartment holds it, not the address.
    page = client_for(world.alice).get(f"/cases/{case.pk}/travel/").content.decode()
    assert ADDRESS not in page and NOT_GIVEN in page
    assert moved.count() == 1


def test_an_old_address_waits_for_a_holder_when_the_compartment_is_someone_elses(
    world: World, client_for, case: Case
) -> None:
    _store_the_old_way(world, case)
    person = requester_of(case)
    do_save_compartment(
        actor=world.alice.user,
        keyring=ring(world.alice),
        person=person,
        kind="arrival",
        data={"address_notes": "kept by Alice"},
        version=None,
    )
    page = client_for(world.bob).get(f"/cases/{case.pk}/travel/").content.decode()
    assert ADDRESS not in page and NOT_GIVEN in page
    assert "first_address" in _journey_json(world, case)["arrival"]  # not moved by Bob
    assert ADDRESS in client_for(world.alice).get(f"/cases/{case.pk}/travel/").content.decode()
    compartment = Compartment.objects.select_related("key").get(person=person, kind="arrival")
    assert read_compartment(compartment, ring(world.alice)) == {
        "address_notes": "kept by Alice",
        "first_address": ADDRESS,
    }
    assert "first_address" not in _journey_json(world, case)["arrival"]
