"""Forms for accepting a request, people, their compartments and their stays: parse and bound; actions decide.

Compartment forms are built from the schema (refuge/cases/compartments.py), so a
field added there appears here with its label and limit. Dates are <input type=date>
and also accept YYYY-MM-DD typed by hand (browsers without a date picker).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.cases.actions.notes import MAX_CASE_NOTE_CHARS
from refuge.cases.compartments import CONTACT_FIELDS, FIELDS, MAX_CONTACTS, RELATIONS, Field
from refuge.cases.models import PersonRole, Priority
from refuge.core.forms import CleanCharField, too_long_lazy
from refuge.shelter.models import Shelter

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

BAD_DATE = _("Enter a date as YYYY-MM-DD.")
BAD_CHARACTERS = _("This contains characters that cannot be stored.")
STALE_FORM = _("This form is out of date. Open the page again and make your change there.")

# What each UNHCR level promises the person (DOMAIN.md): the due date follows from it.
PRIORITY_CHOICES = [
    (Priority.EMERGENCY.value, _("Emergency — in immediate danger: safe within about 7 days")),
    (Priority.URGENT.value, _("Urgent — at serious risk: safe within about 6 weeks")),
    (Priority.NORMAL.value, _("Normal — at risk, not immediately: safe within about 12 months")),
]


def _as_label(label: StrOrPromise | Promise) -> StrOrPromise:
    # The schema's labels are gettext_lazy proxies: translated when the form is shown.
    return cast("StrOrPromise", label)


def text_field(
    label: StrOrPromise | Promise, max_chars: int, *, required: bool = False, rows: int = 0, **kwargs: Any
) -> CleanCharField:
    """One line (or `rows` lines) of text: limit and control characters refused in the reader's language."""
    errors = {"max_length": too_long_lazy(max_chars), "invalid": BAD_CHARACTERS, **kwargs.pop("error_messages", {})}
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput
    return CleanCharField(
        label=_as_label(label), required=required, max_length=max_chars, widget=widget, error_messages=errors, **kwargs
    )


def date_field(label: StrOrPromise | Promise, *, required: bool = True, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=_as_label(label),
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": BAD_DATE, "required": _("Enter a date.")},
        **kwargs,
    )


def version_field() -> forms.IntegerField:
    # The version the page was read at; a tampered or missing value is a stale form, not a crash.
    return forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        max_value=2**31 - 1,
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), STALE_FORM),
    )


class OneOfField(forms.ModelChoiceField):
    """A choice of a row; a value that is not even an id gets the same message as a wrong id."""

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except forms.ValidationError as error:
            if error.code == "invalid_choice":
                raise
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None


class MemberChoiceField(OneOfField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.username} ({obj.get_role_display()})"


class _MemberChoice:
    """A choice of colleagues: anything not one of them gets one message, in the reader's language."""

    error_messages: dict[str, Any]

    def clean(self, value: Any) -> Any:
        try:
            return super().clean(value)  # type: ignore[misc]
        except forms.ValidationError as error:
            # Not an id at all (the UUID field's own English message), or not a candidate.
            if getattr(error, "code", None) == "required":
                raise
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.username} ({obj.get_role_display()})"


class TeamField(_MemberChoice, forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class LeadField(_MemberChoice, forms.ModelChoiceField):
    pass


def _member_errors() -> dict[str, StrOrPromise]:
    wrong = _("This person cannot be on a case team.")
    return {"invalid_choice": wrong, "invalid_pk_value": wrong, "invalid_list": wrong}


# --- accepting a request ---------------------------------------------------------------------


class AcceptForm(forms.Form):
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=PRIORITY_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a priority."), "invalid_choice": _("Choose a priority.")},
        help_text=_("The UNHCR levels. The case's due date is set from it, and it can be changed later."),
    )
    team = TeamField(
        label=_("Team"),
        queryset=User.objects.none(),
        error_messages={"required": _("Choose at least one member for the team."), **_member_errors()},
        help_text=_(
            "They get the case key and take over the conversation with the requester. "
            "Intake no longer sees the request once it is accepted."
        ),
    )
    lead = LeadField(
        label=_("Who leads the case"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("The first one ticked in the team"),
        error_messages=_member_errors(),
        help_text=_("The lead owns the tasks made for the case, such as renewing a passport. It can be changed later."),
    )

    def __init__(self, *args: Any, candidates: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = candidates  # type: ignore[attr-defined]
        self.fields["lead"].queryset = candidates  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        lead, team = cleaned.get("lead"), cleaned.get("team")
        if lead is not None and team is not None and lead not in team:
            self.add_error("lead", _("The lead must be on the team: tick them in the team too."))
        return cleaned


# --- people ----------------------------------------------------------------------------------

_ROLE = {
    "label": _("Who this person is"),
    "choices": PersonRole.choices,
    "error_messages": {"required": _("Choose who this person is."), "invalid_choice": _("Choose who this person is.")},
}


def _details_field() -> CleanCharField:
    return text_field(
        _("Working notes"),
        MAX_CASE_NOTE_CHARS,
        rows=5,
        help_text=_(
            "Languages, how they are doing, what they need next. Nothing that identifies them: "
            "names, documents and addresses go in the compartments."
        ),
    )


class PersonForm(forms.Form):
    role = forms.ChoiceField(**_ROLE)  # type: ignore[arg-type]
    details = _details_field()


class PersonEditForm(PersonForm):
    version = version_field()


# --- compartments ----------------------------------------------------------------------------


def _schema_field(field: Field) -> forms.Field:
    if field.kind == "date":
        return date_field(field.label, required=False)
    return text_field(field.label, field.max_chars, rows=3 if field.kind == "long" else 0)


def compartment_form_class(kind: str) -> type[forms.Form]:
    """A form with one field per schema field of the compartment kind, and the version."""
    fields: dict[str, forms.Field] = {field.name: _schema_field(field) for field in FIELDS[kind]}
    fields["version"] = version_field()
    return type(f"{kind.title()}CompartmentForm", (forms.Form,), fields)


class VersionForm(forms.Form):
    version = version_field()


def _relation_choices() -> list[tuple[str, StrOrPromise | Promise]]:
    return [("", _("Choose…")), *RELATIONS.items()]


class ContactForm(forms.Form):
    """One entry of the contact graph: a row of the list editor."""

    name = text_field(
        CONTACT_FIELDS[0].label,
        CONTACT_FIELDS[0].max_chars,
        required=True,
        error_messages={"required": _("Give a name or a description.")},
    )
    relation = forms.ChoiceField(
        label=_as_label(CONTACT_FIELDS[1].label),
        choices=_relation_choices,
        error_messages={
            "required": _("Choose how this contact is related."),
            "invalid_choice": _("Choose how this contact is related."),
        },
    )
    details = text_field(CONTACT_FIELDS[2].label, CONTACT_FIELDS[2].max_chars, rows=2)


class BaseContactFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this contact")

    def entries(self) -> list[dict[str, str]]:
        """The contacts to store: kept rows and a filled blank row, in order."""
        kept = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", {}) or {}
            if data.get("name") and not data.get("DELETE"):
                kept.append({"name": data["name"], "relation": data["relation"], "details": data.get("details", "")})
        return kept


# One blank row to add a contact; removing is a checkbox: the list works without JavaScript.
ContactFormSet = forms.formset_factory(
    ContactForm,
    formset=BaseContactFormSet,
    extra=1,
    can_delete=True,
    can_delete_extra=False,
    max_num=MAX_CONTACTS,
    validate_max=True,
    absolute_max=MAX_CONTACTS + 1,
)


class ShareForm(forms.Form):
    member = MemberChoiceField(
        label=_("Give this compartment to"),
        queryset=User.objects.none(),
        error_messages={
            "required": _("Choose a member of the team."),
            "invalid_choice": _("Choose a member of the team."),
        },
        help_text=_("Only members of the case's team who do not hold it yet are listed."),
    )

    def __init__(self, *args: Any, candidates: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = candidates  # type: ignore[attr-defined]


# --- stays in shelters -------------------------------------------------------------------------


class ShelterChoiceField(OneOfField):
    def label_from_instance(self, obj: Any) -> str:
        # Code name and free places only: the city and the address stay in the register.
        free = max(obj.capacity - getattr(obj, "occupied", 0), 0)
        if free == 0:
            return gettext("%(name)s — full") % {"name": obj.code_name}
        return ngettext(
            "%(name)s — %(free)s free place (of %(capacity)s)",
            "%(name)s — %(free)s free places (of %(capacity)s)",
            free,
        ) % {"name": obj.code_name, "free": free, "capacity": obj.capacity}


class PlaceForm(forms.Form):
    shelter = ShelterChoiceField(
        label=_("Shelter"),
        queryset=Shelter.objects.none(),
        empty_label=_("Choose…"),
        error_messages={
            "required": _("Choose one of the shelters."),
            "invalid_choice": _("Choose one of the shelters."),
        },
        help_text=_("Code names only: the address is given by a coordinator to whoever needs it."),
    )
    starts_on = date_field(_("Arrives on"))
    planned_until = date_field(
        _("Planned to stay until"),
        required=False,
        help_text=_("Leave empty if not known yet. Stays past this date are flagged."),
    )

    def __init__(self, *args: Any, shelters: QuerySet[Shelter], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"starts_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["shelter"].queryset = shelters  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, planned_until = data.get("starts_on"), data.get("planned_until")
        if (
            isinstance(starts_on, datetime.date)
            and isinstance(planned_until, datetime.date)
            and planned_until < starts_on
        ):
            self.add_error("planned_until", _("The planned end is before the start."))
        return data


class EndStayForm(forms.Form):
    ended_on = date_field(_("Left on"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"ended_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
