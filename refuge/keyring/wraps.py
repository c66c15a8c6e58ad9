"""Making and opening the wraps of one key: for users, for recovery, for the server."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from refuge.crypto import (
    KEY_BYTES,
    CryptoError,
    associated_data,
    open_sealed,
    seal_for,
    unwrap_with_key,
    wrap_with_key,
)
from refuge.keyring.holders import Member
from refuge.keyring.models import HolderKind, Key, KeyWrap, Purpose


def user_wrap(key: Key, secret: bytes, user: Member) -> KeyWrap:
    """An unsaved wrap of secret sealed to user's public key, at the key's version."""
    return KeyWrap(
        key=key,
        holder_kind=HolderKind.USER,
        holder_id=user.pk,
        key_version=key.version,
        wrapped=seal_for(bytes(user.public_key), secret),
    )


def recovery_wrap(key: Key, secret: bytes) -> KeyWrap:
    """An unsaved wrap sealed to the organisation recovery key, whose private half is offline."""
    return KeyWrap(
        key=key,
        holder_kind=HolderKind.RECOVERY,
        key_version=key.version,
        wrapped=seal_for(bytes(key.organisation.recovery_public_key), secret),
    )


def group_wrap(key: Key, secret: bytes, group: Key) -> KeyWrap:
    """An unsaved wrap sealed to a group keypair: every holder of the group key can open it."""
    if group.public_key is None or group.organisation_id != key.organisation_id:
        raise ValueError("a group wrap needs a live keypair key of the same organisation")
    return KeyWrap(
        key=key,
        holder_kind=HolderKind.GROUP,
        holder_key=group,
        key_version=key.version,
        wrapped=seal_for(bytes(group.public_key), secret),
    )


def requester_wrap(key: Key, secret: bytes, public_key: bytes) -> KeyWrap:
    """An unsaved wrap sealed to a requester's receipt-derived public key."""
    return KeyWrap(
        key=key,
        holder_kind=HolderKind.REQUESTER,
        holder_public_key=public_key,
        key_version=key.version,
        wrapped=seal_for(public_key, secret),
    )


def server_wrap(key: Key, secret: bytes) -> KeyWrap:
    """An unsaved wrap under REFUGE_SERVER_KEY: blind-index keys only (docs/keys.md)."""
    # Only blind-index keys may be opened by the server without a user: any other key
    # wrapped this way would be readable by whoever seizes the running server.
    if key.purpose != Purpose.BLIND_INDEX:
        raise ValueError("only blind-index keys are wrapped for the server")
    return KeyWrap(
        key=key,
        holder_kind=HolderKind.SERVER,
        key_version=key.version,
        wrapped=wrap_with_key(secret, settings.REFUGE_SERVER_KEY, _server_ad(key)),
    )


def open_server_wrap(wrap: KeyWrap, key: Key) -> bytes:
    """Open a server wrap with REFUGE_SERVER_KEY; CryptoError if tampered with or moved."""
    return _checked(unwrap_with_key(bytes(wrap.wrapped), settings.REFUGE_SERVER_KEY, _server_ad(key)))


def open_requester_wrap(wrap: KeyWrap, requester_private_key: bytes) -> bytes:
    """Open a requester wrap with the private key derived from their receipt."""
    return _checked(open_sealed(requester_private_key, bytes(wrap.wrapped)))


def open_recovery_wrap(wrap: KeyWrap, recovery_private_key: bytes) -> bytes:
    """Open a recovery wrap with the rebuilt organisation recovery private key."""
    return _checked(open_sealed(recovery_private_key, bytes(wrap.wrapped)))


def all_wraps(
    key: Key,
    secret: bytes,
    members: Iterable[Member],
    groups: Iterable[Key] = (),
    requester_public_key: bytes | None = None,
) -> list[KeyWrap]:
    """Every wrap a key at its current version must have: members, groups, requester, recovery, server."""
    # The recovery wrap always: with it every key has a holder outside the team, so
    # nothing is lost when the whole team leaves (DESIGN.md §4, nothing lost).
    wraps = [user_wrap(key, secret, member) for member in members]
    wraps += [group_wrap(key, secret, group) for group in groups]
    if requester_public_key is not None:
        wraps.append(requester_wrap(key, secret, requester_public_key))
    wraps.append(recovery_wrap(key, secret))
    if key.purpose == Purpose.BLIND_INDEX:
        wraps.append(server_wrap(key, secret))
    return wraps


def _server_ad(key: Key) -> bytes:
    """Bind a server wrap to its key and version, so it cannot be copied to another key."""
    return associated_data("keyring_keywrap", "server", str(key.pk), key.version)


def _checked(secret: bytes) -> bytes:
    """Refuse a secret of the wrong length: only a tampered wrap yields one."""
    if len(secret) != KEY_BYTES:
        raise CryptoError("ciphertext did not open")
    return secret
