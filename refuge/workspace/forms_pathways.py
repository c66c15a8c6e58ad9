"""Forms of the pathway catalogue: parse and bound input; actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from refuge.relocation.actions import MAX_PATHWAY_NOTE_CHARS, MAX_PATHWAY_TEXT_CHARS
from refuge.relocation.catalogue_csv import MAX_CHECKLIST_ITEM_CHARS, MAX_CHECKLIST_ITEMS, MAX_PROCESSING_DAYS
from refuge.relocation.requirements import SEPARATOR, Requirement
from refuge.workspace.forms_people import text_field

_DAYS = _("Typical days are a whole number from 1 to 3650, or empty if unknown.")


class PathwayForm(forms.Form):
    country = text_field(
        _("Destination"), 80, required=True, error_messages={"required": _("Name the destination country.")}
    )
    name = text_field(_("Programme"), 300, required=True, error_messages={"required": _("Name the programme or visa.")})
    legal_basis = text_field(_("Legal basis"), MAX_PATHWAY_TEXT_CHARS)
    who_applies = text_field(
        _("Who applies"),
        MAX_PATHWAY_TEXT_CHARS,
        help_text=_("The person, the organisation, or a referral partner only."),
    )
    in_country_eligible = text_field(_("Works from inside the country of origin?"), MAX_PATHWAY_TEXT_CHARS)
    hard_requirements = forms.MultipleChoiceField(
        label=_("Hard requirements"),
        choices=Requirement.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The advisor leaves this pathway out for a person who does not meet one of these."),
    )
    requirements = text_field(_("Requirements in words"), MAX_PATHWAY_TEXT_CHARS, rows=3)
    checklist = text_field(
        _("Document checklist"),
        MAX_CHECKLIST_ITEMS * (MAX_CHECKLIST_ITEM_CHARS + 1),
        rows=5,
        help_text=_("One document a line. A new application's checklist starts from it."),
    )
    typical_processing_time = text_field(_("Typical processing time, in words"), MAX_PATHWAY_TEXT_CHARS)
    processing_days = forms.IntegerField(
        label=_("Typical days from submission to decision"),
        required=False,
        min_value=1,
        max_value=MAX_PROCESSING_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), _DAYS),
    )
    fees = text_field(_("Fees"), MAX_PATHWAY_TEXT_CHARS)
    notes = text_field(_("Notes"), MAX_PATHWAY_TEXT_CHARS, rows=4)
    sources = text_field(_("Sources"), MAX_PATHWAY_TEXT_CHARS, rows=2)

    def clean_checklist(self) -> list[str]:
        items = [line.strip() for line in self.cleaned_data["checklist"].splitlines() if line.strip()]
        if len(items) > MAX_CHECKLIST_ITEMS:
            raise forms.ValidationError(_("A checklist has at most 40 documents."))
        if any(len(item) > MAX_CHECKLIST_ITEM_CHARS or SEPARATOR in item for item in items):
            raise forms.ValidationError(_("Each document is at most 200 characters, without “;”."))
        return items

    @classmethod
    def initial_of(cls, pathway: Any) -> dict[str, Any]:
        initial = {name: getattr(pathway, name) for name in cls.base_fields}
        initial["checklist"] = "\n".join(pathway.checklist)
        return initial


class PathwayNoteForm(forms.Form):
    note = text_field(
        _("Your organisation's notes"),
        MAX_PATHWAY_NOTE_CHARS,
        rows=4,
        help_text=_(
            "Stored in clear, like the catalogue, and seen by your organisation only: practical facts "
            "(appointment waits, which consulate answers). Never a person, a case or a negotiation."
        ),
    )
