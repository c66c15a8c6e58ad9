"""Forms of travel and arrival: parse and bound input; refuge/applications/travel.py decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.applications.travel import MAX_TRAVEL_TEXT_CHARS
from refuge.workspace.forms_cases import MemberChoiceField
from refuge.workspace.forms_people import date_field, text_field


class LegForm(forms.Form):
    departs_on = date_field(_("Departure day"))
    origin = text_field(
        _("From"),
        MAX_TRAVEL_TEXT_CHARS,
        required=True,
        error_messages={"required": _("Say where the leg starts and ends.")},
    )
    destination = text_field(
        _("To"),
        MAX_TRAVEL_TEXT_CHARS,
        required=True,
        error_messages={"required": _("Say where the leg starts and ends.")},
    )
    transport = text_field(_("Transport"), MAX_TRAVEL_TEXT_CHARS, help_text=_("Bus, train, flight number…"))
    transit = text_field(_("Transit countries (one a line)"), MAX_TRAVEL_TEXT_CHARS, rows=2)
    exit_risk = text_field(
        _("Exit-control risks"),
        MAX_TRAVEL_TEXT_CHARS,
        rows=3,
        help_text=_("For example: phones are searched at this border; wanted lists checked at passport control."),
    )
    accompanied_by = text_field(_("Who goes along"), MAX_TRAVEL_TEXT_CHARS)
    tickets = forms.MultipleChoiceField(
        label=_("Tickets (case documents)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose a document of this case.")},
    )

    def __init__(self, *args: Any, documents: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "leg")
        super().__init__(*args, **kwargs)
        self.fields["tickets"].choices = documents  # type: ignore[attr-defined]


class DepartureForm(forms.Form):
    departed_on = date_field(_("Departure day"))
    passport_valid = forms.BooleanField(label=_("The passport is valid for the whole journey"), required=False)
    visa_valid = forms.BooleanField(label=_("The visa is valid for the travel dates"), required=False)
    exit_risk_reviewed = forms.BooleanField(
        label=_("The exit-control risks are reviewed with the person"), required=False
    )
    shelter_ended = forms.BooleanField(label=_("The shelter stay has ended"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "departure")
        super().__init__(*args, **kwargs)


class ArrivalForm(forms.Form):
    arrived_on = date_field(_("Arrival day"))
    status_at_destination = text_field(_("Status claimed or obtained"), MAX_TRAVEL_TEXT_CHARS)
    receiving_partner = text_field(_("Receiving partner"), MAX_TRAVEL_TEXT_CHARS)
    first_address = text_field(
        _("First address"),
        MAX_TRAVEL_TEXT_CHARS,
        rows=2,
        help_text=_(
            "Kept in the requester's compartment “Address after arrival”, under its own key: only the members "
            "given that compartment read it (you, until you share it)."
        ),
    )
    owner = MemberChoiceField(label=_("Who follows up"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, team: QuerySet[User], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "arrival")
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = team  # type: ignore[attr-defined]
