"""Personas for the keyring tests, built with the ORM so they do not depend on enrolment.

The same names as tests/personas.py: Alice coordinates "north", Bob and Bella are her
caseworkers, Adam administers it (and may not hold case content); Charlie coordinates
"south". Each persona keeps its X25519 private key so tests can build its Keyring.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.db.models import F

from refuge.accounts.models import Organisation, Role, User
from refuge.audit.models import AuditEntry
from refuge.crypto import generate_keypair
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import HolderKind, Key, KeyWrap


@dataclass
class Org:
    organisation: Organisation
    # Only tests hold this whole: in production it exists as m-of-n shares.
    recovery_private_key: bytes = field(repr=False)


@dataclass
class Persona:
    user: User
    private_key: bytes = field(repr=False)

    def keyring(self) -> Keyring:
        return Keyring(self.user, self.private_key)


def make_org(slug: str) -> Org:
    recovery = generate_keypair()
    organisation = Organisation.objects.create(
        name=slug.title(),
        slug=slug,
        recovery_public_key=recovery.public,
        recovery_threshold=2,
        recovery_shares=3,
    )
    return Org(organisation, recovery.private)


def make_persona(org: Org, username: str, role: Role) -> Persona:
    pair = generate_keypair()
    user = User.objects.create(
        organisation=org.organisation,
        username=username,
        role=role,
        password="!",
        public_key=pair.public,
        private_key_password_wrap=b"",
        private_key_recovery_wrap=b"",
        totp_secret_sealed=b"",
    )
    return Persona(user, pair.private)


@pytest.fixture(autouse=True)
def every_key_keeps_its_recovery_wrap(db: None) -> Iterator[None]:
    """After every test: each key that is not shredded has a current recovery wrap.

    This is the "nothing lost" promise (DESIGN.md §4) checked after whatever the test did.
    """
    yield
    assert not KeyWrap.objects.exclude(key_version=F("key__version")).exists(), "stale wrap left"
    for key in Key.objects.filter(wraps__isnull=False).distinct():
        kinds = list(key.wraps.values_list("holder_kind", flat=True))
        assert kinds.count(HolderKind.RECOVERY) == 1, f"key {key.pk} lacks its recovery wrap"


@pytest.fixture
def north() -> Org:
    return make_org("north")


@pytest.fixture
def south() -> Org:
    return make_org("south")


@pytest.fixture
def alice(north: Org) -> Persona:
    return make_persona(north, "alice", Role.COORDINATOR)


@pytest.fixture
def bob(north: Org) -> Persona:
    return make_persona(north, "bob", Role.CASEWORKER)


@pytest.fixture
def bella(north: Org) -> Persona:
    return make_persona(north, "bella", Role.CASEWORKER)


@pytest.fixture
def adam(north: Org) -> Persona:
    return make_persona(north, "adam", Role.ADMINISTRATOR)


@pytest.fixture
def charlie(south: Org) -> Persona:
    return make_persona(south, "charlie", Role.COORDINATOR)


def audit_codes() -> list[int]:
    """Codes of the audit log, oldest first."""
    return list(AuditEntry.objects.order_by("seq").values_list("code", flat=True))
