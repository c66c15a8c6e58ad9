"""Ed25519 signatures and the hash chain of the audit log."""

import hashlib

import nacl.exceptions
import nacl.signing

from refuge.crypto._encoding import length_prefixed
from refuge.crypto.errors import CryptoError
from refuge.crypto.keys import KEY_BYTES, KeyPair

SIGNATURE_BYTES = 64
CHAIN_HASH_BYTES = 32


def generate_signing_keypair() -> KeyPair:
    """Return a new Ed25519 keypair; private is the 32-byte seed."""
    signing_key = nacl.signing.SigningKey.generate()
    return KeyPair(public=bytes(signing_key.verify_key), private=bytes(signing_key))


def signing_public_key_of(private: bytes) -> bytes:
    """Return the Ed25519 public key of a 32-byte signing seed."""
    if len(private) != KEY_BYTES:
        raise ValueError("signing key must be a 32-byte seed")
    return bytes(nacl.signing.SigningKey(private).verify_key)


def sign(private: bytes, message: bytes) -> bytes:
    """Return the 64-byte detached Ed25519 signature of message."""
    if len(private) != KEY_BYTES:
        raise ValueError("signing key must be a 32-byte seed")
    return bytes(nacl.signing.SigningKey(private).sign(message).signature)


def verify_signature(public: bytes, message: bytes, signature: bytes) -> None:
    """Return if signature is public's signature of message; CryptoError otherwise."""
    if len(public) != KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        raise CryptoError("signature did not verify")
    try:
        nacl.signing.VerifyKey(public).verify(message, signature)
    except nacl.exceptions.CryptoError as error:
        raise CryptoError("signature did not verify") from error


def chain_hash(previous: bytes, payload: bytes) -> bytes:
    """Return SHA-256(previous || length-prefixed payload): the next chain link."""
    if len(previous) != CHAIN_HASH_BYTES:
        raise ValueError("previous must be a 32-byte hash")
    # Each link covers the one before, so an edit, deletion or reordering breaks
    # every later link; the length prefix keeps entry boundaries unambiguous.
    return hashlib.sha256(previous + length_prefixed(payload)).digest()


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of data as lowercase hex (evidence file fingerprints)."""
    return hashlib.sha256(data).hexdigest()
