"""The shelter register and stays: who sees which shelter, addresses, capacity, overdue stays."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest

from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.cases.models import Case
from refuge.keyring.models import GrantStatus, KeyGrant, KeyWrap
from refuge.shelter.models import Placement, Shelter
from refuge.shelter.queries import weekly_occupancy
from tests.personas import Persona, World
from tests.workspace.people_support import ADDRESS, CITY, new_shelter, open_case, place, requester_of

TODAY = datetime.date.today()


@pytest.fixture
def case(world: World) -> Case:
    return open_case(world)  # team: Alice and Bob


@pytest.fixture
def shelter(world: World) -> Shelter:
    return new_shelter(world)


def _new_data(**overrides: str) -> dict[str, str]:
    return {
        "code_name": "Birch",
        "capacity": "4",
        "city": "Yerevan",
        "rules": "Curfew 22:00",
        "address": "7 Birch Lane",
    } | overrides


# --- adding and changing shelters ---------------------------------------------------------------


def test_a_coordinator_adds_a_shelter_and_sees_it_in_the_register(world: World, client_for) -> None:
    alice = client_for(world.alice)
    assert alice.get("/shelters/new/").status_code == 200
    response = alice.post("/shelters/new/", _new_data())
    shelter = Shelter.objects.get(code_name="Birch")
    assert response.status_code == 302 and response["Location"] == f"/shelters/{shelter.pk}/"
    register = alice.get("/shelters/").content.decode()
    assert "Birch" in register and "Yerevan" not in register  # the list decrypts nothing
    page = alice.get(response["Location"]).content.decode()
    assert "Yerevan" in page and "Curfew 22:00" in page
    assert "7 Birch Lane" not in page  # the address needs its own step


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code_name": ""}, "Give the shelter a code name."),
        ({"code_name": "x" * 41}, "This is too long: at most 40 characters."),
        ({"capacity": "0"}, "Capacity is between 1 and 500 people."),
        ({"capacity": "501"}, "Capacity is between 1 and 500 people."),
        ({"capacity": "many"}, "Capacity is between 1 and 500 people."),
        ({"city": "Yere\x00van"}, "This contains characters that cannot be stored."),
        ({"code_name": "Linden"}, "Another shelter already has this code name."),
    ],
)
def test_bad_shelter_input_is_refused_and_adds_nothing(
    world: World, client_for, shelter: Shelter, overrides: dict[str, str], message: str
) -> None:
    response = client_for(world.alice).post("/shelters/new/", _new_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Curfew 22:00" in response.content.decode()  # typed values kept
    assert Shelter.objects.count() == 1


def test_only_coordinators_add_or_change_shelters(world: World, client_for, shelter: Shelter) -> None:
    for persona in (world.bob, world.ivan, world.audrey, world.adam):
        client = client_for(persona)
        assert client.get("/shelters/new/").status_code == 404
        assert client.post("/shelters/new/", _new_data()).status_code == 404
        assert client.get(f"/shelters/{shelter.pk}/edit/").status_code == 404
    assert client_for(world.charlie).get(f"/shelters/{shelter.pk}/edit/").status_code == 404
    assert Shelter.objects.count() == 1


def test_editing_a_shelter_and_a_stale_edit(world: World, client_for, shelter: Shelter) -> None:
    alice = client_for(world.alice)
    form = alice.get(f"/shelters/{shelter.pk}/edit/").content.decode()
    assert ADDRESS in form  # she holds the address key: she can change it
    data = {**_new_data(code_name="Linden", city="Batumi"), "active": "on", "version": str(shelter.version)}
    assert alice.post(f"/shelters/{shelter.pk}/edit/", data).status_code == 302
    stale = alice.post(f"/shelters/{shelter.pk}/edit/", {**data, "city": "Gori"})
    assert stale.status_code == 409 and "Someone else changed this shelter" in stale.content.decode()
    bad = alice.post(f"/shelters/{shelter.pk}/edit/", {**data, "capacity": "0", "version": str(shelter.version + 1)})
    assert bad.status_code == 400 and "Capacity is between 1 and 500 people." in bad.content.decode()
    page = alice.get(f"/shelters/{shelter.pk}/?show=address").content.decode()
    assert "Batumi" in page and "Gori" not in page and "7 Birch Lane" in page


# --- who sees the register ------------------------------------------------------------------------


def test_the_register_is_for_coordinators_and_the_caseworkers_of_people_placed(
    world: World, client_for, case: Case, shelter: Shelter
) -> None:
    bob = client_for(world.bob)
    assert "Linden" not in bob.get("/shelters/").content.decode()
    assert bob.get(f"/shelters/{shelter.pk}/").status_code == 404
    place(world.bob, requester_of(case), shelter)
    assert "Linden" in bob.get("/shelters/").content.decode()
    assert bob.get(f"/shelters/{shelter.pk}/").status_code == 200
    # Bella has no case there; the auditor and administrator see no shelter; Charlie is elsewhere.
    assert client_for(world.bella).get(f"/shelters/{shelter.pk}/").status_code == 404
    assert "Linden" not in client_for(world.bella).get("/shelters/").content.decode()
    for persona in (world.audrey, world.adam):
        assert client_for(persona).get("/shelters/").status_code == 404
        assert client_for(persona).get(f"/shelters/{shelter.pk}/").status_code == 404
    charlie = client_for(world.charlie)
    assert charlie.get(f"/shelters/{shelter.pk}/").status_code == 404
    assert "Linden" not in charlie.get("/shelters/").content.decode()
    assert bob.get(f"/shelters/{uuid.uuid4()}/").status_code == 404
    assert bob.get("/shelters/not-a-uuid/").status_code == 404


def test_the_shelters_link_is_for_coordinators_and_caseworkers(world: World, client_for) -> None:
    for persona in (world.alice, world.bob):
        assert 'href="/shelters/"' in client_for(persona).get("/").content.decode()
    for persona in (world.ivan, world.audrey, world.adam):
        assert 'href="/shelters/"' not in client_for(persona).get("/").content.decode()


def _approve(client, member: Persona, shelter: Shelter) -> None:  # type: ignore[no-untyped-def]
    """A holder approves, on the page of owed keys, the shelter key owed to the member."""
    grant = KeyGrant.objects.get(key=shelter.key, member=member.user, status=GrantStatus.PENDING)
    listed = client.get("/grants/").content.decode()
    assert member.user.username in listed and shelter.code_name in listed
    assert client.post(f"/grants/{grant.pk}/approve/").status_code == 302


def test_the_shelter_key_reaches_the_team_once_a_holder_approves_it(
    world: World, client_for, case: Case, shelter: Shelter
) -> None:
    # Bella is on the team now; Bob (who does not hold the shelter key) places the person.
    other = open_case(world, team=[world.bob, world.bella])
    place(world.bob, requester_of(other), shelter)
    bella = client_for(world.bella)
    waiting = bella.get(f"/shelters/{shelter.pk}/").content.decode()
    assert CITY not in waiting and "has not reached you yet" in waiting
    alice = client_for(world.alice)
    # Opening the register gives nobody a key and writes nothing: a holder's approval does.
    wraps = KeyWrap.objects.count()
    alice.get("/shelters/")
    assert KeyWrap.objects.count() == wraps
    assert CITY not in bella.get(f"/shelters/{shelter.pk}/").content.decode()
    _approve(alice, world.bella, shelter)
    opened = bella.get(f"/shelters/{shelter.pk}/").content.decode()
    assert CITY in opened
    assert AuditEntry.objects.filter(code=AuditEvent.SHELTER_READ, actor_id=world.bella.user.pk).exists()
    assert AuditEntry.objects.filter(code=AuditEvent.KEY_GRANT_APPROVED, actor_id=world.alice.user.pk).exists()


def test_the_address_is_shown_only_on_request_to_holders_and_is_audited(
    world: World, client_for, case: Case, shelter: Shelter
) -> None:
    place(world.bob, requester_of(case), shelter)
    _approve(client_for(world.alice), world.bob, shelter)  # Alice gives Bob the shelter key
    bob = client_for(world.bob)
    page = bob.get(f"/shelters/{shelter.pk}/?show=address").content.decode()
    assert CITY in page and ADDRESS not in page and "Not given to you" in page
    alice = client_for(world.alice)
    assert ADDRESS not in alice.get(f"/shelters/{shelter.pk}/").content.decode()
    assert not AuditEntry.objects.filter(code=AuditEvent.SHELTER_ADDRESS_READ).exists()
    assert ADDRESS in alice.get(f"/shelters/{shelter.pk}/?show=address").content.decode()
    assert AuditEntry.objects.filter(code=AuditEvent.SHELTER_ADDRESS_READ, actor_id=world.alice.user.pk).count() == 1
    assert alice.post(f"/shelters/{shelter.pk}/", {"member": world.bob.user.pk}).status_code == 302
    assert ADDRESS in bob.get(f"/shelters/{shelter.pk}/?show=address").content.decode()


def test_giving_the_address_refuses_bad_members_and_non_coordinators(
    world: World, client_for, case: Case, shelter: Shelter
) -> None:
    place(world.bob, requester_of(case), shelter)
    alice = client_for(world.alice)
    address_key = shelter.address.key
    before = KeyWrap.objects.filter(key=address_key).count()
    for member in (world.charlie.user.pk, world.audrey.user.pk, "nobody", ""):
        response = alice.post(f"/shelters/{shelter.pk}/", {"member": member})
        assert response.status_code == 400 and "Choose a member." in response.content.decode(), member
    assert client_for(world.bob).post(f"/shelters/{shelter.pk}/", {"member": world.bob.user.pk}).status_code == 404
    assert KeyWrap.objects.filter(key=address_key).count() == before


def test_a_caseworker_sees_only_their_own_people_in_a_shelter(
    world: World, client_for, case: Case, shelter: Shelter
) -> None:
    others = open_case(world, team=[world.bella])
    place(world.bob, requester_of(case), shelter)
    place(world.bella, requester_of(others), shelter)
    bob_page = client_for(world.bob).get(f"/shelters/{shelter.pk}/").content.decode()
    assert requester_of(case).pseudonym in bob_page
    assert requester_of(others).pseudonym not in bob_page
    assert "And 1 person of other teams" in bob_page
    alice_page = client_for(world.alice).get(f"/shelters/{shelter.pk}/").content.decode()
    assert requester_of(case).pseudonym in alice_page and requester_of(others).pseudonym in alice_page


# --- placing people -------------------------------------------------------------------------------


def _place_url(case: Case) -> str:
    return f"/cases/{case.pk}/people/{requester_of(case).pk}/place/"


def test_placing_from_the_person_page_lists_code_names_and_free_places(
    world: World, client_for, case: Case, shelter: Shelter
) -> None:
    bob = client_for(world.bob)
    page = bob.get(f"/cases/{case.pk}/people/{requester_of(case).pk}/").content.decode()
    assert "Linden — 3 free places (of 3)" in page and CITY not in page
    data = {"shelter": str(shelter.pk), "starts_on": TODAY.isoformat(), "planned_until": ""}
    assert bob.post(_place_url(case), data).status_code == 302
    page = bob.get(f"/cases/{case.pk}/people/{requester_of(case).pk}/").content.decode()
    assert "Staying in" in page and "Linden" in page and "End the stay" in page
    assert Placement.objects.filter(person=requester_of(case), ended_on__isnull=True).count() == 1


def test_a_full_shelter_refuses_a_placement_with_a_clear_message(world: World, client_for, case: Case) -> None:
    small = new_shelter(world, "Aspen", capacity=1)
    place(world.bella, requester_of(open_case(world, team=[world.bella])), small)
    page = client_for(world.bob).get(f"/cases/{case.pk}/people/{requester_of(case).pk}/").content.decode()
    assert "Aspen — full" in page
    data = {"shelter": str(small.pk), "starts_on": TODAY.isoformat()}
    response = client_for(world.bob).post(_place_url(case), data)
    assert response.status_code == 400
    assert "This shelter is full. Choose another or end a stay first." in response.content.decode()
    assert not Placement.objects.filter(person=requester_of(case)).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"shelter": ""}, "Choose one of the shelters."),
        ({"shelter": "not-a-uuid"}, "Choose one of the shelters."),
        ({"shelter": str(uuid.uuid4())}, "Choose one of the shelters."),
        ({"starts_on": "tomorrow"}, "Enter a date as YYYY-MM-DD."),
        ({"starts_on": ""}, "Enter a date."),
        ({"planned_until": "2001-01-01"}, "The planned end is before the start."),
    ],
)
def test_bad_placement_input_is_refused_and_places_nobody(
    world: World, client_for, case: Case, shelter: Shelter, overrides: dict[str, str], message: str
) -> None:
    data = {"shelter": str(shelter.pk), "starts_on": TODAY.isoformat(), "planned_until": ""} | overrides
    response = client_for(world.bob).post(_place_url(case), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Placement.objects.exists()


def test_a_shelter_of_another_organisation_cannot_be_chosen(world: World, client_for, case: Case) -> None:
    from refuge.shelter import actions

    south = actions.do_create_shelter(
        actor=world.charlie.user, details=actions.ShelterDetails("Southern Oakhouse", 5, "Baku", "", "secret")
    )
    data = {"shelter": str(south.pk), "starts_on": TODAY.isoformat()}
    response = client_for(world.bob).post(_place_url(case), data)
    assert response.status_code == 400 and "Choose one of the shelters." in response.content.decode()
    # Not a bare word: "Oak" is also one of the pseudonyms a person may be given.
    assert (
        "Southern Oakhouse"
        not in client_for(world.bob).get(f"/cases/{case.pk}/people/{requester_of(case).pk}/").content.decode()
    )
    assert not Placement.objects.exists()


def test_ending_a_stay_asks_for_the_day_and_frees_the_place(
    world: World, client_for, case: Case, shelter: Shelter
) -> None:
    stay = place(world.bob, requester_of(case), shelter, starts_on=TODAY - datetime.timedelta(days=10))
    bob = client_for(world.bob)
    url = f"/placements/{stay.pk}/end/"
    assert bob.get(url).status_code == 200
    too_early = bob.post(url, {"ended_on": (TODAY - datetime.timedelta(days=20)).isoformat()})
    assert too_early.status_code == 400 and "The stay cannot end before it started." in too_early.content.decode()
    assert bob.post(url, {"ended_on": "soon"}).status_code == 400
    stay.refresh_from_db()
    assert stay.ended_on is None
    assert bob.post(url, {"ended_on": TODAY.isoformat()}).status_code == 302
    stay.refresh_from_db()
    assert stay.ended_on == TODAY
    again = bob.post(url, {"ended_on": TODAY.isoformat()})
    assert again.status_code == 400 and "This stay has already ended." in again.content.decode()


def test_stays_are_ended_by_the_team_or_a_coordinator_only(
    world: World, client_for, case: Case, shelter: Shelter
) -> None:
    stay = place(world.bob, requester_of(case), shelter)
    for persona in (world.bella, world.ivan, world.audrey, world.charlie):
        assert (
            client_for(persona).post(f"/placements/{stay.pk}/end/", {"ended_on": TODAY.isoformat()}).status_code == 404
        )
    assert client_for(world.bob).get(f"/placements/{uuid.uuid4()}/end/").status_code == 404
    # A coordinator off the team ends it from the register and goes back there.
    off_team = open_case(world, team=[world.bob])
    other_stay = place(world.bob, requester_of(off_team), shelter)
    response = client_for(world.alice).post(f"/placements/{other_stay.pk}/end/", {"ended_on": TODAY.isoformat()})
    assert response.status_code == 302 and response["Location"] == f"/shelters/{shelter.pk}/"
    stay.refresh_from_db()
    assert stay.ended_on is None


# --- overdue stays and occupancy ---------------------------------------------------------------------


def test_an_overdue_stay_is_flagged_in_the_register_and_on_the_person(
    world: World, client_for, case: Case, shelter: Shelter
) -> None:
    place(
        world.bob,
        requester_of(case),
        shelter,
        starts_on=TODAY - datetime.timedelta(days=30),
        planned_until=TODAY - datetime.timedelta(days=2),
    )
    alice = client_for(world.alice)
    assert "1 stay past its planned date" in alice.get("/shelters/").content.decode()
    assert "Overdue" in alice.get(f"/shelters/{shelter.pk}/").content.decode()
    person_page = client_for(world.bob).get(f"/cases/{case.pk}/people/{requester_of(case).pk}/").content.decode()
    assert "This stay was planned to end on" in person_page


def test_occupancy_is_counted_per_week_for_twelve_weeks(world: World, client_for, case: Case, shelter: Shelter) -> None:
    monday = TODAY - datetime.timedelta(days=TODAY.weekday())
    place(world.bob, requester_of(case), shelter, starts_on=monday - datetime.timedelta(weeks=3))
    past = open_case(world, team=[world.bob])
    old = place(world.bob, requester_of(past), shelter, starts_on=monday - datetime.timedelta(weeks=20))
    Placement.objects.filter(pk=old.pk).update(ended_on=monday - datetime.timedelta(weeks=10, days=1))
    weeks = weekly_occupancy(Shelter.objects.get(pk=shelter.pk), TODAY)
    assert len(weeks) == 12 and weeks[-1].starts_on == monday
    assert [w.occupied for w in weeks] == [1] + [0] * 7 + [1] * 4
    page = client_for(world.alice).get(f"/shelters/{shelter.pk}/").content.decode()
    assert "Occupancy, last 12 weeks" in page
    assert len(re.findall(r'<meter class="occupancy__meter"', page)) == 12
    assert "<caption" in page and 'scope="col"' in page
