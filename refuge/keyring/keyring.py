"""What the logged-in user can open during one request."""

from __future__ import annotations

import hmac
import uuid

from django.db.models import BooleanField, Exists, OuterRef, Q, Value

from refuge.crypto import KEY_BYTES, CryptoError, open_sealed, public_key_of
from refuge.keyring.holders import Member
from refuge.keyring.models import HolderKind, Key, KeyWrap


class KeyNotHeld(Exception):
    """The user holds no current wrap of this key, or their keyring is locked."""


class Keyring:
    """The user's unwrapped private key for one request, and the key secrets it opened.

    Lives only in memory for one request; the private key arrives decrypted from the
    session (DESIGN.md §5) and is never written anywhere by this class.
    """

    def __init__(self, user: Member, private_key: bytes | None) -> None:
        self.user = user
        self._private_key = private_key
        self._secrets: dict[tuple[uuid.UUID, int], bytes] = {}

    @classmethod
    def locked(cls, user: Member) -> Keyring:
        """A keyring that opens nothing: the duress workspace and unlocked-less sessions."""
        return cls(user, None)

    def __repr__(self) -> str:
        # No key material in reprs: tracebacks and debug logs must not carry it.
        state = "unlocked" if self.unlocked else "locked"
        return f"<Keyring {self.user.pk} {state}, {len(self._secrets)} open>"

    @property
    def unlocked(self) -> bool:
        """True if this keyring holds the user's private key."""
        return self._private_key is not None

    @property
    def private_key(self) -> bytes | None:
        """The user's own X25519 private key, to open what is sealed to the user alone."""
        # Read-only and never persisted here: accounts needs it for the user's own sealed
        # TOTP secret; keys of records are opened only through secret_for.
        return self._private_key

    def secret_for(self, key: Key) -> bytes:
        """Open the user's own wrap of key (cached); KeyNotHeld if there is none to open.

        A wrap that exists but does not open raises CryptoError: it was tampered with.
        """
        # The duress workspace and departed members open nothing, whatever wraps remain.
        if self._private_key is None or not self.user.is_active:
            raise KeyNotHeld(key.pk)
        # Keys never cross organisations, even if a wrap were written by mistake.
        if key.organisation_id != self.user.organisation_id:
            raise KeyNotHeld(key.pk)
        cached = self._secrets.get((key.pk, key.version))
        if cached is not None:
            return cached
        wrap = (
            KeyWrap.objects.filter(key_id=key.pk, holder_kind=HolderKind.USER, holder_id=self.user.pk)
            .only("key_version", "wrapped")
            .first()
        )
        return self._open(key, wrap)

    def open_many(self, keys: list[Key]) -> None:
        """Open the user's own wraps of these keys with one query, for secret_for to find.

        A page that shows many records (the home page's tasks) would otherwise ask for
        each wrap in turn. Keys not held, or held only through a group, are left for
        secret_for to answer as it always does; nothing is raised here but CryptoError.
        """
        if self._private_key is None or not self.user.is_active:
            return
        wanted = {
            key.pk: key
            for key in keys
            if key.organisation_id == self.user.organisation_id and (key.pk, key.version) not in self._secrets
        }
        if not wanted:
            return
        wraps = KeyWrap.objects.filter(
            key_id__in=list(wanted), holder_kind=HolderKind.USER, holder_id=self.user.pk
        ).only("key_id", "key_version", "wrapped")
        for wrap in wraps:
            key = wanted[wrap.key_id]
            if wrap.key_version == key.version:
                self._open(key, wrap)

    def may_open(self, key_field: str = "key") -> Exists | Value:
        """SQL true on rows whose key (the foreign key `key_field`) secret_for might open; false where it would refuse.

        Lets a query that reads many rows learn in its own statement which keys are not
        held, where secret_for spends one or two statements on each (search confirming its
        candidates). False is exact: no wrap of the key's current version for this member or
        for a group, so secret_for would raise KeyNotHeld. True is a maybe: a group wrap
        opens only for the group's members, and secret_for still decides.
        """
        if self._private_key is None or not self.user.is_active:
            return Value(False, output_field=BooleanField())
        wraps = KeyWrap.objects.filter(
            key_id=OuterRef(f"{key_field}_id"), key_version=OuterRef(f"{key_field}__version")
        )
        own_or_group = Q(holder_kind=HolderKind.USER, holder_id=self.user.pk) | Q(holder_kind=HolderKind.GROUP)
        return Exists(wraps.filter(own_or_group))

    def _open(self, key: Key, wrap: KeyWrap | None) -> bytes:
        if self._private_key is None:
            raise KeyNotHeld(key.pk)
        # A wrap of an older version holds a secret that no longer encrypts anything
        # current; treating it as held would hand out a retired key.
        if wrap is not None and wrap.key_version == key.version:
            secret = open_sealed(self._private_key, bytes(wrap.wrapped))
        else:
            secret = self._through_group(key)
        if len(secret) != KEY_BYTES:
            raise CryptoError("sealed box did not open")
        if key.public_key is not None and not hmac.compare_digest(public_key_of(secret), bytes(key.public_key)):
            # Anyone can seal to a user's public key: for a keypair, a forged wrap is
            # caught because its private half does not match the stored public half.
            raise CryptoError("sealed box did not open")
        self._secrets[(key.pk, key.version)] = secret
        return secret

    def _through_group(self, key: Key) -> bytes:
        """Open key through a group keypair the user holds (e.g. a request via the intake key)."""
        for wrap in KeyWrap.objects.filter(
            key_id=key.pk, holder_kind=HolderKind.GROUP, key_version=key.version
        ).select_related("holder_key"):
            group = wrap.holder_key
            if group is None or group.public_key is None:
                continue
            try:
                group_private = self.secret_for(group)
            except KeyNotHeld:
                continue
            return open_sealed(group_private, bytes(wrap.wrapped))
        raise KeyNotHeld(key.pk)

    def private_key_for(self, key: Key) -> bytes:
        """The private half of a keypair key (e.g. the intake group key)."""
        if key.public_key is None:
            raise ValueError("not a keypair key")
        return self.secret_for(key)
