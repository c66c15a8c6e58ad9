"""The audit log's filters (views/audit.py): an event, a member, a date range."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.reads import LogFilter, known_events
from refuge.workspace.fields import DateInput

_BAD_DATE = _("Enter a date as YYYY-MM-DD.")


class AuditLogFilterForm(forms.Form):
    event = forms.TypedChoiceField(label=_("Event"), required=False, coerce=int, empty_value=None)
    member = forms.ChoiceField(label=_("Member"), required=False)
    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _BAD_DATE},
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _BAD_DATE},
    )

    def __init__(self, data: object, *, members: list[User]) -> None:
        super().__init__(data)  # type: ignore[arg-type]
        self.members = {str(member.pk): member for member in members}
        cast(forms.ChoiceField, self.fields["event"]).choices = [("", _("Any event"))] + [
            (str(code), f"{code} {name}") for code, name in known_events()
        ]
        cast(forms.ChoiceField, self.fields["member"]).choices = [("", _("Anyone"))] + [
            (key, member.username) for key, member in self.members.items()
        ]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the range comes before its start."))
        return data

    def log_filter(self) -> LogFilter:
        """The filter of a valid form (an invalid one filters nothing)."""
        if not self.is_valid():
            return LogFilter()
        data = self.cleaned_data
        member = self.members.get(data["member"]) if data["member"] else None
        return LogFilter(
            code=data["event"],
            actor_id=member.pk if member is not None else None,
            since=data["since"],
            until=data["until"],
        )
