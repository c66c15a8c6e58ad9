"""Benchmark build only: switches Refuge's encryption off in this process (see bench/plaintext_settings.py)."""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.apps import AppConfig

log = logging.getLogger(__name__)

NONCE_BYTES, TAG_BYTES = 24, 16  # XChaCha20-Poly1305's, so a stored blob keeps its size
SEALED_BOX_BYTES = 48  # a sealed box's ephemeral public key (32) and tag (16)


def _plain_seal(key: bytes, header: bytes, plaintext: bytes, ad: bytes) -> bytes:
    if len(key) != 32:
        raise ValueError("key must be 32 bytes")
    return header + bytes(NONCE_BYTES) + plaintext + bytes(TAG_BYTES)


def _plain_unseal(key: bytes, header: bytes, blob: bytes, ad: bytes) -> bytes:
    from refuge.crypto import CryptoError

    if len(key) != 32 or len(blob) < len(header) + NONCE_BYTES + TAG_BYTES or blob[: len(header)] != header:
        raise CryptoError("ciphertext did not open")
    return blob[len(header) + NONCE_BYTES : len(blob) - TAG_BYTES]


def _plain_seal_for(public_key: bytes, secret: bytes) -> bytes:
    if len(public_key) != 32:
        raise ValueError("key must be 32 bytes")
    return bytes(SEALED_BOX_BYTES - TAG_BYTES) + secret + bytes(TAG_BYTES)


def _plain_open_sealed(private_key: bytes, sealed: bytes) -> bytes:
    from refuge.crypto import CryptoError

    if len(private_key) != 32 or len(sealed) < SEALED_BOX_BYTES:
        raise CryptoError("sealed box did not open")
    return sealed[SEALED_BOX_BYTES - TAG_BYTES : len(sealed) - TAG_BYTES]


def switch_off_encryption() -> list[tuple[Any, str, Any]]:
    """Replace the AEAD and sealed-box primitives everywhere Refuge holds them; what was replaced.

    Every encrypted field and key wrap goes through `refuge.crypto._aead` (XChaCha20-Poly1305)
    and every key wrapped for a member or the recovery key through `keys.seal_for` /
    `keys.open_sealed` (X25519 sealed boxes). Their stand-ins keep the stored layout and sizes
    and do no cryptography. Modules imported later take the names from `refuge.crypto`, which
    is changed too. Argon2id (password unwrap at login), keyed hashes (blind indexes, receipts),
    the audit chain and file streams stay as they are: they are not on the case page's path,
    or they are not encryption.
    """
    from refuge.crypto import _aead, keys

    replacements: list[tuple[Any, Any]] = [
        (_aead.seal, _plain_seal),
        (_aead.unseal, _plain_unseal),
        (keys.seal_for, _plain_seal_for),
        (keys.open_sealed, _plain_open_sealed),
    ]
    changed: list[tuple[Any, str, Any]] = []
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "refuge" or name.startswith("refuge.")):
            continue
        for attribute, value in list(vars(module).items()):
            for original, stand_in in replacements:
                if value is original:
                    setattr(module, attribute, stand_in)
                    changed.append((module, attribute, original))
    return changed


def switch_on_again(changed: list[tuple[Any, str, Any]]) -> None:
    """Undo `switch_off_encryption` (for its tests, which share a process with the rest)."""
    for module, attribute, original in changed:
        setattr(module, attribute, original)


class PlaintextConfig(AppConfig):
    name = "bench.plaintext_app"
    label = "bench_plaintext"

    def ready(self) -> None:
        changed = switch_off_encryption()
        log.warning("BENCHMARK BUILD: encryption is switched off in this process (%d names replaced)", len(changed))
