"""Private XChaCha20-Poly1305 envelope shared by fields and key wraps."""

import nacl.bindings
import nacl.exceptions
import nacl.utils

from refuge.crypto.errors import CryptoError
from refuge.crypto.keys import KEY_BYTES

NONCE_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
TAG_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES


def seal(key: bytes, header: bytes, plaintext: bytes, ad: bytes) -> bytes:
    """Return header + nonce + ciphertext, authenticating header and ad."""
    if len(key) != KEY_BYTES:
        raise ValueError("key must be 32 bytes")
    # 24-byte random nonces: collisions are negligible even for billions of fields.
    nonce = nacl.utils.random(NONCE_BYTES)
    # The header is authenticated, so a blob cannot be relabelled as another format.
    ciphertext = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, header + ad, nonce, key)
    return header + nonce + ciphertext


def unseal(key: bytes, header: bytes, blob: bytes, ad: bytes) -> bytes:
    """Open a blob made by seal with the same header and ad; CryptoError otherwise."""
    # A key of the wrong length can only come from a tampered wrap: treat it as one.
    if len(key) != KEY_BYTES or len(blob) < len(header) + NONCE_BYTES + TAG_BYTES:
        raise CryptoError("ciphertext did not open")
    if blob[: len(header)] != header:
        raise CryptoError("ciphertext did not open")
    nonce = blob[len(header) : len(header) + NONCE_BYTES]
    ciphertext = blob[len(header) + NONCE_BYTES :]
    try:
        return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, header + ad, nonce, key)
    except nacl.exceptions.CryptoError as error:
        raise CryptoError("ciphertext did not open") from error
