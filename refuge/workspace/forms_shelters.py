"""Forms of the shelter register: parse and bound input; actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.shelter.actions import MAX_CAPACITY, MAX_CODE_NAME_CHARS, MAX_SHELTER_TEXT_CHARS
from refuge.workspace.forms_people import MemberChoiceField, text_field, version_field

_CAPACITY = _("Capacity is between 1 and 500 people.")


class ShelterForm(forms.Form):
    code_name = text_field(
        _("Code name"),
        MAX_CODE_NAME_CHARS,
        required=True,
        error_messages={"required": _("Give the shelter a code name.")},
        help_text=_("A word everyone can say aloud, never the street, the owner or the district."),
    )
    capacity = forms.IntegerField(
        label=_("Places"),
        min_value=1,
        max_value=MAX_CAPACITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), _CAPACITY),
        help_text=_("How many people can stay at once. A full shelter refuses new stays."),
    )
    city = text_field(
        _("City or region"),
        MAX_SHELTER_TEXT_CHARS,
        help_text=_("Encrypted. Seen by coordinators and the teams of people staying there."),
    )
    rules = text_field(
        _("House rules and practical notes"),
        MAX_SHELTER_TEXT_CHARS,
        rows=5,
        help_text=_("Encrypted, seen by the same people as the city."),
    )
    address = text_field(
        _("Address"),
        MAX_SHELTER_TEXT_CHARS,
        rows=3,
        help_text=_(
            "Under its own key: only coordinators, and the members a coordinator gives it to, can read it. "
            "Persecutors look for safe houses: give it only to whoever must go there."
        ),
    )


class ShelterEditForm(ShelterForm):
    active = forms.BooleanField(
        label=_("Takes new stays"),
        required=False,
        help_text=_("Untick to stop new placements here; people staying now stay."),
    )
    version = version_field()

    def __init__(self, *args: Any, with_address: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_address:
            # Not holding the address key: the address is neither shown nor changed.
            del self.fields["address"]


class GrantAddressForm(forms.Form):
    member = MemberChoiceField(
        label=_("Give the address to"),
        queryset=User.objects.none(),
        error_messages={"required": _("Choose a member."), "invalid_choice": _("Choose a member.")},
        help_text=_("For example the caseworker who takes the person there."),
    )

    def __init__(self, *args: Any, candidates: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = candidates  # type: ignore[attr-defined]
