"""The one error type users see (STYLE.md #6)."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext


class UserError(Exception):
    """A refusal the user can act on: a stable code plus a translatable message."""

    def __init__(self, code: str, message: str | Promise, *, field: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


def too_long(limit: int) -> str:
    """The "too long" message for `limit` characters, in the reader's language and number format."""
    return gettext("This is too long: at most %(limit)s characters.") % {
        "limit": number_format(limit, force_grouping=True)
    }
