"""Forms for attaching a request to a case and writing to an attached request's requester (refuge/cases/attach.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from refuge.core.forms import CleanCharField, too_long_lazy
from refuge.intake.actions.messages import MAX_MESSAGE_CHARS


class AttachForm(forms.Form):
    """Attach the request shown to a case whose team the member is on, named by its reference."""

    case = CleanCharField(
        label=_("Reference of the case"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "C-4QX7PM"}),
        help_text=_(
            "A case whose team you are on. Its team gets this request's key, reads it on the case and "
            "answers its requester there. This cannot be undone."
        ),
        error_messages={"required": _("Enter the case's reference.")},
    )


class AttachedReplyForm(forms.Form):
    """A message from the case to the requester of one attached request."""

    request = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"required": _("This action is not allowed."), "invalid": _("This action is not allowed.")},
    )
    body = CleanCharField(
        label=_("Message to this requester"),
        max_length=MAX_MESSAGE_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write a message first."), "max_length": too_long_lazy(MAX_MESSAGE_CHARS)},
        help_text=_("They read it when they next open this request with its own receipt."),
    )
