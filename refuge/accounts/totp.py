"""Time-based one-time codes (RFC 6238) with replay protection by time step."""

from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING

import pyotp

if TYPE_CHECKING:
    from refuge.accounts.models import User

STEP_SECONDS = 30
# One step either side tolerates phone clocks that are a little off.
WINDOW = 1


def new_secret() -> str:
    """A fresh 160-bit base32 TOTP secret."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, user: User) -> str:
    """otpauth:// URI for authenticator apps; names the organisation, not the person."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=f"Refuge {user.organisation.slug}")


def clean_code(code: str) -> str | None:
    """Digits only, or None if it cannot be a code."""
    if not isinstance(code, str) or len(code) > 20:
        return None
    digits = "".join(code.split())
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else None


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time step whose code equals `code`, or None."""
    digits = clean_code(code)
    if digits is None:
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        # Compare every candidate so timing does not reveal which one matched.
        if hmac.compare_digest(totp.generate_otp(step), digits):
            found = step
    return found


def code_at(secret: str, when: float | None = None) -> str:
    """The code an authenticator shows now (demo and tests)."""
    return pyotp.TOTP(secret).at(int(time.time() if when is None else when))
