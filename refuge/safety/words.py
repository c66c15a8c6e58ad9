"""The duress word: digested with a peppered slow hash, compared in constant time."""

from __future__ import annotations

import hmac

from django.conf import settings

from refuge.crypto import KdfParams, derive_subkey, new_word_salt, random_key, word_digest

# Lighter than a password's Argon2id (every check-in computes one, also for flooders that
# hold a receipt), still far beyond a fast hash; the pepper does the rest (docs/threat-model.md).
WORD_KDF = KdfParams(opslimit=2, memlimit=19 * 1024 * 1024)
MAX_WORD_CHARS = 60
# Used when a request has no schedule: the same work is done, and nothing matches it.
_DUMMY_SALT = new_word_salt()


def _params() -> KdfParams:
    if settings.REFUGE_KDF_OPSLIMIT < 3:  # the weak KDF of the test settings
        return KdfParams(opslimit=settings.REFUGE_KDF_OPSLIMIT, memlimit=settings.REFUGE_KDF_MEMLIMIT)
    return WORD_KDF


def _pepper() -> bytes:
    return derive_subkey(settings.REFUGE_SERVER_KEY, "duress-word")


def new_word_record(word: str) -> tuple[bytes, bytes]:
    """Salt and digest for a chosen word; for an empty word, a digest nothing can match."""
    salt = new_word_salt()
    if not word.strip():
        return salt, random_key()
    return salt, word_digest(word, salt, _pepper(), _params())


def is_duress_word(typed: str, salt: bytes | None, digest: bytes | None) -> bool:
    """True if `typed` is the stored word; the same work whether or not there is one."""
    checked = word_digest(typed, salt or _DUMMY_SALT, _pepper(), _params())
    if salt is None or digest is None:
        hmac.compare_digest(checked, checked)
        return False
    return hmac.compare_digest(checked, digest) and bool(typed.strip())
