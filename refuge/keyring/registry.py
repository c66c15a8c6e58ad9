"""Which model columns are encrypted under which key, and how a column is sealed.

Rotation re-encrypts every registered column of every row that refers to the rotated
key; the seizure tests read the same registry to check nothing is stored in clear.
The searchable fields with a blind-index key are registered here too, by the app that
computes their indexes (intake), so that accounts can make every key of a new
organisation without knowing that app.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db import models

from refuge.crypto import (
    CryptoError,
    associated_data,
    decrypt_field,
    encrypt_field,
    open_sealed,
    seal_for,
)
from refuge.keyring.models import Key

ModelT = TypeVar("ModelT", bound=type[models.Model])


@dataclass(frozen=True)
class Registration:
    """One model's encrypted columns and the foreign key naming their Key."""

    model: type[models.Model]
    key_field: str
    key_attname: str  # the column holding the key id, e.g. "key_id"
    # AEAD ciphertexts under the key's secret (encrypt_column / decrypt_column).
    columns: tuple[str, ...]
    # Sealed boxes to the key's public half (seal_column / open_sealed_column).
    sealed: tuple[str, ...]


_REGISTRY: dict[type[models.Model], Registration] = {}


def register_encrypted(
    *, key_field: str, columns: Sequence[str] = (), sealed: Sequence[str] = ()
) -> Callable[[ModelT], ModelT]:
    """Class decorator: declare a model's BinaryField columns encrypted under `key_field`'s Key."""

    def decorate(model: ModelT) -> ModelT:
        if not columns and not sealed:
            raise ValueError(f"{model.__name__}: register at least one column")
        key_fk = model._meta.get_field(key_field)
        if not isinstance(key_fk, models.ForeignKey):
            raise ValueError(f"{model.__name__}.{key_field} must be a ForeignKey to keyring.Key")
        for name in (*columns, *sealed):
            if not isinstance(model._meta.get_field(name), models.BinaryField):
                raise ValueError(f"{model.__name__}.{name} must be a BinaryField")
        _REGISTRY[model] = Registration(model, key_field, key_fk.attname, tuple(columns), tuple(sealed))
        return model

    return decorate


def registrations() -> Iterator[Registration]:
    """Every registered model, for rotation and the seizure tests."""
    return iter(list(_REGISTRY.values()))


# Fields with a blind index, in the order registered (a dict keeps it, without repeats).
_BLIND_INDEX_FIELDS: dict[str, None] = {}


def register_blind_index_fields(names: Iterable[str]) -> None:
    """Declare searchable fields: every new organisation gets a blind-index key for each."""
    for name in names:
        _BLIND_INDEX_FIELDS.setdefault(name, None)


def blind_index_fields() -> tuple[str, ...]:
    """Every registered blind-index field (refuge.intake registers its own when Django starts)."""
    return tuple(_BLIND_INDEX_FIELDS)


def encrypt_column(instance: models.Model, column: str, plaintext: bytes | str, secret: bytes, key: Key) -> None:
    """Set a registered column to plaintext encrypted under key, bound to this row and version."""
    _check(instance, column, key, sealed=False)
    data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
    setattr(instance, column, encrypt_field(secret, data, _where(instance, column, key.version)))


def decrypt_column(instance: models.Model, column: str, secret: bytes, key: Key) -> bytes:
    """Return a registered column's plaintext; CryptoError if it was tampered with or moved."""
    _check(instance, column, key, sealed=False)
    blob = _stored(instance, column)
    return decrypt_field(secret, blob, _where(instance, column, key.version))


def decrypt_text(instance: models.Model, column: str, secret: bytes, key: Key) -> str:
    """Return a registered column's plaintext as text."""
    return decrypt_column(instance, column, secret, key).decode("utf-8")


def seal_column(instance: models.Model, column: str, plaintext: bytes, key: Key) -> None:
    """Seal plaintext to a keypair key's public half, bound to this row and version."""
    _check(instance, column, key, sealed=True)
    if key.public_key is None:
        # A shredded group key has no public half: sealing to it would lose the data.
        raise ValueError("key has no public half (not a keypair, or shredded)")
    # Sealed boxes carry no associated data, so the place is sealed inside: a box
    # copied to another row opens but is refused, as a moved field ciphertext would be.
    payload = _where(instance, column, key.version) + plaintext
    setattr(instance, column, seal_for(bytes(key.public_key), payload))


def open_sealed_column(instance: models.Model, column: str, private_key: bytes, key: Key) -> bytes:
    """Open a sealed column with the key's private half; CryptoError if moved or tampered with."""
    _check(instance, column, key, sealed=True)
    payload = open_sealed(private_key, _stored(instance, column))
    where = _where(instance, column, key.version)
    if not hmac.compare_digest(payload[: len(where)], where):
        raise CryptoError("sealed box did not open")
    return payload[len(where) :]


def registration_of(model: type[models.Model]) -> Registration:
    """The registration of a model; ValueError if it has none."""
    try:
        return _REGISTRY[model]
    except KeyError:
        raise ValueError(f"{model.__name__} is not registered with register_encrypted") from None


def _check(instance: models.Model, column: str, key: Key, *, sealed: bool) -> None:
    """Refuse columns rotation would not find, and keys the row does not refer to."""
    registration = registration_of(type(instance))
    # An unregistered column would keep its old-key ciphertext after rotation, which a
    # departed member's copy of the old secret could still open.
    if column not in (registration.sealed if sealed else registration.columns):
        raise ValueError(f"{type(instance).__name__}.{column} is not a registered column")
    # Encrypting under a key the row does not name would make rotation skip the value
    # and hand it to whoever holds that other key.
    if getattr(instance, registration.key_attname) != key.pk:
        raise ValueError("the row does not refer to this key")
    if instance.pk is None:
        raise ValueError("the row id must be set before encrypting (UUID primary key)")


def _where(instance: models.Model, column: str, key_version: int) -> bytes:
    """Associated data naming this table, column, row and key version."""
    return associated_data(instance._meta.db_table, column, str(instance.pk), key_version)


def _stored(instance: models.Model, column: str) -> bytes:
    """The column's stored bytes (PostgreSQL returns memoryview)."""
    value = getattr(instance, column)
    if value is None:
        raise CryptoError("ciphertext did not open")
    return bytes(value)
