"""Field encryption: one AEAD envelope per stored value, bound to where it is stored."""

from refuge.crypto import _aead
from refuge.crypto._encoding import length_prefixed

# Format byte of a field blob; a new algorithm gets a new byte, old blobs stay readable.
FIELD_FORMAT_V1 = b"\x01"
_AD_LABEL = b"refuge.field.v1"
_MAX_KEY_VERSION = 2**32 - 1


def associated_data(table: str, column: str, row_id: str, key_version: int) -> bytes:
    """Encode where a value lives, so a ciphertext copied elsewhere fails to open."""
    if not 0 <= key_version <= _MAX_KEY_VERSION:
        raise ValueError("key_version out of range")
    # Length-prefixed, so ("ab", "c") and ("a", "bc") can never collide.
    return length_prefixed(
        _AD_LABEL,
        table.encode(),
        column.encode(),
        row_id.encode(),
        key_version.to_bytes(4, "big"),
    )


def encrypt_field(key: bytes, plaintext: bytes, ad: bytes) -> bytes:
    """Encrypt a field value with XChaCha20-Poly1305 under key, bound to ad."""
    return _aead.seal(key, FIELD_FORMAT_V1, plaintext, ad)


def decrypt_field(key: bytes, blob: bytes, ad: bytes) -> bytes:
    """Decrypt a field blob; CryptoError on wrong key or place, tamper, bad format."""
    return _aead.unseal(key, FIELD_FORMAT_V1, blob, ad)
