"""Forms of the case list and the case pages: parse and bound input; actions decide.

Every bound is the action's own (MAX_* in refuge.cases.actions.*), so a form refuses
what the action would refuse, in the member's language and next to the field,
before anything is decrypted or written. Choices that name rows (members, shelters,
pathways, tasks' owners) are querysets already narrowed to what the member may
see: a foreign id is "not one of the choices", never a 500 or a hint that it exists.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import Role, User
from refuge.cases.actions.base import MAX_TITLE_CHARS
from refuge.cases.actions.details import MAX_SUMMARY_CHARS
from refuge.cases.actions.expenses import MAX_AMOUNT
from refuge.cases.actions.notes import MAX_CASE_NOTE_CHARS
from refuge.cases.models import ClosingReason, Currency, ExpenseCategory, Priority, Stage, TaskKind, choice_label
from refuge.cases.money import MAX_TYPED_CHARS, parse_amount
from refuge.cases.queries import MAX_SEARCH_CHARS
from refuge.core.errors import UserError
from refuge.core.forms import CleanCharField, too_long_lazy
from refuge.intake.actions import MAX_MESSAGE_CHARS
from refuge.intake.uploads import MAX_FILE_BYTES, CleanUpload, sanitise_upload
from refuge.relocation.models import Pathway
from refuge.shelter.models import Shelter

_INVALID_TEXT = _("This text contains characters that cannot be read. Please type it again.")
_BAD_DATE = _("Enter a date as YYYY-MM-DD, for example 2025-03-31.")
_BAD_CHOICE = _("Choose one of the options in the list.")
# The oldest date a form takes: nothing in casework predates it, and it keeps years
# like 0001 (valid for Python, meaningless here) out of the database.
_EARLIEST = datetime.date(2000, 1, 1)


def _interpolated(message: Any, values: dict[str, Any]) -> str:
    """`message % values`, translated when shown (not once, at import, in the default language)."""
    return lazy(lambda: str(message) % values, str)()


def _text(label: Any, limit: int, *, required: bool, required_message: Any = None, **kwargs: Any) -> CleanCharField:
    """A text field whose "too long" names the limit, as the action would."""
    messages: dict[str, Any] = {
        "invalid": _INVALID_TEXT,
        "max_length": too_long_lazy(limit),
    }
    if required_message is not None:
        messages["required"] = required_message
    return CleanCharField(label=label, max_length=limit, required=required, error_messages=messages, **kwargs)


# A text box, not type="number": what was typed (even "12,50") is shown again with its error.
_NUMBER = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "autocomplete": "off"})


class DateInput(forms.DateInput):
    """A native date picker; typing YYYY-MM-DD works everywhere, with or without it."""

    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _date(label: Any, *, required: bool, help_text: Any = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        help_text=help_text,
        validators=[_after_earliest],
        error_messages={"invalid": _BAD_DATE, "required": _("Enter a date.")},
    )


def _after_earliest(value: datetime.date) -> None:
    if value < _EARLIEST:
        raise forms.ValidationError(_("Enter a date after 2000-01-01."), code="too_early")


class QuickSelect(forms.Select):
    """Django's <select>, written out in Python: the same HTML, without a template include
    per option (41 members in the case list's filter took 5 ms; this takes a tenth)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            lines = format_html_join(
                "",
                '\n  <option value="{}"{}>{}</option>',
                ((option["value"], flatatt(option["attrs"]), option["label"]) for option in options),
            )
            groups.append(
                format_html('\n  <optgroup label="{}">{}\n  </optgroup>', group_name, lines) if group_name else lines
            )
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            format_html_join("", "{}", ((g,) for g in groups)),
        )


def _choice(label: Any, choices: Any, *, required: bool = True, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        required=required,
        widget=kwargs.pop("widget", QuickSelect),
        error_messages={"required": _BAD_CHOICE, "invalid_choice": _BAD_CHOICE},
        **kwargs,
    )


class RowChoiceField(forms.ModelChoiceField):
    """One of the offered rows; anything else, a malformed id too, is "not one of the choices"."""

    def __init__(self, *, label: Any, queryset: QuerySet[Any], **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"required": _BAD_CHOICE, "invalid_choice": _BAD_CHOICE})
        kwargs.setdefault("widget", QuickSelect)
        super().__init__(label=label, queryset=queryset, **kwargs)

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(_BAD_CHOICE, code="invalid_choice") from None


class MemberChoiceField(RowChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.username} ({choice_label(Role, obj.role)})"


class PathwayChoiceField(RowChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.country}: {obj.short_name}"


class VersionField(forms.IntegerField):
    """The version of the case the form was read at: a stale one is a conflict, not an overwrite."""

    def __init__(self) -> None:
        super().__init__(
            widget=forms.HiddenInput,
            min_value=0,
            max_value=2**31 - 1,
            error_messages={
                "required": _("This form is incomplete. Open the case again and repeat your change."),
                "invalid": _("This form is incomplete. Open the case again and repeat your change."),
                "min_value": _("This form is incomplete. Open the case again and repeat your change."),
                "max_value": _("This form is incomplete. Open the case again and repeat your change."),
            },
        )


# --- the list ------------------------------------------------------------------------------

STAGE_OPEN = "open"
STAGE_ALL = "all"


class CaseFilterForm(forms.Form):
    """The case list's filters, sent by GET so that a filtered list can be bookmarked and paged."""

    q = _text(
        _("Search"),
        MAX_SEARCH_CHARS,
        required=False,
        help_text=_(
            "A pseudonym, a case reference, or a full name, phone number or document number. "
            "Names, phones and documents must be typed in full: they are compared without "
            "being decrypted, so parts of them do not match."
        ),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    stage = _choice(
        _("Stage"),
        [(STAGE_OPEN, _("Open cases")), (STAGE_ALL, _("All cases")), *Stage.choices],
        required=False,
    )
    priority = _choice(_("Priority"), [("", _("Any priority")), *Priority.choices], required=False)
    member = MemberChoiceField(
        label=_("Team member"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Anyone"),
    )
    shelter = RowChoiceField(
        label=_("Shelter"), queryset=Shelter.objects.none(), required=False, empty_label=_("Any shelter")
    )
    pathway = PathwayChoiceField(
        label=_("Pathway"),
        queryset=Pathway.objects.none(),
        required=False,
        empty_label=_("Any pathway"),
    )
    opened_from = _date(_("Opened on or after"), required=False)
    opened_to = _date(_("Opened on or before"), required=False)
    overdue = forms.BooleanField(label=_("Only cases with overdue tasks"), required=False)
    lost_contact = forms.BooleanField(label=_("Only cases where contact is lost"), required=False)
    mine = forms.BooleanField(label=_("Only my cases"), required=False)

    def __init__(
        self,
        *args: Any,
        members: QuerySet[User],
        shelters: QuerySet[Shelter],
        pathways: QuerySet[Pathway],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members  # type: ignore[attr-defined]
        self.fields["shelter"].queryset = shelters  # type: ignore[attr-defined]
        self.fields["pathway"].queryset = pathways  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["stage"] = data.get("stage") or STAGE_OPEN
        start, end = data.get("opened_from"), data.get("opened_to")
        if start and end and start > end:
            self.add_error("opened_to", _("This date is before “Opened on or after”."))
        return data


# --- the case's own fields ----------------------------------------------------------------


class CaseEditForm(forms.Form):
    version = VersionField()
    priority = _choice(
        _("Priority"),
        Priority.choices,
        help_text=_(
            "Changing the priority sets a new due date: 7 days for emergency, 6 weeks for urgent, a year for normal."
        ),
    )
    pathway = PathwayChoiceField(
        label=_("Pathway"),
        queryset=Pathway.objects.none(),
        required=False,
        empty_label=_("Not chosen yet"),
    )
    budget = forms.IntegerField(
        label=_("Budget"),
        required=False,
        min_value=0,
        max_value=MAX_AMOUNT,
        help_text=_("In whole units of the currency below."),
        error_messages={
            "invalid": _("Enter a whole number, without spaces or separators."),
            "min_value": _("Enter an amount between 0 and 10,000,000."),
            "max_value": _("Enter an amount between 0 and 10,000,000."),
        },
        widget=_NUMBER,
    )
    currency = _choice(_("Currency"), Currency.choices)
    summary = _text(
        _("Summary"),
        MAX_SUMMARY_CHARS,
        required=False,
        widget=_textarea(12),
    )

    def __init__(self, *args: Any, pathways: QuerySet[Pathway], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pathway"].queryset = pathways  # type: ignore[attr-defined]

    def explain_summary(self, *, structured: bool) -> None:
        """Say what an empty summary means: while it is the request's answers, they are kept."""
        if structured:
            self.fields["summary"].help_text = _(
                "The summary is still the request as the requester wrote it, shown above. "
                "Leave this empty to keep it, or write the team's own summary to replace it."
            )
        else:
            self.fields["summary"].help_text = _("The case in a few paragraphs: only the team can read it.")


class StageForm(forms.Form):
    version = VersionField()
    # Any stage parses; only the allowed ones are offered. Whether a move is allowed
    # is the action's decision (after the version check, so a stale form is a conflict).
    stage = _choice(_("New stage"), Stage.choices)
    closing_reason = _choice(
        _("Reason for closing"),
        [("", _("Not closing")), *ClosingReason.choices],
        required=False,
        help_text=_(
            "Needed only when the case is closed. Lost contact is not a reason to close: raise the alarm instead."
        ),
    )

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = [("", _("Choose a stage"))] + [(stage, Stage(stage).label) for stage in allowed]
        self.fields["stage"].widget.choices = offered


class LostContactForm(forms.Form):
    """Raise or clear the lost-contact alarm."""

    lost = forms.TypedChoiceField(
        choices=[("yes", "yes"), ("no", "no")],
        coerce=lambda value: value == "yes",
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This action is not allowed."),
            "invalid_choice": _("This action is not allowed."),
        },
    )


# --- team ----------------------------------------------------------------------------------


class TeamAddForm(forms.Form):
    member = MemberChoiceField(
        label=_("Member to add"),
        queryset=User.objects.none(),
        empty_label=_("Choose a member"),
        help_text=_("They get the case key and can read everything on this page, and write to the requester."),
    )
    lead = forms.BooleanField(label=_("Make them the case lead"), required=False)

    def __init__(self, *args: Any, candidates: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = candidates  # type: ignore[attr-defined]


# --- work on the case -----------------------------------------------------------------------


class NoteForm(forms.Form):
    body = _text(
        _("Note"),
        MAX_CASE_NOTE_CHARS,
        required=True,
        required_message=_("Write the note first."),
        widget=_textarea(5),
        help_text=_("Only the team reads notes. Write what the next person needs to know."),
    )


class TaskForm(forms.Form):
    title = _text(_("What needs doing"), MAX_TITLE_CHARS, required=True, required_message=_("Say what needs doing."))
    kind = _choice(_("Kind"), TaskKind.choices, initial=TaskKind.TASK)
    due_on = _date(_("Due on"), required=False)
    owner = MemberChoiceField(
        label=_("Who does it"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody yet"),
    )

    def __init__(self, *args: Any, team: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = team  # type: ignore[attr-defined]


class ExpenseForm(forms.Form):
    category = _choice(_("Category"), [("", _("Choose a category")), *ExpenseCategory.choices])
    amount = _text(
        _("Amount"),
        MAX_TYPED_CHARS,
        required=True,
        required_message=_("Enter the amount."),
        help_text=_("For example 1234.50 or 1 234,50."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    currency = _choice(_("Currency"), Currency.choices)
    spent_on = _date(_("Spent on"), required=True)
    note = _text(_("What it was for"), MAX_TITLE_CHARS, required=False)

    def clean_spent_on(self) -> datetime.date | None:
        spent_on: datetime.date | None = self.cleaned_data.get("spent_on")
        if spent_on is not None and spent_on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return spent_on

    def clean(self) -> dict[str, Any]:
        """The amount in minor units of the chosen currency, as `amount_minor`."""
        cleaned = super().clean() or {}
        typed, currency = cleaned.get("amount"), cleaned.get("currency")
        if typed and currency:
            try:
                cleaned["amount_minor"] = parse_amount(typed, currency)
            except UserError as error:
                self.add_error("amount", str(error.message))
        return cleaned


class DocumentForm(forms.Form):
    file = forms.FileField(
        label=_("Document"),
        allow_empty_file=True,  # sanitise_upload names the empty file in its own message
        help_text=_interpolated(
            _(
                "One file of at most %(megabytes)d MB: a photo (JPEG, PNG, WebP) or a PDF. "
                "Hidden metadata is removed before it is stored."
            ),
            {"megabytes": MAX_FILE_BYTES // (1024 * 1024)},
        ),
        error_messages={
            "required": _("Choose a file to upload."),
            "invalid": _("Choose a file to upload."),
            "missing": _("Choose a file to upload."),
            "max_length": _("The file name is too long."),
        },
    )

    def clean_file(self) -> CleanUpload:
        """Checked by its content and rebuilt without metadata, as requesters' files are."""
        upload = self.cleaned_data["file"]
        try:
            return sanitise_upload(upload.name or "", upload, upload.size)
        except UserError as error:
            raise forms.ValidationError(str(error.message), code=error.code) from None


class MessageForm(forms.Form):
    body = _text(
        _("Message to the requester"),
        MAX_MESSAGE_CHARS,
        required=True,
        required_message=_("Write a message first."),
        widget=_textarea(5),
        help_text=_("The requester reads it when they next open their request with their receipt."),
    )
