"""The outcomes page's filters: a period of submission and, for coordinators, one team member's cases."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import Role, User
from refuge.applications.outcomes import Filters
from refuge.cases.access import CASE_ROLES
from refuge.workspace.forms_cases import MemberChoiceField


class OutcomeFilterForm(forms.Form):
    since = forms.DateField(
        label=_("Submitted from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )
    until = forms.DateField(
        label=_("Submitted until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )
    member = MemberChoiceField(label=_("Cases of this team member"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, viewer: User, members: QuerySet[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if viewer.role == Role.COORDINATOR:
            if members is None:
                members = User.objects.filter(
                    organisation_id=viewer.organisation_id, role__in=CASE_ROLES, is_active=True
                )
            self.fields["member"].queryset = members.order_by("username")  # type: ignore[attr-defined]
        else:
            del self.fields["member"]  # everyone else sees their own cases only

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(since=data.get("since"), until=data.get("until"), member=data.get("member"))
