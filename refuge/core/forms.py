"""Form helpers shared by the web surfaces."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy

from refuge.core.errors import UserError, too_long

# "This is too long: at most N characters." for a form field's error_messages: translated
# when shown, in the reader's language, not once when the form class is defined.
too_long_lazy = lazy(too_long, str)


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


class CleanCharField(forms.CharField):
    """A CharField that refuses control characters and drops bidi controls (invalid or hostile input)."""

    def to_python(self, value: object) -> str:
        text = super().to_python(value) or ""
        if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in text) or "\x00" in text:
            raise forms.ValidationError(self.error_messages.get("invalid", "Invalid characters."), code="invalid")
        return strip_bidi_controls(text)
