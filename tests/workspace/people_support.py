"""Shared set-up of the people, shelter, accept and home tests: accepted cases, shelters, stays."""

from __future__ import annotations

import datetime
from typing import Any

from refuge.accounts.models import User
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.models import Case, Compartment, Person, Priority
from refuge.intake.actions.submissions import do_submit_request
from refuge.keyring.keyring import Keyring
from refuge.shelter import actions as shelter_actions
from refuge.shelter.models import Placement, Shelter
from tests.personas import Persona, World

PASSPORT = "4510 123456"
ANSWERS = {
    "what_happened": "Police came to the flat CANARY-NARRATIVE",
    "name": "Иван Петров",
    "phone": "+7 900 123 45 67",
    "document_number": PASSPORT,
}
CITY = "Tbilisi CANARY-CITY"
ADDRESS = "12 Linden Street CANARY-ADDRESS"


def ring(persona: Persona) -> Keyring:
    return Keyring(persona.refresh().user, persona.private_key)


def submit(world: World, **answers: Any) -> Any:
    return do_submit_request(
        organisation=world.north, answers={**ANSWERS, **answers}, urgency="now", language="en"
    ).request


def open_case(world: World, team: list[Persona] | None = None, priority: str = Priority.NORMAL, **answers: Any) -> Case:
    """A request accepted by Ivan (intake) for a team (default Alice and Bob)."""
    members = team if team is not None else [world.alice, world.bob]
    case = do_accept_request(
        actor=world.ivan.user,
        keyring=ring(world.ivan),
        request=submit(world, **answers),
        team=[persona.user for persona in members],
        priority=priority,
    )
    return Case.objects.select_related("key", "request__key").get(pk=case.pk)


def requester_of(case: Case) -> Person:
    return Person.objects.select_related("key", "case__key").get(case=case, role="requester")


def identity_of(person: Person) -> Compartment:
    return Compartment.objects.select_related("key", "person__case").get(person=person, kind="identity")


def new_shelter(world: World, code_name: str = "Linden", capacity: int = 3) -> Shelter:
    return shelter_actions.do_create_shelter(
        actor=world.alice.refresh().user,
        details=shelter_actions.ShelterDetails(code_name, capacity, CITY, "No visitors", ADDRESS),
    )


def place(
    persona: Persona,
    person: Person,
    shelter: Shelter,
    starts_on: datetime.date | None = None,
    planned_until: datetime.date | None = None,
) -> Placement:
    return shelter_actions.do_place_person(
        actor=persona.refresh().user,
        keyring=ring(persona),
        person=person,
        shelter=shelter,
        starts_on=starts_on or datetime.date.today(),
        planned_until=planned_until,
    )


def usernames(users: Any) -> set[str]:
    return {user.username for user in users if isinstance(user, User)}
