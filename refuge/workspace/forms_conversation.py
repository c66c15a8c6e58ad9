"""The case page's conversation panel: a message to the requester."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from refuge.intake.actions.messages import MAX_MESSAGE_CHARS
from refuge.workspace.fields import bounded_text, textarea


class MessageForm(forms.Form):
    body = bounded_text(
        _("Message to the requester"),
        MAX_MESSAGE_CHARS,
        required=True,
        required_message=_("Write a message first."),
        widget=textarea(5),
        help_text=_("The requester reads it when they next open their request with their receipt."),
    )
