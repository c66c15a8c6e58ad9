"""Test personas (STYLE.md #11): two organisations and a member of every role.

Alice coordinates "north"; Bob and Bella are her caseworkers; Ivan does intake;
Audrey audits; Adam administers. Charlie coordinates another organisation,
"south", and must never see anything of "north".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.test import Client

from refuge.accounts import totp
from refuge.accounts.actions.base import Enrolment
from refuge.accounts.actions.members import do_create_member
from refuge.accounts.actions.organisation import do_create_organisation
from refuge.accounts.grants import do_approve_grants_owed_to
from refuge.accounts.models import Organisation, Role, User
from refuge.keyring.keyring import Keyring


@dataclass
class Persona:
    """A member with the secrets only they know (password, TOTP secret, recovery key)."""

    user: User
    password: str
    totp_secret: str
    recovery_code: str
    private_key: bytes

    @property
    def org_slug(self) -> str:
        return self.user.organisation.slug

    def code(self) -> str:
        return totp.code_at(self.totp_secret)

    def refresh(self) -> Persona:
        self.user.refresh_from_db()
        return self


def persona_of(enrolment: Enrolment, password: str) -> Persona:
    """The persona of a new member, from what their enrolment showed them once."""
    return Persona(
        user=enrolment.user,
        password=password,
        totp_secret=enrolment.totp_secret,
        recovery_code=enrolment.recovery_code,
        private_key=enrolment.private_key,
    )


def make_organisation(slug: str, coordinator: str) -> tuple[Organisation, Persona, list[str]]:
    password = f"{coordinator}-correct-horse"
    setup = do_create_organisation(
        name=f"{slug.title()} Rainbow", slug=slug, coordinator_username=coordinator, coordinator_password=password
    )
    return setup.organisation, persona_of(setup.coordinator, password), setup.recovery_shares


def make_member(organisation: Organisation, username: str, role: str) -> Persona:
    password = f"{username}-correct-horse"
    enrolment = do_create_member(actor=None, organisation=organisation, username=username, role=role, password=password)
    return persona_of(enrolment, password)


@dataclass
class World:
    north: Organisation
    south: Organisation
    north_shares: list[str]
    alice: Persona  # coordinator, north
    bob: Persona  # caseworker, north
    bella: Persona  # caseworker, north
    ivan: Persona  # intake, north
    audrey: Persona  # auditor, north
    adam: Persona  # administrator, north
    charlie: Persona  # coordinator, south

    def everyone(self) -> list[Persona]:
        return [self.alice, self.bob, self.bella, self.ivan, self.audrey, self.adam, self.charlie]


def build_world() -> World:
    """Both organisations and a member of every role, with Ivan's intake key approved."""
    north, alice, shares = make_organisation("north", "alice")
    south, charlie, _ = make_organisation("south", "charlie")
    world = World(
        north=north,
        south=south,
        north_shares=shares,
        alice=alice,
        bob=make_member(north, "bob", Role.CASEWORKER),
        bella=make_member(north, "bella", Role.CASEWORKER),
        ivan=make_member(north, "ivan", Role.INTAKE),
        audrey=make_member(north, "audrey", Role.AUDITOR),
        adam=make_member(north, "adam", Role.ADMINISTRATOR),
        charlie=charlie,
    )
    # Alice approves the intake key owed to Ivan (refuge/accounts/grants.py).
    approve_owed_grants(world)
    return world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def approve_owed_grants(world: World) -> None:
    """Alice, holding the intake key, approves the grants owed to north's new members (Ivan's)."""
    alice = world.alice.refresh()
    do_approve_grants_owed_to(
        actor=alice.user, keyring=Keyring(alice.user, alice.private_key), members=[p.user for p in world.everyone()]
    )


def log_in(client: Client, persona: Persona) -> None:
    """Log in through the real form, as a person would (password, TOTP code)."""
    # Each test login is fresh: the replay guard itself is tested in test_login.
    User.objects.filter(pk=persona.user.pk).update(totp_last_step=0)
    response = client.post(
        "/login/",
        {
            "organisation": persona.org_slug,
            "username": persona.user.username,
            "password": persona.password,
            "code": persona.code(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def client_for(world: World):  # type: ignore[no-untyped-def]
    """A factory of logged-in test clients, one per persona."""

    def make(persona: Persona) -> Client:
        client = Client()
        log_in(client, persona)
        return client

    return make


def without_tokens(content: bytes) -> str:
    """A page with every form value blanked (CSRF tokens, echoed input, `next` paths).

    What is left is what the server chose to say, so two answers can be compared.
    """
    return re.sub(r'value="[^"]*"', 'value=""', content.decode())
