"""The case page's stage panel: move the case to another stage (refuge/cases/stages.py decides)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from refuge.cases.models import ClosingReason, Stage
from refuge.workspace.fields import VersionField, choice_field


class StageForm(forms.Form):
    version = VersionField()
    # Any stage (and closing reason) parses; only the allowed ones are offered. Whether a move is
    # allowed is the action's decision (after the version check, so a stale form is a conflict).
    stage = choice_field(_("New stage"), Stage.choices)
    closing_reason = choice_field(
        _("Reason for closing"),
        [("", _("Not closing")), *ClosingReason.choices],
        required=False,
        help_text=_(
            "Needed only when the case is closed. Lost contact is not a reason to close: raise the alarm instead."
        ),
    )

    def __init__(self, *args: Any, current: str, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = [("", _("Choose a stage"))] + [(stage, Stage(stage).label) for stage in allowed]
        self.fields["stage"].widget.choices = offered
        if current != Stage.ARRIVED:
            # Closing as relocated follows the arrival record (issue #12): not offered before it;
            # do_change_stage refuses it posted.
            reasons = self.fields["closing_reason"].widget.choices
            self.fields["closing_reason"].widget.choices = [
                (value, label) for value, label in reasons if value != ClosingReason.RELOCATED
            ]
