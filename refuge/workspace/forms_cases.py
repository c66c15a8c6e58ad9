"""Forms of the case list and of a case's own fields: filters, the edit page, the lost-contact alarm.

Every bound is the action's own (MAX_* in refuge.cases.actions); shared fields are in fields.py.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.cases.actions.details import MAX_SUMMARY_CHARS
from refuge.cases.models import Currency, Priority, Stage
from refuge.cases.money import MAX_TYPED_CHARS, parse_amount
from refuge.cases.search import MAX_SEARCH_CHARS
from refuge.core.errors import UserError
from refuge.relocation.models import Pathway
from refuge.shelter.models import Shelter
from refuge.workspace.fields import (
    MemberChoiceField,
    PathwayChoiceField,
    RowChoiceField,
    VersionField,
    bounded_text,
    choice_field,
    date_field,
    textarea,
)

# --- the list ------------------------------------------------------------------------------

STAGE_OPEN = "open"
STAGE_ALL = "all"


class CaseFilterForm(forms.Form):
    """The case list's filters, sent by GET so that a filtered list can be bookmarked and paged."""

    q = bounded_text(
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
    stage = choice_field(
        _("Stage"),
        [(STAGE_OPEN, _("Open cases")), (STAGE_ALL, _("All cases")), *Stage.choices],
        required=False,
    )
    priority = choice_field(_("Priority"), [("", _("Any priority")), *Priority.choices], required=False)
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
    opened_from = date_field(_("Opened on or after"), required=False)
    opened_to = date_field(_("Opened on or before"), required=False)
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
    priority = choice_field(
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
    # Typed as an expense's amount is (refuge/cases/money.py), read in the currency below.
    budget = bounded_text(
        _("Budget"),
        MAX_TYPED_CHARS,
        required=False,
        help_text=_("In the currency below, for example 1500 or 1 500,50. Leave it empty for no budget."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    currency = choice_field(_("Currency"), Currency.choices)
    summary = bounded_text(
        _("Summary"),
        MAX_SUMMARY_CHARS,
        required=False,
        widget=textarea(12),
    )

    def __init__(self, *args: Any, pathways: QuerySet[Pathway], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pathway"].queryset = pathways  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        """The budget in minor units of the chosen currency, as `budget_minor` (None: no budget)."""
        cleaned = super().clean() or {}
        typed, currency = (cleaned.get("budget") or "").strip(), cleaned.get("currency")
        cleaned["budget_minor"] = None
        if typed and currency:
            try:
                cleaned["budget_minor"] = parse_amount(typed, currency, field="budget", zero=True)
            except UserError as error:
                self.add_error("budget", str(error.message))
        return cleaned

    def explain_summary(self, *, structured: bool) -> None:
        """Say what an empty summary means: while it is the request's answers, they are kept."""
        if structured:
            self.fields["summary"].help_text = _(
                "The summary is still the request as the requester wrote it, shown above. "
                "Leave this empty to keep it, or write the team's own summary to replace it."
            )
        else:
            self.fields["summary"].help_text = _("The case in a few paragraphs: only the team can read it.")


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
