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
from django.utils.safestring import SafeString, mark_safe
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
    """Django's <select>, written out in Python: the same HTML (tests/workspace/test_quick_select.py
    compares them), without Django's dict and template include per option. 41 members in the case
    list's filter took 5 ms; the 597 time zones of the check-in schedule form took 55 ms through
    Django's widget, half of the case page, and a sixth of that here."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        wanted = set(self.format_value(value))
        chosen = False

        def options(choices: Any) -> SafeString:
            def rows() -> Any:
                # As Django's optgroups(): None is "", and only the first matching option is selected.
                nonlocal chosen
                for option_value, label in choices:
                    text = "" if option_value is None else str(option_value)
                    selected = not chosen and text in wanted
                    chosen = chosen or selected
                    yield text, _SELECTED if selected else "", label

            return format_html_join("", '\n  <option value="{}"{}>{}</option>', rows())

        parts = []
        flat: list[Any] = []  # consecutive options outside any group, written in one go
        for group_value, group_label in self.choices:
            if isinstance(group_label, list | tuple):
                parts.append(options(flat))
                flat = []
                parts.append(
                    format_html('\n  <optgroup label="{}">{}\n  </optgroup>', group_value, options(group_label))
                )
            else:
                flat.append((group_value, group_label))
        parts.append(options(flat))
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            format_html_join("", "{}", ((part,) for part in parts)),
        )


_SELECTED = mark_safe(" selected")


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
