"""Password hashing for staff logins."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher, MD5PasswordHasher


class RefugeArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at t=3, 64 MiB (DESIGN.md §5), one lane: this is a 2-core server."""

    time_cost = 3
    memory_cost = 65536
    parallelism = 1


class FastTestPasswordHasher(MD5PasswordHasher):
    """Used by the test settings only, so the suite runs in seconds."""

    algorithm = "fast_test_md5"
