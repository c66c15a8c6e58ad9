"""The keys the server reads at every submission: one query, secrets opened once, shredding obeyed."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from refuge.audit.events import AuditEvent
from refuge.core import rows
from refuge.crypto import CryptoError
from refuge.keyring import records
from refuge.keyring.actions.keys import do_create_key, do_store_key, prepare_key
from refuge.keyring.actions.rotation import do_rotate_key
from refuge.keyring.actions.shredding import do_shred_key
from refuge.keyring.keyring import KeyNotHeld
from refuge.keyring.models import HolderKind, Key, KeyWrap, Purpose
from refuge.keyring.records import (
    blind_index_key,
    blind_index_secrets,
    blind_index_secrets_held,
    do_ensure_blind_index_key,
    group_key_unchanged,
    intake_group_key,
    intake_keys,
    server_secret_for,
)
from tests.keyring.conftest import Org, Persona, audit_codes

FIELDS = ["name", "phone", "document_number"]


@pytest.fixture(autouse=True)
def no_remembered_wraps() -> None:
    records.forget_opened_wraps()


@pytest.fixture
def group(north: Org, alice: Persona) -> Key:
    key, _ = do_create_key(
        actor=None, organisation=north.organisation, purpose=Purpose.INTAKE_GROUP, members=[alice.user]
    )
    return key


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the server wraps actually opened (not answered from memory)."""
    calls: list[str] = []
    real = records.open_server_wrap

    def counting(wrap: KeyWrap, key: Key) -> bytes:
        calls.append(key.label)
        return real(wrap, key)

    monkeypatch.setattr(records, "open_server_wrap", counting)
    return calls


def test_the_secrets_are_the_keys_own_and_each_is_opened_once(north: Org, opened: list[str]) -> None:
    keys = {
        field: do_ensure_blind_index_key(actor=None, organisation=north.organisation, field=field) for field in FIELDS
    }
    expected = {field: server_secret_for(key) for field, key in keys.items()}
    opened.clear()

    with CaptureQueriesContext(connection) as queries:
        first = blind_index_secrets(north.organisation, FIELDS)
        again = blind_index_secrets(north.organisation, FIELDS)

    assert first == again == expected
    assert len(queries) == 2  # one per call: the wraps are read every time
    assert opened == []  # opened by server_secret_for above, remembered since


def test_a_shredded_blind_index_key_is_never_used_again(north: Org, alice: Persona) -> None:
    old_key = do_ensure_blind_index_key(actor=None, organisation=north.organisation, field="phone")
    old_secret = blind_index_secrets(north.organisation, ["phone"])["phone"]  # now remembered

    do_shred_key(actor=alice.user, key=old_key)
    secret = blind_index_secrets(north.organisation, ["phone"])["phone"]

    assert secret != old_secret
    new_key = blind_index_key(north.organisation, "phone")
    assert new_key.pk != old_key.pk
    assert server_secret_for(new_key) == secret


def test_a_key_that_lost_its_server_wrap_is_not_answered_from_memory(north: Org) -> None:
    key = do_ensure_blind_index_key(actor=None, organisation=north.organisation, field="phone")
    blind_index_secrets(north.organisation, ["phone"])

    KeyWrap.objects.filter(key=key, holder_kind=HolderKind.SERVER).delete()

    with pytest.raises(KeyNotHeld):
        blind_index_secrets(north.organisation, ["phone"])
    with pytest.raises(KeyNotHeld):
        server_secret_for(key)


def test_a_tampered_server_wrap_is_not_answered_from_memory(north: Org) -> None:
    phone = do_ensure_blind_index_key(actor=None, organisation=north.organisation, field="phone")
    name = do_ensure_blind_index_key(actor=None, organisation=north.organisation, field="name")
    blind_index_secrets(north.organisation, ["phone", "name"])
    phone_wrap = KeyWrap.objects.get(key=phone, holder_kind=HolderKind.SERVER)

    KeyWrap.objects.filter(key=name, holder_kind=HolderKind.SERVER).update(wrapped=bytes(phone_wrap.wrapped))

    with pytest.raises(CryptoError):
        blind_index_secrets(north.organisation, ["name"])


def test_a_missing_key_is_made_on_first_use_and_an_existing_one_takes_no_lock(north: Org) -> None:
    secrets = blind_index_secrets(north.organisation, ["phone"])
    key = blind_index_key(north.organisation, "phone")
    assert server_secret_for(key) == secrets["phone"]

    with CaptureQueriesContext(connection) as queries:
        again = do_ensure_blind_index_key(actor=None, organisation=north.organisation, field="phone")

    assert again == key
    assert len(queries) == 1
    assert "FOR UPDATE" not in queries[0]["sql"].upper()
    assert Key.objects.filter(purpose=Purpose.BLIND_INDEX).count() == 1


def test_a_search_reads_the_held_secrets_in_one_statement_and_makes_no_key(north: Org) -> None:
    keys = {
        field: do_ensure_blind_index_key(actor=None, organisation=north.organisation, field=field)
        for field in ["name", "phone"]
    }

    with CaptureQueriesContext(connection) as queries:
        held = blind_index_secrets_held(north.organisation, FIELDS)

    assert held == {field: server_secret_for(key) for field, key in keys.items()}
    assert len(queries) == 1
    # A field without a key has nothing indexed: it is left out, and no key is made by reading.
    assert not Key.objects.filter(label="blind-index:document_number").exists()
    assert blind_index_secrets_held(north.organisation, ["phone"]) == {"phone": held["phone"]}


def test_a_held_secret_whose_key_lost_its_server_wrap_is_not_held(north: Org) -> None:
    key = do_ensure_blind_index_key(actor=None, organisation=north.organisation, field="phone")
    blind_index_secrets_held(north.organisation, ["phone"])  # now remembered

    KeyWrap.objects.filter(key=key, holder_kind=HolderKind.SERVER).delete()

    with pytest.raises(KeyNotHeld):
        blind_index_secrets_held(north.organisation, ["phone"])
    # A field whose key was not asked for does not refuse the others.
    assert blind_index_secrets_held(north.organisation, ["name"]) == {}


def test_intake_keys_answer_what_the_orm_does(north: Org, group: Key) -> None:
    for field in FIELDS:
        do_ensure_blind_index_key(actor=None, organisation=north.organisation, field=field)

    with CaptureQueriesContext(connection) as queries:
        keys = intake_keys(north.organisation, FIELDS)

    assert len(queries) == 1
    expected = intake_group_key(north.organisation)
    assert keys.group == expected
    assert (keys.group.version, keys.group.public_key) == (expected.version, bytes(expected.public_key))
    assert keys.group.organisation == north.organisation
    assert keys.blind_index == {
        field: server_secret_for(blind_index_key(north.organisation, field)) for field in FIELDS
    }
    # Fields not read by the query are loaded on demand, never guessed.
    assert keys.group.created_on == expected.created_on


def test_intake_keys_never_offer_a_shredded_group_key(north: Org, alice: Persona, group: Key) -> None:
    Key.objects.filter(pk=group.pk).update(public_key=None)

    with pytest.raises(Key.DoesNotExist):
        intake_keys(north.organisation, [])


def test_a_rotated_or_shredded_group_key_is_noticed(north: Org, alice: Persona, group: Key) -> None:
    read = intake_keys(north.organisation, []).group
    assert group_key_unchanged(read)

    do_rotate_key(actor=alice.user, keyring=alice.keyring(), key=group)

    assert not group_key_unchanged(read)
    assert group_key_unchanged(intake_keys(north.organisation, []).group)


def test_a_key_prepared_outside_a_transaction_is_written_with_its_wraps(north: Org, alice: Persona) -> None:
    with CaptureQueriesContext(connection) as queries:
        new = prepare_key(actor=None, organisation=north.organisation, purpose=Purpose.RECORD, members=[alice.user])
    assert len(queries) == 0  # nothing read or written: all crypto

    with transaction.atomic():
        do_store_key(new, actor=None)

    assert alice.keyring().secret_for(Key.objects.get(pk=new.key.pk)) == new.secret
    assert audit_codes() == [AuditEvent.KEY_CREATED]


def test_a_caller_whose_own_entry_stands_for_the_key_writes_no_key_created(north: Org, alice: Persona) -> None:
    with transaction.atomic():
        key, secret = do_create_key(
            actor=None,
            organisation=north.organisation,
            purpose=Purpose.RECORD,
            members=[alice.user],
            audited_by_caller=True,
        )

    assert alice.keyring().secret_for(key) == secret
    assert audit_codes() == []


def test_rows_inserted_on_the_submission_path_read_back_as_the_orm_wrote_them(north: Org, alice: Persona) -> None:
    new = prepare_key(actor=None, organisation=north.organisation, purpose=Purpose.RECORD, members=[alice.user])

    with transaction.atomic():
        rows.insert_new_rows([new.key])
        rows.insert_new_rows(new.wraps)

    stored = Key.objects.get(pk=new.key.pk)
    assert (stored.purpose, stored.label, stored.version, stored.public_key) == (Purpose.RECORD, "", 1, None)
    assert stored.created_on is not None  # auto_now_add, as save() sets it
    assert not new.key._state.adding
    wraps = {wrap.holder_kind: wrap for wrap in KeyWrap.objects.filter(key=stored)}
    assert set(wraps) == {HolderKind.USER, HolderKind.RECOVERY}
    for wrap in new.wraps:
        assert bytes(wraps[wrap.holder_kind].wrapped) == bytes(wrap.wrapped)
        assert wraps[wrap.holder_kind].key_version == 1
    with pytest.raises(ValueError, match="one model"):
        rows.insert_new_rows([new.key, *new.wraps])
