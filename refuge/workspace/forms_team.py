"""The case page's team panel: add a member to the team."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.workspace.fields import MemberChoiceField


class TeamAddForm(forms.Form):
    member = MemberChoiceField(
        label=_("Member to add"),
        queryset=User.objects.none(),
        empty_label=_("Choose a member"),
        help_text=_("They get the case key and can read everything on this page, and write to the requester."),
    )
    lead = forms.BooleanField(label=_("Make them the case lead"), required=False)

    def __init__(self, *args: Any, candidates: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member = self.fields["member"]
        member.queryset = candidates  # type: ignore[attr-defined]
        # On the case page (unbound): the candidates read once, for both "is there anyone to add"
        # (the team card shows the form only then) and the options, one statement where `.exists()`
        # and the options were two. A posted form checks its member against the queryset.
        self.candidates: list[User] = []
        if not self.is_bound:
            self.candidates = list(candidates)
            label = member.label_from_instance  # type: ignore[attr-defined]
            choices = [(person.pk, label(person)) for person in self.candidates]
            member.choices = [("", member.empty_label), *choices]  # type: ignore[attr-defined]
