"""Forms of the retention page and the case page's legal hold: parse and bound; the actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from refuge.retention.actions import MAX_DAYS
from refuge.retention.models import Subject

_NUMBER = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 6})


class RetentionRulesForm(forms.Form):
    """One field per kind of record: days to keep it, or empty to keep it until someone deletes it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for subject in Subject:
            self.fields[subject.value] = forms.IntegerField(
                label=subject.label,
                required=False,
                min_value=0,
                max_value=MAX_DAYS,
                widget=_NUMBER,
                help_text=_("Days. Empty: kept until someone deletes it."),
            )

    def rules(self) -> dict[str, int | None]:
        """{subject: days or None} of the valid form."""
        return {subject.value: self.cleaned_data.get(subject.value) for subject in Subject}


class LegalHoldForm(forms.Form):
    """Set or lift a hold; `back` says which page the button was on, so the answer returns there."""

    back = forms.ChoiceField(
        choices=[("retention", "retention"), ("case", "case"), ("request", "request")], required=False
    )
