"""What an act could not do, as the member is told it: one mapping for every surface.

The workspace's error boundary (`refuge.workspace.decorators.staff_view`) renders a `Refusal`
as a page; the JSON API (`refuge.api.errors`) renders the same `Refusal` as its one error
body. Both catch the same three things: a `UserError`, stored data that does not open
(`CryptoError`), and a key the member does not hold (the keyring's `KeyNotHeld`, which core
cannot name: whatever the boundary hands over that is neither of the first two is a lock).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from refuge.core.errors import UserError
from refuge.crypto import CryptoError

LOCKED = "locked"
UNREADABLE = "unreadable"
CONFLICT = "conflict"


@dataclass(frozen=True)
class Refusal:
    """Why a view could not do what was asked, as the member is told it (page or JSON)."""

    code: str  # LOCKED, UNREADABLE, or the UserError's code
    message: str
    status: int


def refusal_of(error: Exception) -> Refusal:
    """The one mapping from what went wrong to what the member is told, and with which status."""
    if isinstance(error, UserError):
        return Refusal(error.code, str(error.message), 409 if error.code == CONFLICT else 400)
    if isinstance(error, CryptoError):
        return Refusal(
            UNREADABLE,
            _("This could not be decrypted: it may have been altered in the database. Nothing was changed or shown."),
            403,
        )
    return Refusal(LOCKED, _("You do not hold the key this needs, so nothing was changed."), 403)
