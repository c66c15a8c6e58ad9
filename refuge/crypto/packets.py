"""Disclosure packets in the age format (https://age-encryption.org), for partners who open them with `age`.

A deliberate second library beside PyNaCl (DESIGN.md §5): a packet leaves Refuge and is opened by
a partner with a widely available tool, so its format is a published standard (age v1: X25519
recipients, or scrypt for a passphrase), written by pyrage (the Rust `age` crate), never by hand.
docs/disclosures.md says why age and how a partner opens a packet.
"""

from __future__ import annotations

import secrets

import pyrage

from refuge.crypto.errors import CryptoError

# age's own words for the two kinds of recipient a partner may have.
_RECIPIENT_PREFIX = "age1"
_IDENTITY_PREFIX = "AGE-SECRET-KEY-1"
# A passphrase of 8 groups of 5 letters and digits (no look-alikes): about 200 bits, read out on a
# call or typed from a message; scrypt then makes each guess slow on top of that.
_GROUP_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"
_PASSPHRASE_GROUPS = 8
_PASSPHRASE_GROUP_CHARS = 5


def normalise_age_recipient(text: str) -> str | None:
    """An age X25519 recipient (`age1…`) in its canonical form, or None if the text is not one."""
    candidate = text.strip().lower()
    if not candidate.startswith(_RECIPIENT_PREFIX) or len(candidate) > 100:
        return None
    try:
        return str(pyrage.x25519.Recipient.from_str(candidate))
    except pyrage.RecipientError:
        return None


def encrypt_for_age_recipient(data: bytes, recipient: str) -> bytes:
    """Encrypt a packet to a partner's age public key (binary age format)."""
    try:
        return bytes(pyrage.encrypt(data, [pyrage.x25519.Recipient.from_str(recipient)]))
    except (pyrage.RecipientError, pyrage.EncryptError):
        raise CryptoError("the packet could not be encrypted") from None


def new_packet_passphrase() -> str:
    """A random passphrase for a password-protected packet, given to the partner out of band."""
    groups = (
        "".join(secrets.choice(_GROUP_LETTERS) for _ in range(_PASSPHRASE_GROUP_CHARS))
        for _ in range(_PASSPHRASE_GROUPS)
    )
    return "-".join(groups)


def encrypt_with_passphrase(data: bytes, passphrase: str) -> bytes:
    """Encrypt a packet under a passphrase (age's scrypt recipient); `age -d` asks for it."""
    try:
        return bytes(pyrage.passphrase.encrypt(data, passphrase))
    except pyrage.EncryptError:
        raise CryptoError("the packet could not be encrypted") from None


def new_age_identity() -> tuple[str, str]:
    """A fresh age identity (secret, recipient): an installation's key for the packets it receives."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def age_recipient_of(identity: str) -> str:
    """The recipient (public key) of an age identity; CryptoError if it is not one."""
    try:
        return str(pyrage.x25519.Identity.from_str(identity.strip()).to_public())
    except pyrage.IdentityError:
        raise CryptoError("not an age identity") from None


def decrypt_with_age_identity(data: bytes, identity: str) -> bytes:
    """Open a packet addressed to this identity; CryptoError for anything else (foreign, damaged, truncated)."""
    if not identity.startswith(_IDENTITY_PREFIX):
        raise CryptoError("not an age identity")
    try:
        key = pyrage.x25519.Identity.from_str(identity)
        return bytes(pyrage.decrypt(data, [key]))
    except (pyrage.IdentityError, pyrage.DecryptError):
        raise CryptoError("the packet did not open") from None
