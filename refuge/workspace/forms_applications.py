"""Forms of applications and the advisor: parse and bound input; actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.applications.actions import MAX_APPLICATION_NOTE_CHARS, MAX_APPLICATION_TEXT_CHARS
from refuge.applications.details import Details
from refuge.applications.models import Status
from refuge.cases.models import Case, Person
from refuge.relocation.models import Pathway
from refuge.relocation.queries import pathways_of
from refuge.workspace.forms_cases import MemberChoiceField, PathwayChoiceField, RowChoiceField, VersionField
from refuge.workspace.forms_people import date_field, text_field

_BAD_STATUS = _("Choose one of the statuses offered.")


class PersonChoiceField(RowChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.pseudonym)


def offered_pathways(case: Case) -> QuerySet[Pathway]:
    return pathways_of(case.organisation_id).order_by("country", "name")


class StartApplicationForm(forms.Form):
    person = PersonChoiceField(label=_("Who applies"), queryset=Person.objects.none())
    pathway = PathwayChoiceField(label=_("Pathway"), queryset=Pathway.objects.none())

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "application")
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(case=case).order_by("pseudonym")  # type: ignore[attr-defined]
        self.fields["pathway"].queryset = offered_pathways(case)  # type: ignore[attr-defined]


class FolderForm(forms.Form):
    """Where the application is filed, and which documents of its checklist are ready."""

    embassy = text_field(_("Embassy, consulate or office"), MAX_APPLICATION_TEXT_CHARS)
    city = text_field(_("City"), MAX_APPLICATION_TEXT_CHARS)
    references = text_field(_("Reference numbers"), MAX_APPLICATION_TEXT_CHARS)
    fees_paid = text_field(_("Fees paid"), MAX_APPLICATION_TEXT_CHARS)
    version = VersionField()

    def __init__(self, *args: Any, details: Details, documents: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "folder")
        super().__init__(*args, **kwargs)
        choices = [("", _("No document")), *documents]
        self.checklist_rows: list[tuple[str, str, str]] = []
        for index, item in enumerate(details.checklist):
            ready, document = f"ready_{index}", f"document_{index}"
            self.fields[ready] = forms.BooleanField(label=item.item, required=False, initial=item.ready)
            self.fields[document] = forms.ChoiceField(
                label=_("Case document for “%(item)s”") % {"item": item.item},
                choices=choices,
                required=False,
                initial=item.document,
                error_messages={"invalid_choice": _("Choose a document of this case.")},
            )
            self.checklist_rows.append((item.item, ready, document))

    def checklist(self) -> list[tuple[bool, str]]:
        data = self.cleaned_data
        return [(bool(data[ready]), data[document] or "") for _item, ready, document in self.checklist_rows]


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=Status.choices,
        error_messages={"required": _BAD_STATUS, "invalid_choice": _BAD_STATUS},
    )
    on = date_field(_("On"))
    note = text_field(_("Note"), MAX_APPLICATION_NOTE_CHARS, rows=2)
    visa_type = text_field(_("Visa type (if granted)"), MAX_APPLICATION_TEXT_CHARS)
    valid_from = date_field(_("Valid from"), required=False)
    valid_until = date_field(
        _("Valid until"), required=False, help_text=_("A task reminds the team 30 days before the visa ends.")
    )
    conditions = text_field(_("Conditions"), MAX_APPLICATION_TEXT_CHARS)
    refusal_reason = text_field(_("Reason for refusal (if refused)"), MAX_APPLICATION_TEXT_CHARS)

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "status")
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(value, label) for value, label in Status.choices if value in allowed]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The visa cannot end before it starts."))
        return data


class AppointmentForm(forms.Form):
    on = date_field(_("Date"))
    what = text_field(
        _("What"),
        MAX_APPLICATION_TEXT_CHARS,
        required=True,
        error_messages={"required": _("Say what the appointment is (e.g. fingerprints at the visa centre).")},
    )
    owner = MemberChoiceField(label=_("Who goes with them or follows it"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, team: QuerySet[User], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "appointment")
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = team  # type: ignore[attr-defined]


_ANSWER = [("unknown", _("Not known")), ("yes", _("Yes")), ("no", _("No"))]


def _answer(label: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=_ANSWER,
        initial="unknown",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose yes, no or not known."),
            "invalid_choice": _("Choose yes, no or not known."),
        },
    )


class AdvisorForm(forms.Form):
    """What the case says about the person, for the advisor (sent by POST: never in an address)."""

    person = PersonChoiceField(label=_("For whom"), queryset=Person.objects.none())
    outside_origin = _answer(_("Is the person outside their country of origin now?"))
    international_passport = _answer(_("Do they hold a valid international passport?"))
    family_tie = _answer(_("Do they have close family abroad?"))
    family_countries = text_field(
        _("In which countries (one a line)?"), 1000, rows=2, help_text=_("Leave empty if anywhere or not known.")
    )
    hrd_status = _answer(_("Are they a human-rights defender with a record of that work?"))
    referral_partner = _answer(_("Will a referral partner (UNHCR, Front Line Defenders, …) refer them?"))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "advisor")
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(case=case).order_by("pseudonym")  # type: ignore[attr-defined]
