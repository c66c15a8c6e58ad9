"""The installation's audit signing key, which lives outside the database."""

from __future__ import annotations

from django.conf import settings

from refuge.crypto import signing_public_key_of


def installation_private_key() -> bytes:
    """Return the Ed25519 seed that signs checkpoints (REFUGE_AUDIT_SIGNING_KEY)."""
    return bytes(settings.REFUGE_AUDIT_SIGNING_KEY)


def installation_public_key() -> bytes:
    """Return the public half of the installation's audit signing key."""
    # Checkpoints are verified against this key, never against the public key
    # stored beside them: whoever can write the database can also write that column.
    return signing_public_key_of(installation_private_key())
