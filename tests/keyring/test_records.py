"""Field encryption through the registry: a value opens only where it was written."""

from __future__ import annotations

import pytest

from refuge.accounts.models import Organisation
from refuge.crypto import CryptoError
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.keyring import KeyNotHeld
from refuge.keyring.models import Key, KeyWrap, Purpose
from refuge.keyring.records import (
    blind_index_key,
    decrypt_column,
    decrypt_text,
    do_ensure_blind_index_key,
    encrypt_column,
    intake_group_key,
    open_sealed_column,
    register_encrypted,
    registrations,
    seal_column,
    server_secret_for,
)
from tests.keyring.conftest import Org, Persona
from tests.keyring_testapp.models import Envelope, Note


@pytest.fixture
def record_key(north: Org, alice: Persona) -> tuple[Key, bytes]:
    return do_create_key(
        actor=alice.user, organisation=north.organisation, purpose=Purpose.RECORD, members=[alice.user]
    )


def saved_note(key: Key, secret: bytes, body: str) -> Note:
    note = Note(key=key)
    encrypt_column(note, "body", body, secret, key)
    note.save()
    note.refresh_from_db()  # memoryview on PostgreSQL, as in production reads
    return note


def test_a_column_round_trips_through_the_database(record_key: tuple[Key, bytes]) -> None:
    key, secret = record_key

    note = saved_note(key, secret, "Семья в Тбилиси")

    assert decrypt_text(note, "body", secret, key) == "Семья в Тбилиси"
    assert "Тбилиси".encode() not in bytes(note.body)


def test_a_value_copied_to_another_row_column_or_version_does_not_open(record_key: tuple[Key, bytes]) -> None:
    key, secret = record_key
    note = saved_note(key, secret, "Secret")
    other = saved_note(key, secret, "Other")

    other.body = note.body
    note.title = note.body
    with pytest.raises(CryptoError):
        decrypt_column(other, "body", secret, key)
    with pytest.raises(CryptoError):
        decrypt_column(note, "title", secret, key)
    with pytest.raises(CryptoError):
        decrypt_column(note, "body", secret, Key(pk=key.pk, organisation_id=key.organisation_id, version=2))


def test_a_flipped_byte_does_not_open(record_key: tuple[Key, bytes]) -> None:
    key, secret = record_key
    note = saved_note(key, secret, "Secret")
    tampered = bytearray(note.body)
    tampered[-1] ^= 1

    note.body = bytes(tampered)

    with pytest.raises(CryptoError):
        decrypt_column(note, "body", secret, key)


def test_only_registered_columns_under_the_rows_own_key_are_encrypted(
    north: Org, alice: Persona, record_key: tuple[Key, bytes]
) -> None:
    key, secret = record_key
    other_key, other_secret = do_create_key(actor=alice.user, organisation=north.organisation, purpose="record")
    note = Note(key=key)

    with pytest.raises(ValueError):
        encrypt_column(note, "id", "x", secret, key)
    with pytest.raises(ValueError):
        encrypt_column(note, "body", "x", other_secret, other_key)
    with pytest.raises(ValueError):
        encrypt_column(Organisation(), "name", "x", secret, key)


def test_register_encrypted_refuses_columns_that_are_not_binary() -> None:
    with pytest.raises(ValueError):
        register_encrypted(key_field="key", columns=("id",))(Note)
    with pytest.raises(ValueError):
        register_encrypted(key_field="body", columns=("title",))(Note)
    assert {r.model for r in registrations()} >= {Note, Envelope}


def test_a_sealed_value_moved_to_another_row_is_refused(north: Org, alice: Persona) -> None:
    key, private = do_create_key(
        actor=None, organisation=north.organisation, purpose=Purpose.INTAKE_GROUP, members=[alice.user]
    )
    first, second = Envelope(group_key=key), Envelope(group_key=key)
    seal_column(first, "sealed_secret", b"first request key", key)

    second.sealed_secret = first.sealed_secret

    assert open_sealed_column(first, "sealed_secret", private, key) == b"first request key"
    with pytest.raises(CryptoError):
        open_sealed_column(second, "sealed_secret", private, key)
    assert intake_group_key(north.organisation) == key


def test_the_server_opens_a_blind_index_key_with_its_own_key(north: Org) -> None:
    key, secret = do_create_key(
        actor=None, organisation=north.organisation, purpose=Purpose.BLIND_INDEX, label="blind-index:phone"
    )

    assert server_secret_for(key) == secret


def test_the_server_opens_no_other_key(record_key: tuple[Key, bytes]) -> None:
    key, _ = record_key

    with pytest.raises(ValueError):
        server_secret_for(key)


def test_a_server_wrap_copied_to_another_key_does_not_open(north: Org) -> None:
    phone = do_ensure_blind_index_key(actor=None, organisation=north.organisation, field="phone")
    name = do_ensure_blind_index_key(actor=None, organisation=north.organisation, field="name")
    phone_wrap = KeyWrap.objects.get(key=phone, holder_kind="server")

    KeyWrap.objects.filter(key=name, holder_kind="server").update(wrapped=bytes(phone_wrap.wrapped))

    with pytest.raises(CryptoError):
        server_secret_for(name)


def test_a_blind_index_key_is_made_once_per_field(north: Org) -> None:
    first = do_ensure_blind_index_key(actor=None, organisation=north.organisation, field="phone")
    again = do_ensure_blind_index_key(actor=None, organisation=north.organisation, field="phone")

    assert first == again == blind_index_key(north.organisation, "phone")
    assert Key.objects.filter(purpose=Purpose.BLIND_INDEX).count() == 1
    with pytest.raises(ValueError):
        do_ensure_blind_index_key(actor=None, organisation=north.organisation, field="Phone number")


def test_a_blind_index_key_without_its_server_wrap_is_not_held(north: Org) -> None:
    key = do_ensure_blind_index_key(actor=None, organisation=north.organisation, field="phone")
    KeyWrap.objects.filter(key=key, holder_kind="server").delete()

    with pytest.raises(KeyNotHeld):
        server_secret_for(key)
