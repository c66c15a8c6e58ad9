"""Forms of the intake inbox and the organisation settings: parse and bound input; actions decide."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from refuge.accounts.actions.credentials import MAX_EMAIL_CHARS
from refuge.core.forms import CleanCharField, too_long_lazy
from refuge.intake.actions.messages import MAX_MESSAGE_CHARS
from refuge.intake.bulk import MAX_BULK_DECLINE
from refuge.intake.models import RequesterStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# In the reader's number format ("10 000" in Russian), as every limit is said.
_TOO_LONG = too_long_lazy(MAX_MESSAGE_CHARS)


def _message_field(label: StrOrPromise, required_message: StrOrPromise, help_text: StrOrPromise) -> CleanCharField:
    """A message to the requester: errors in the action's own words, the typed text kept on error."""
    return CleanCharField(
        label=label,
        max_length=MAX_MESSAGE_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": required_message, "max_length": _TOO_LONG},
        help_text=help_text,
    )


class ReplyForm(forms.Form):
    body = _message_field(
        _("Your reply"),
        _("Write a reply first."),
        _("The requester reads it when they next open their request with their receipt."),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status the requester sees"),
        choices=RequesterStatus.choices,
        error_messages={
            "required": _("Choose one of the statuses."),
            "invalid_choice": _("Choose one of the statuses."),
        },
        help_text=_(
            "This only changes what the requester sees: it does not open a case. "
            "To open one, use “Accept and open a case”."
        ),
    )


class DeclineForm(forms.Form):
    message = _message_field(
        _("Message to the requester"),
        _("Write a message to the requester first."),
        _("Sent with the status “We are not able to help”. Change it as you see fit."),
    )


class PlantForm(forms.Form):
    """Mark or unmark a request as possibly coming from someone posing as a requester."""

    suspected = forms.TypedChoiceField(
        choices=[("yes", "yes"), ("no", "no")],
        coerce=lambda value: value == "yes",
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This action is not allowed."),
            "invalid_choice": _("This action is not allowed."),
        },
    )


class NotificationEmailForm(forms.Form):
    email = CleanCharField(
        label=_("Mailbox for notices"),
        required=False,
        max_length=MAX_EMAIL_CHARS,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "A shared role mailbox, not a person's own address. It gets a short notice such as "
            "“2 new requests since the last notice” — never a name, a reference or what anyone "
            "wrote. Leave it empty to send no e-mail."
        ),
    )


class LinkForm(forms.Form):
    """Link this request to another of the organisation, named by its reference."""

    reference = CleanCharField(
        label=_("Reference of the other request"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "R-7K2M9Q"}),
        help_text=_("For example a request the same person wrote after losing their receipt."),
        error_messages={"required": _("Enter the other request's reference.")},
    )


class UnlinkForm(forms.Form):
    """Remove the link to another request (its id, from the request page)."""

    other = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"required": _("This action is not allowed."), "invalid": _("This action is not allowed.")},
    )


class InboxViewForm(forms.Form):
    """How the inbox shows open requests: a plain list, grouped by likeness, or without the large groups."""

    LIST, GROUPS, APART = "list", "groups", "apart"
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            (LIST, _("All open requests, most urgent and oldest first")),
            (GROUPS, _("Requests that look alike, in groups (decrypts them)")),
            (APART, _("Only requests not in a large group (decrypts them)")),
        ],
        error_messages={"invalid_choice": _("Choose one of the ways to show requests.")},
    )

    def chosen(self) -> str:
        """The way chosen, or the plain list when nothing (or nothing valid) was chosen."""
        return (self.cleaned_data.get("show") or self.LIST) if self.is_valid() else self.LIST


class RequestIdsField(forms.Field):
    """The ticked requests of a list: their ids (each box one `name="requests"` value)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Tick at least one request to decline."),
        "invalid": _("This action is not allowed."),
        "too_many": _("At most %(limit)s requests can be declined at once."),
    }

    def to_python(self, value: object) -> list[uuid.UUID]:
        if value in (None, "", [], ()):
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > MAX_BULK_DECLINE:
            raise forms.ValidationError(self.error_messages["too_many"] % {"limit": MAX_BULK_DECLINE}, code="too_many")
        try:
            return list(dict.fromkeys(uuid.UUID(str(item)) for item in values))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class BulkDeclineForm(forms.Form):
    """Decline the ticked requests of the inbox at once (refuge/intake/bulk.py)."""

    requests = RequestIdsField()
    message = CleanCharField(
        label=_("Message to each requester"),
        required=False,
        max_length=MAX_MESSAGE_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _TOO_LONG},
        help_text=_(
            "Leave it empty to send each requester the standard kind message in the language they wrote in. "
            "Each gets the status “We are not able to help”, as with a single decline."
        ),
    )
    confirm = forms.BooleanField(
        label=_("I have looked at the ticked requests: decline every one of them"),
        error_messages={"required": _("Tick the confirmation to decline the ticked requests.")},
    )
    # The way the inbox was shown, to show it the same way again.
    show = forms.CharField(required=False, max_length=10, widget=forms.HiddenInput)


class MergeForm(forms.Form):
    """Merge this request with another of the organisation, named by its reference, in either direction."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The request page shows the link form too, whose field has the same name: its own ids.
        kwargs.setdefault("auto_id", "id_merge_%s")
        super().__init__(*args, **kwargs)

    INTO_OTHER, OTHER_INTO_THIS = "into_other", "other_into_this"
    reference = CleanCharField(
        label=_("Reference of the other request"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "R-7K2M9Q"}),
        error_messages={"required": _("Enter the other request's reference.")},
    )
    direction = forms.ChoiceField(
        label=_("Which request is kept"),
        choices=[
            (OTHER_INTO_THIS, _("Keep this request: the other is merged into it")),
            (INTO_OTHER, _("Keep the other request: this one is merged into it")),
        ],
        initial=OTHER_INTO_THIS,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose which request is kept."),
            "invalid_choice": _("Choose which request is kept."),
        },
    )
