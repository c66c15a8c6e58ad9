"""The bridge from models to field encryption, and the keys the server looks up itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from refuge.accounts.models import Organisation, User

__all__ = [
    "blind_index_key",
    "decrypt_column",
    "decrypt_text",
    "do_ensure_blind_index_key",
    "encrypt_column",
    "intake_group_key",
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
    return open_server_wrap(wrap, key)


def requester_secret_for(key: Key, requester_private_key: bytes) -> bytes:
    """Open a requester's wrap of a record key with the key derived from their receipt."""
    wrap = KeyWrap.objects.filter(key_id=key.pk, holder_kind=HolderKind.REQUESTER).first()
    if wrap is None or wrap.key_version != key.version:
        raise KeyNotHeld(key.pk)
    return open_requester_wrap(wrap, requester_private_key)


def intake_group_key(organisation: Organisation) -> Key:
    """The organisation's live intake group key; new requests are sealed to its public half."""
    # A shredded group key keeps its row but loses its public half: never seal to it.
    return Key.objects.get(organisation=organisation, purpose=Purpose.INTAKE_GROUP, public_key__isnull=False)


def blind_index_key(organisation: Organisation, field: str) -> Key:
    """The organisation's blind-index key for one field; Key.DoesNotExist if not made yet."""
    return Key.objects.get(organisation=organisation, purpose=Purpose.BLIND_INDEX, label=f"blind-index:{field}")


def do_ensure_blind_index_key(*, actor: User | None, organisation: Organisation, field: str) -> Key:
    """Return the organisation's blind-index key for field, creating it the first time."""
    # Imported here: domain models import this module while Django loads apps, and the
    # actions pull in the audit and accounts apps, which must not load that early.
    from refuge.keyring import actions

    return actions.do_ensure_blind_index_key(actor=actor, organisation=organisation, field=field)
