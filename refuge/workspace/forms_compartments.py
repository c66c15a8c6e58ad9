"""Forms of a person's compartments: built from the schema (refuge/cases/compartments.py), so a
field added there appears here with its label and limit; the contact graph's list editor;
giving a compartment to a member; and a file put in a compartment (checked and rebuilt as
every upload is, forms_documents.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.cases.compartments import CONTACT_FIELDS, FIELDS, MAX_CONTACTS, RELATIONS, Field
from refuge.workspace.forms_documents import DocumentForm
from refuge.workspace.forms_people import MemberChoiceField, as_label, date_field, text_field, version_field

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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
        label=as_label(CONTACT_FIELDS[1].label),
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


class CompartmentFileForm(DocumentForm):
    """A scan or photo for the compartment (a passport's pages): one file, sanitised like every upload."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = _("File")
