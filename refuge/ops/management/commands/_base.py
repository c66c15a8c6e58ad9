"""Shared helpers for Refuge's management commands."""

from __future__ import annotations

import getpass
from pathlib import Path

from django.core.management.base import CommandError

from refuge.accounts.actions.base import Enrolment


def read_password(path: str | None, *, prompt: str = "Password: ") -> str:
    """Read a password from a file (first line) or ask twice on the terminal."""
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").splitlines()[0]
        except (OSError, UnicodeDecodeError, IndexError) as error:
            raise CommandError(f"cannot read a password from {path}: {error}") from None
    first = getpass.getpass(prompt)
    if first != getpass.getpass("Again: "):
        raise CommandError("the two passwords are not the same")
    return first


def enrolment_text(enrolment: Enrolment) -> str:
    """What a new member must copy now; none of it is kept by the server."""
    return "\n".join(
        [
            f"  username:               {enrolment.user.username}",
            f"  role:                   {enrolment.user.role}",
            f"  TOTP secret:            {enrolment.totp_secret}",
            f"  TOTP provisioning URI:  {enrolment.provisioning_uri}",
            f"  personal recovery key:  {enrolment.recovery_code}",
        ]
    )
