"""X25519 keypairs and sealed boxes: how a case key reaches each of its holders."""

from dataclasses import dataclass, field

import nacl.exceptions
import nacl.public
import nacl.utils

from refuge.crypto.errors import CryptoError

KEY_BYTES = 32


@dataclass(frozen=True)
class KeyPair:
    """A public key and its private key (X25519, or Ed25519 seed for signing)."""

    public: bytes
    # Kept out of repr so a keypair in a log line or traceback does not leak the key.
    private: bytes = field(repr=False)


def random_key() -> bytes:
    """Return 32 random bytes from libsodium's CSPRNG (case and compartment keys)."""
    return nacl.utils.random(KEY_BYTES)


def generate_keypair() -> KeyPair:
    """Return a new random X25519 keypair."""
    private = nacl.public.PrivateKey.generate()
    return KeyPair(public=bytes(private.public_key), private=bytes(private))


def public_key_of(private: bytes) -> bytes:
    """Return the X25519 public key belonging to a 32-byte private key."""
    _require_key(private, ValueError)
    return bytes(nacl.public.PrivateKey(private).public_key)


def seal_for(public_key: bytes, secret: bytes) -> bytes:
    """Encrypt secret so only the holder of public_key's private key can open it."""
    _require_key(public_key, ValueError)
    try:
        return nacl.public.SealedBox(nacl.public.PublicKey(public_key)).encrypt(secret)
    except nacl.exceptions.CryptoError as error:
        # A low-order point gives no shared secret: sealing to it would protect nothing.
        raise ValueError("not a usable public key") from error


def open_sealed(private_key: bytes, sealed: bytes) -> bytes:
    """Open a sealed box addressed to private_key's public key; else CryptoError."""
    _require_key(private_key, CryptoError)
    box = nacl.public.SealedBox(nacl.public.PrivateKey(private_key))
    try:
        return box.decrypt(sealed)
    except nacl.exceptions.CryptoError as error:
        raise CryptoError("sealed box did not open") from error


def _require_key(key: bytes, error: type[Exception]) -> None:
    """Raise error unless key is exactly KEY_BYTES long."""
    # Checked here so a short key never reaches libsodium as a different exception type.
    if len(key) != KEY_BYTES:
        raise error("key must be 32 bytes")
