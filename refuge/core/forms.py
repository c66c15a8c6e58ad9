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


class CleanCharField(forms.CharField):
    """A CharField that refuses control characters (invalid or hostile input)."""

    def to_python(self, value: object) -> str:
        text = super().to_python(value) or ""
        if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in text) or "\x00" in text:
            raise forms.ValidationError(self.error_messages.get("invalid", "Invalid characters."), code="invalid")
        return text
