"""Wrapping user private keys under a password (Argon2id) or a recovery key."""

import struct
import unicodedata
from dataclasses import dataclass

import nacl.encoding
import nacl.hash
import nacl.pwhash.argon2id
import nacl.utils

from refuge.crypto import _aead
from refuge.crypto._encoding import (
    crockford_decode,
    crockford_encode,
    crockford_normalise,
    group,
)
from refuge.crypto.errors import CryptoError
from refuge.crypto.keys import KEY_BYTES


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: passes over memory (opslimit) and bytes of memory (memlimit)."""

    opslimit: int
    memlimit: int


PRODUCTION_KDF = KdfParams(opslimit=3, memlimit=64 * 1024 * 1024)
TEST_KDF = KdfParams(opslimit=1, memlimit=8192)

# A tampered blob must not make the server spin for minutes or allocate gigabytes.
MAX_OPSLIMIT = 20
MAX_MEMLIMIT = 1024 * 1024 * 1024
_MIN_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_MIN
_MIN_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_MIN

SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES
PASSWORD_FORMAT_V1 = 0x21
KEY_WRAP_FORMAT_V1 = b"\x11"
# version (1 byte), opslimit (4), memlimit (8), salt (16): all authenticated as AD.
_PASSWORD_HEADER = struct.Struct(f">BIQ{SALT_BYTES}s")

RECOVERY_CODE_SYMBOLS = 32  # 160 bits: beyond brute force without any stretching
_RECOVERY_PERSON = b"refuge.recovery"
_VERIFIER_PERSON = b"refuge.verifier"
_SUBKEY_PERSON = b"refuge.subkey"
_RAW = nacl.encoding.RawEncoder


def wrap_with_password(secret: bytes, password: str, params: KdfParams) -> bytes:
    """Encrypt secret under a key derived from password with Argon2id at params."""
    if not _params_are_sane(params):
        raise ValueError("KDF parameters outside the supported range")
    if not password:
        raise ValueError("refusing to wrap under an empty password")
    # A fresh salt per wrap: equal passwords never give equal keys or shared tables.
    salt = nacl.utils.random(SALT_BYTES)
    header = _PASSWORD_HEADER.pack(PASSWORD_FORMAT_V1, params.opslimit, params.memlimit, salt)
    return _aead.seal(_password_key(password, salt, params), header, secret, b"")


def unwrap_with_password(blob: bytes, password: str) -> bytes:
    """Decrypt a password wrap; CryptoError on wrong password, tamper, absurd params."""
    return unwrap_with_password_key(blob, derive_password_key(blob, password))


def derive_password_key(blob: bytes, password: str) -> bytes:
    """Run Argon2id over password with the salt and cost stored in a password wrap."""
    if len(blob) < _PASSWORD_HEADER.size:
        raise CryptoError("ciphertext did not open")
    version, opslimit, memlimit, salt = _PASSWORD_HEADER.unpack_from(blob)
    params = KdfParams(opslimit=opslimit, memlimit=memlimit)
    # Checked before Argon2 runs: a tampered row chooses these params, not us.
    if version != PASSWORD_FORMAT_V1 or not _params_are_sane(params):
        raise CryptoError("ciphertext did not open")
    return _password_key(password, salt, params)


def unwrap_with_password_key(blob: bytes, key: bytes) -> bytes:
    """Decrypt a password wrap with a key from derive_password_key; CryptoError if wrong."""
    if len(blob) < _PASSWORD_HEADER.size or len(key) != KEY_BYTES:
        raise CryptoError("ciphertext did not open")
    return _aead.unseal(key, blob[: _PASSWORD_HEADER.size], blob, b"")


def password_verifier(key: bytes) -> bytes:
    """A 32-byte check value of a derived password key (for the duress password).

    Comparing verifiers lets one Argon2id run serve both "is this the password?"
    (the unwrap) and "is this the duress password?", so neither shows in timing.
    """
    if len(key) != KEY_BYTES:
        raise ValueError("password key must be 32 bytes")
    return nacl.hash.blake2b(b"", digest_size=KEY_BYTES, key=key, person=_VERIFIER_PERSON, encoder=_RAW)


def new_recovery_code() -> str:
    """Return a fresh personal recovery code: 160 random bits, 8 groups of 4."""
    value = int.from_bytes(nacl.utils.random(RECOVERY_CODE_SYMBOLS * 5 // 8), "big")
    return group(crockford_encode(value, RECOVERY_CODE_SYMBOLS))


def recovery_key_from_code(code: str) -> bytes:
    """Derive the 32-byte key from a typed recovery code; CryptoError if malformed."""
    symbols = crockford_normalise(code, RECOVERY_CODE_SYMBOLS)
    if symbols is None:
        raise CryptoError("not a recovery code")
    raw = crockford_decode(symbols).to_bytes(RECOVERY_CODE_SYMBOLS * 5 // 8, "big")
    # The code has full entropy, so a keyed hash suffices; the personalisation keeps
    # this key distinct from any other use of the same bytes.
    return nacl.hash.blake2b(b"", digest_size=KEY_BYTES, key=raw, person=_RECOVERY_PERSON, encoder=_RAW)


def derive_subkey(master: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose from a master key (keyed BLAKE2b, purpose as message)."""
    if len(master) != KEY_BYTES or not purpose:
        raise ValueError("derive_subkey needs a 32-byte master key and a purpose")
    # Distinct purposes give independent keys: one leaked subkey reveals no other.
    return nacl.hash.blake2b(purpose.encode(), digest_size=KEY_BYTES, key=master, person=_SUBKEY_PERSON, encoder=_RAW)


def wrap_with_key(secret: bytes, key: bytes, ad: bytes = b"") -> bytes:
    """Encrypt secret under a 32-byte key (e.g. a recovery key), bound to ad."""
    return _aead.seal(key, KEY_WRAP_FORMAT_V1, secret, ad)


def unwrap_with_key(blob: bytes, key: bytes, ad: bytes = b"") -> bytes:
    """Decrypt a key wrap; CryptoError on wrong key, wrong ad, tamper or bad format."""
    return _aead.unseal(key, KEY_WRAP_FORMAT_V1, blob, ad)


def _params_are_sane(params: KdfParams) -> bool:
    """True if params are within libsodium's minimums and our maximums."""
    return _MIN_OPSLIMIT <= params.opslimit <= MAX_OPSLIMIT and _MIN_MEMLIMIT <= params.memlimit <= MAX_MEMLIMIT


def _password_key(password: str, salt: bytes, params: KdfParams) -> bytes:
    """Run Argon2id over the password to get a 32-byte key."""
    # NFC, so the same password typed on macOS (decomposed й) and elsewhere still
    # unlocks; surrogatepass, so no str can crash encoding.
    encoded = unicodedata.normalize("NFC", password).encode("utf-8", "surrogatepass")
    return nacl.pwhash.argon2id.kdf(KEY_BYTES, encoded, salt, opslimit=params.opslimit, memlimit=params.memlimit)
