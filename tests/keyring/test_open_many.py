"""Keyring.open_many: a page's keys opened with one query, exactly as secret_for would open them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from refuge.crypto import CryptoError, generate_keypair, seal_for
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.actions.wraps import do_revoke_key
from refuge.keyring.keyring import KeyNotHeld
from refuge.keyring.models import HolderKind, Key, KeyWrap, Purpose
from tests.keyring.conftest import Org, Persona


def record_key(org: Org, actor: Persona, *members: Persona) -> tuple[Key, bytes]:
    return do_create_key(
        actor=actor.user, organisation=org.organisation, purpose=Purpose.RECORD, members=[m.user for m in members]
    )


def test_it_opens_the_held_keys_in_one_query_and_secret_for_then_asks_nothing(
    north: Org, alice: Persona, bob: Persona
) -> None:
    held = [record_key(north, alice, alice, bob) for _ in range(5)]
    ring = bob.keyring()

    with CaptureQueriesContext(connection) as opening:
        ring.open_many([key for key, _secret in held])
    with CaptureQueriesContext(connection) as reading:
        secrets = [ring.secret_for(key) for key, _secret in held]

    assert len(opening.captured_queries) == 1
    assert len(reading.captured_queries) == 0
    assert secrets == [secret for _key, secret in held]


def test_keys_not_held_are_left_for_secret_for_to_refuse(
    north: Org, south: Org, alice: Persona, bob: Persona, bella: Persona, charlie: Persona
) -> None:
    theirs, _ = record_key(north, alice, alice, bella)
    revoked, _ = record_key(north, alice, alice, bob)
    do_revoke_key(actor=alice.user, key=revoked, member=bob.user)
    elsewhere, _ = record_key(south, charlie, charlie)
    ring = bob.keyring()

    ring.open_many([theirs, Key.objects.get(pk=revoked.pk), elsewhere])

    for key in (theirs, Key.objects.get(pk=revoked.pk), elsewhere):
        with pytest.raises(KeyNotHeld):
            ring.secret_for(key)


def test_a_wrap_of_an_older_version_is_not_opened(north: Org, alice: Persona, bob: Persona) -> None:
    key, _secret = record_key(north, alice, alice, bob)
    Key.objects.filter(pk=key.pk).update(version=key.version + 1)  # as if rotated without bob
    key.refresh_from_db()
    ring = bob.keyring()

    ring.open_many([key])

    with pytest.raises(KeyNotHeld):
        ring.secret_for(key)
    Key.objects.filter(pk=key.pk).update(version=key.version - 1)  # every wrap current again


def test_a_forged_wrap_of_a_keypair_is_refused(north: Org, alice: Persona, bob: Persona) -> None:
    key, _secret = do_create_key(
        actor=alice.user,
        organisation=north.organisation,
        purpose=Purpose.INTAKE_GROUP,
        members=[alice.user, bob.user],
        keypair=True,
    )
    # Anyone can seal to bob's public key: a private key that does not match the stored public half.
    forged = seal_for(bytes(bob.user.public_key), generate_keypair().private)
    KeyWrap.objects.filter(key=key, holder_kind=HolderKind.USER, holder_id=bob.user.pk).update(wrapped=forged)

    with pytest.raises(CryptoError):
        bob.keyring().open_many([key])


def test_a_locked_keyring_opens_nothing(north: Org, alice: Persona, bob: Persona) -> None:
    key, _secret = record_key(north, alice, alice, bob)
    ring = type(bob.keyring()).locked(bob.user)

    with CaptureQueriesContext(connection) as opening:
        ring.open_many([key])

    assert opening.captured_queries == []
    with pytest.raises(KeyNotHeld):
        ring.secret_for(key)
