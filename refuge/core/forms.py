"""Form helpers shared by the web surfaces."""

from __future__ import annotations

import re

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext

from refuge.core.errors import UserError, too_long

# "This is too long: at most N characters." for a form field's error_messages: translated
# when shown, in the reader's language, not once when the form class is defined.
too_long_lazy = lazy(too_long, str)


class _TooLongForTheLimit:
    """Django's own "Ensure this value has at most N characters (it has M)" for every form field.

    A field's validator raises its error with the limit as a parameter, and Django formats the
    field's message with `message % params`: this message answers with `too_long(limit)`, in the
    reader's language and number format ("20 000" in Russian), as every Refuge form says it.
    """

    def __mod__(self, params: dict[str, object]) -> str:
        return too_long(int(str(params["limit_value"])))

    def __str__(self) -> str:
        return gettext("This is too long.")


def use_refuge_messages() -> None:
    """Give every CharField (and subclass) Refuge's "too long" message unless it names its own.

    Called once from CoreConfig.ready(), before any view imports a form: a form field written
    without its own max_length message no longer shows Django's stock text (issue #16, item 17).
    """
    forms.CharField.default_error_messages = {
        **getattr(forms.CharField, "default_error_messages", {}),
        # Django types these as strings; it only ever formats them with `%` and str().
        "max_length": _TooLongForTheLimit(),  # type: ignore[dict-item]
    }


def add_user_error(form: forms.Form, error: UserError) -> None:
    """Show an action's refusal next to its field, or above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


# Bidirectional embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI,
# PDI): invisible, and they reorder the text after them, so "U+202E" can make a name or a
# note read differently to staff than it was written. Nobody types them on purpose; they
# are removed. The marks LRM, RLM and ALM only nudge neighbouring punctuation and stay.
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def strip_bidi_controls(text: str) -> str:
    """The text without bidirectional embedding, override and isolate controls."""
    return text.translate(BIDI_CONTROLS)


# C0 control characters but tab, line feed and carriage return (one regular expression: a
# Python loop over every character cost the portal form about a thousand calls a submission).
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class CleanCharField(forms.CharField):
    """A CharField that refuses control characters and drops bidi controls (invalid or hostile input)."""

    def to_python(self, value: object) -> str:
        text = super().to_python(value) or ""
        if _CONTROL_CHARACTER.search(text):
            raise forms.ValidationError(self.error_messages.get("invalid", "Invalid characters."), code="invalid")
        return strip_bidi_controls(text)
