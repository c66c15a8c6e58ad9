"""Fields and widgets shared by the workspace's forms of cases and their parts (forms_<resource>.py).

Every bound is the action's own, so a form refuses what the action would refuse, in the
member's language and next to the field, before anything is decrypted or written. Choices
that name rows (members, shelters, pathways, tasks' owners) are querysets already narrowed to
what the member may see: a foreign id is "not one of the choices", never a 500 or a hint
that it exists.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import Role
from refuge.cases.models import choice_label
from refuge.core.forms import CleanCharField, too_long_lazy

INVALID_TEXT = _("This text contains characters that cannot be read. Please type it again.")
BAD_DATE = _("Enter a date as YYYY-MM-DD, for example 2025-03-31.")
BAD_CHOICE = _("Choose one of the options in the list.")
# The oldest date a form takes: nothing in casework predates it, and it keeps years
# like 0001 (valid for Python, meaningless here) out of the database.
EARLIEST = datetime.date(2000, 1, 1)


def interpolated(message: Any, values: dict[str, Any]) -> str:
    """`message % values`, translated when shown (not once, at import, in the default language)."""
    return lazy(lambda: str(message) % values, str)()


def bounded_text(
    label: Any, limit: int, *, required: bool, required_message: Any = None, **kwargs: Any
) -> CleanCharField:
    """A text field whose "too long" names the limit, as the action would."""
    messages: dict[str, Any] = {
        "invalid": INVALID_TEXT,
        "max_length": too_long_lazy(limit),
    }
    if required_message is not None:
        messages["required"] = required_message
    return CleanCharField(label=label, max_length=limit, required=required, error_messages=messages, **kwargs)


# A text box, not type="number": what was typed (even "12,50") is shown again with its error.
NUMBER_INPUT = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})


def textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "autocomplete": "off"})


class DateInput(forms.DateInput):
    """A native date picker; typing YYYY-MM-DD works everywhere, with or without it."""

    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def date_field(label: Any, *, required: bool, help_text: Any = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        help_text=help_text,
        validators=[after_earliest],
        error_messages={"invalid": BAD_DATE, "required": _("Enter a date.")},
    )


def after_earliest(value: datetime.date) -> None:
    if value < EARLIEST:
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


def choice_field(label: Any, choices: Any, *, required: bool = True, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        required=required,
        widget=kwargs.pop("widget", QuickSelect),
        error_messages={"required": BAD_CHOICE, "invalid_choice": BAD_CHOICE},
        **kwargs,
    )


class RowChoiceField(forms.ModelChoiceField):
    """One of the offered rows; anything else, a malformed id too, is "not one of the choices"."""

    def __init__(self, *, label: Any, queryset: QuerySet[Any], **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"required": BAD_CHOICE, "invalid_choice": BAD_CHOICE})
        kwargs.setdefault("widget", QuickSelect)
        super().__init__(label=label, queryset=queryset, **kwargs)

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(BAD_CHOICE, code="invalid_choice") from None


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
