"""Argon2id runs, bounded per process.

Each run holds 64 MiB while it works; four logins at once on one worker took it
past 300 MiB (BENCHMARKS.md). A semaphore lets REFUGE_KDF_CONCURRENCY runs (1 by
default) work at a time per process; others wait their turn (~0.1 s each).
"""

from __future__ import annotations

import threading

from django.conf import settings

from refuge.crypto import KdfParams, derive_password_key, wrap_with_password

_slots = threading.BoundedSemaphore(settings.REFUGE_KDF_CONCURRENCY)


def kdf_params() -> KdfParams:
    """Argon2id parameters from settings (production: t=3, 64 MiB)."""
    return KdfParams(opslimit=settings.REFUGE_KDF_OPSLIMIT, memlimit=settings.REFUGE_KDF_MEMLIMIT)


def password_key(wrap: bytes, password: str) -> bytes:
    """Argon2id over a typed password with the salt and cost of a stored wrap."""
    with _slots:
        return derive_password_key(wrap, password)


def wrap_under_password(secret: bytes, password: str) -> bytes:
    """Wrap a private key under a new password (a fresh salt)."""
    with _slots:
        return wrap_with_password(secret, password, kdf_params())
