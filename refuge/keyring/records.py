"""The bridge from models to field encryption, and the keys the server looks up itself."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection

from refuge.keyring.actions.keys import do_ensure_blind_index_key
from refuge.keyring.holders import Organisation, attach_organisation
from refuge.keyring.keyring import KeyNotHeld
from refuge.keyring.models import HolderKind, Key, KeyWrap, Purpose
from refuge.keyring.registry import (
    decrypt_column,
    decrypt_text,
    encrypt_column,
    open_sealed_column,
    register_encrypted,
    registrations,
    seal_column,
)
from refuge.keyring.wraps import open_requester_wrap, open_server_wrap

__all__ = [
    "blind_index_key",
    "blind_index_secrets",
    "blind_index_secrets_held",
    "decrypt_column",
    "decrypt_text",
    "do_ensure_blind_index_key",
    "encrypt_column",
    "group_key_unchanged",
    "intake_group_key",
    "intake_keys",
    "open_sealed_column",
    "register_encrypted",
    "registrations",
    "requester_secret_for",
    "seal_column",
    "server_secret_for",
]


def server_secret_for(key: Key) -> bytes:
    """Open a blind-index key's server wrap with REFUGE_SERVER_KEY (docs/keys.md, deviation)."""
    # The server opens blind-index keys only; everything else needs a member's keyring,
    # so a seized running server reveals indexes, not records.
    if key.purpose != Purpose.BLIND_INDEX:
        raise ValueError("the server opens blind-index keys only")
    wrap = KeyWrap.objects.filter(key_id=key.pk, holder_kind=HolderKind.SERVER).first()
    if wrap is None or wrap.key_version != key.version:
        raise KeyNotHeld(key.pk)
    return _opened_server_wrap(bytes(wrap.wrapped), key.pk, key.version, lambda: key)


@dataclasses.dataclass(frozen=True)
class IntakeKeys:
    """What a submission needs of its organisation's keys (`intake_keys`)."""

    # The live intake group key: new requests are sealed to its public half.
    group: Key
    # Field → blind-index secret, for the fields asked for.
    blind_index: dict[str, bytes] = dataclasses.field(repr=False)


def intake_keys(organisation: Organisation, fields: Iterable[str]) -> IntakeKeys:
    """The intake group key and the blind-index secrets of these fields, in one query when all exist.

    Key.DoesNotExist if the organisation has no live group key (see `blind_index_secrets`
    for the blind-index keys).
    """
    rows = _organisation_keys(organisation)
    # A shredded group key keeps its row but loses its public half: never seal to it.
    groups = [row for row in rows if row.purpose == Purpose.INTAKE_GROUP and row.public_key is not None]
    # None, or (never expected) several: the ORM's own lookup raises the error that says which.
    group = groups[0].key(organisation) if len(groups) == 1 else intake_group_key(organisation)
    return IntakeKeys(group, _blind_index_secrets(organisation, fields, rows))


def blind_index_secrets(organisation: Organisation, fields: Iterable[str]) -> dict[str, bytes]:
    """The organisation's blind-index secrets for these fields, in one query when the keys exist.

    Every call asks the database which keys and server wraps exist *now*: a shredded key
    has no wrap left (and usually no row), so it is never used again; only the opening of
    a wrap that was just read is remembered (`_opened_server_wrap`). A field without a key
    gets one (`do_ensure_blind_index_key`, which locks only then); a key that exists
    without a current server wrap raises KeyNotHeld, as `server_secret_for` does.
    """
    return _blind_index_secrets(organisation, fields, _organisation_keys(organisation))


def blind_index_secrets_held(organisation: Organisation, fields: Iterable[str]) -> dict[str, bytes]:
    """The blind-index secrets of those of these fields that have a key, in one query; no key is made.

    For reading (a search): a field without a key has nothing indexed, so it is left out, where
    `blind_index_secrets` (for writing) makes the key. A key without its current server wrap
    raises KeyNotHeld, as `server_secret_for` does. One statement for every field, where a
    `server_secret_for` per key read its wrap on its own.
    """
    labels = {f"blind-index:{name}": name for name in fields}
    found: dict[str, bytes] = {}
    for row in _organisation_keys(organisation):
        name = labels.get(row.label)
        if row.purpose != Purpose.BLIND_INDEX or name is None:
            continue
        if row.wrapped is None or row.wrap_version != row.version:
            raise KeyNotHeld(row.id)
        found[name] = _opened_server_wrap(row.wrapped, row.id, row.version, functools.partial(row.key, organisation))
    return found


def _blind_index_secrets(organisation: Organisation, fields: Iterable[str], rows: list[_KeyRow]) -> dict[str, bytes]:
    labels = {f"blind-index:{name}": name for name in fields}
    found: dict[str, bytes] = {}
    for row in rows:
        name = labels.get(row.label)
        if row.purpose == Purpose.BLIND_INDEX and name and row.wrapped is not None and row.wrap_version == row.version:
            found[name] = _opened_server_wrap(
                row.wrapped, row.id, row.version, functools.partial(row.key, organisation)
            )
    for name in labels.values():
        if name not in found:
            found[name] = server_secret_for(
                do_ensure_blind_index_key(actor=None, organisation=organisation, field=name)
            )
    return found


# The columns of Key read by _organisation_keys, in the model's field order (Key.from_db).
_KEY_COLUMNS = ["id", "organisation_id", "purpose", "label", "version", "public_key"]
# Plain SQL on purpose: these run on every submission, and building the same queries with the
# ORM cost several times what the database took to answer them. Table and column names are
# the models' own (keyring_key, keyring_keywrap); tests/keyring check the answers against the ORM.
# The purposes (ORGANISATION_KEY_PURPOSES) are written into the statement, not bound: only then
# can SQLite and PostgreSQL prove that the partial index `key_organisation_keys_idx`
# (refuge/keyring/models.py) holds every row asked for (tests/intake/test_submission_plans.py
# reads the plans, and checks that this list is that tuple).
_ORGANISATION_KEYS_SQL = (
    "SELECT k.id, k.purpose, k.label, k.version, k.public_key, w.key_version, w.wrapped "
    "FROM keyring_key k LEFT JOIN keyring_keywrap w ON w.key_id = k.id AND w.holder_kind = %s "
    "WHERE k.organisation_id = %s AND k.purpose IN ('intake-group', 'blind-index')"
)
_GROUP_KEY_SQL = "SELECT public_key FROM keyring_key WHERE id = %s AND version = %s"


class _KeyRow(NamedTuple):
    """One row of _organisation_keys: a key, and its server wrap if it has one."""

    id: uuid.UUID
    purpose: str
    label: str
    version: int
    public_key: bytes | None
    wrap_version: int | None
    wrapped: bytes | None

    def key(self, organisation: Organisation) -> Key:
        """The Key, as the ORM would load it (fields not read here are deferred: loaded if asked for)."""
        values = [self.id, organisation.pk, self.purpose, self.label, self.version, self.public_key]
        key = Key.from_db(connection.alias, _KEY_COLUMNS, values)
        return attach_organisation(key, organisation)


def _organisation_keys(organisation: Organisation) -> list[_KeyRow]:
    """The organisation's intake group and blind-index keys, each with its server wrap (or None)."""
    organisation_id = Key._meta.get_field("organisation").get_db_prep_value(organisation.pk, connection)
    params = [HolderKind.SERVER.value, organisation_id]
    with connection.cursor() as cursor:
        cursor.execute(_ORGANISATION_KEYS_SQL, params)
        rows = cursor.fetchall()
    return [
        _KeyRow(
            uuid.UUID(str(key_id)),
            purpose,
            label,
            int(version),
            _bytes(public_key),
            None if wrap_version is None else int(wrap_version),
            _bytes(wrapped),
        )
        for key_id, purpose, label, version, public_key, wrap_version, wrapped in rows
    ]


def _bytes(value: bytes | memoryview | None) -> bytes | None:
    return None if value is None else bytes(value)


def group_key_unchanged(group: Key) -> bool:
    """True if the group key is still at the version and public half it was read with (one cheap read)."""
    with connection.cursor() as cursor:
        cursor.execute(_GROUP_KEY_SQL, [Key._meta.pk.get_db_prep_value(group.pk, connection), group.version])
        row = cursor.fetchone()
    return row is not None and row[0] is not None and bytes(row[0]) == bytes(group.public_key or b"")


# Opened server wraps, by everything their opening depends on: the key's id and version,
# the wrap's ciphertext and the server key. A pure function's memo: it can only return
# what opening that very wrap would, and callers pass only wraps they just read from the
# database, so a shredded (deleted) wrap is never answered from here. Blind-index keys
# are the ones the server may open by itself anyway (docs/keys.md); the memo saves the
# AEAD, not an access check. Bounded: cleared when full.
_MAX_OPENED_WRAPS = 1024
_opened: dict[tuple[uuid.UUID, int, bytes, bytes], bytes] = {}
_opened_lock = threading.Lock()


def _opened_server_wrap(wrapped: bytes, key_id: uuid.UUID, version: int, key: Callable[[], Key]) -> bytes:
    """Open a server wrap of key `key_id` at `version` (`key()` gives the Key, only when it must be opened)."""
    server_key = hashlib.blake2b(settings.REFUGE_SERVER_KEY, digest_size=16).digest()
    memo_key = (key_id, version, wrapped, server_key)
    secret = _opened.get(memo_key)
    if secret is None:
        opened_key = key()
        wrap = KeyWrap(key=opened_key, holder_kind=HolderKind.SERVER, key_version=version, wrapped=wrapped)
        secret = open_server_wrap(wrap, opened_key)
        with _opened_lock:
            if len(_opened) >= _MAX_OPENED_WRAPS:
                _opened.clear()
            _opened[memo_key] = secret
    return secret


def forget_opened_wraps(**_kwargs: object) -> None:
    """Empty the memo of opened server wraps (tests; a changed REFUGE_SERVER_KEY)."""
    with _opened_lock:
        _opened.clear()


setting_changed.connect(forget_opened_wraps, dispatch_uid="refuge.keyring.records.forget_opened_wraps")


def requester_secret_for(key: Key, requester_private_key: bytes) -> bytes:
    """Open a requester's wrap of a record key with the key derived from their receipt."""
    wrap = KeyWrap.objects.filter(key_id=key.pk, holder_kind=HolderKind.REQUESTER).first()
    if wrap is None or wrap.key_version != key.version:
        raise KeyNotHeld(key.pk)
    return open_requester_wrap(wrap, requester_private_key)


def intake_group_key(organisation: Organisation) -> Key:
    """The organisation's live intake group key; new requests are sealed to its public half."""
    # A shredded group key keeps its row but loses its public half: never seal to it.
    return Key.objects.get(organisation_id=organisation.pk, purpose=Purpose.INTAKE_GROUP, public_key__isnull=False)


def blind_index_key(organisation: Organisation, field: str) -> Key:
    """The organisation's blind-index key for one field; Key.DoesNotExist if not made yet."""
    return Key.objects.get(organisation_id=organisation.pk, purpose=Purpose.BLIND_INDEX, label=f"blind-index:{field}")
