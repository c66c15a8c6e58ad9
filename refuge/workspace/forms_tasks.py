"""The case page's tasks panel: a task or an appointment, its day and who does it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.cases.actions.base import MAX_TITLE_CHARS
from refuge.cases.models import TaskKind
from refuge.workspace.fields import MemberChoiceField, bounded_text, choice_field, date_field


class TaskForm(forms.Form):
    title = bounded_text(
        _("What needs doing"), MAX_TITLE_CHARS, required=True, required_message=_("Say what needs doing.")
    )
    kind = choice_field(_("Kind"), TaskKind.choices, initial=TaskKind.TASK)
    due_on = date_field(_("Due on"), required=False)
    owner = MemberChoiceField(
        label=_("Who does it"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody yet"),
    )

    def __init__(self, *args: Any, team: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = team  # type: ignore[attr-defined]
