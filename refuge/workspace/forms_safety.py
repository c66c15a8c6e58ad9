"""Forms of the safety panel, the alarm page and the escalation checklist: parse and bound; actions decide."""

from __future__ import annotations

import datetime
from zoneinfo import available_timezones

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.core.forms import CleanCharField
from refuge.safety.actions.escalation import MAX_STEP_MINUTES
from refuge.safety.actions.schedules import MAX_GRACE_MINUTES, ScheduleInput
from refuge.safety.models import Outcome, StepOwner
from refuge.safety.rules import MAX_EVERY_HOURS, MAX_TIMES
from refuge.safety.words import MAX_WORD_CHARS
from refuge.workspace.fields import QuickSelect

_NUMBER = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
_ZONES = sorted(available_timezones() - {"localtime", "Factory"})


class ScheduleForm(forms.Form):
    every_hours = forms.IntegerField(
        label=_("Every … hours"),
        required=False,
        min_value=1,
        max_value=MAX_EVERY_HOURS,
        widget=_NUMBER,
        help_text=_("Or leave empty and give fixed times."),
    )
    times = CleanCharField(
        label=_("Or at fixed local times"),
        required=False,
        max_length=60,
        help_text=_("For example: 09:00, 21:00."),
    )
    zone = forms.ChoiceField(
        label=_("The person's time zone"), choices=[(z, z) for z in _ZONES], initial="Europe/Moscow", widget=QuickSelect
    )
    grace_minutes = forms.IntegerField(
        label=_("Grace period (minutes)"), min_value=0, max_value=MAX_GRACE_MINUTES, initial=60, widget=_NUMBER
    )
    starts_at = forms.DateTimeField(
        label=_("From (UTC)"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: from now."),
    )
    ends_at = forms.DateTimeField(
        label=_("Until (UTC)"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("For example, when the flight lands. Empty: until the schedule is stopped."),
    )
    duress_word = CleanCharField(
        label=_("Duress word"),
        required=False,
        max_length=MAX_WORD_CHARS,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "Agreed with the person: typed as the check-in message, it raises an alarm while the screen shows "
            "an ordinary check-in. Stored so that nobody can read it back. Empty: keep the word already set."
        ),
    )

    def clean_times(self) -> tuple[datetime.time, ...]:
        text = self.cleaned_data.get("times") or ""
        parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
        try:
            times = tuple(sorted({datetime.time.fromisoformat(part) for part in parts}))
        except ValueError:
            raise forms.ValidationError(_("Write times as HH:MM, separated by commas."), code="bad_time") from None
        if len(times) > MAX_TIMES:
            raise forms.ValidationError(_("At most 6 times a day."), code="too_many_times")
        return times

    def schedule_input(self) -> ScheduleInput:
        data = self.cleaned_data
        return ScheduleInput(
            every_hours=data.get("every_hours"),
            times=data.get("times") or (),
            zone=data["zone"],
            grace_minutes=data["grace_minutes"],
            starts_at=_utc(data.get("starts_at")),
            ends_at=_utc(data.get("ends_at")),
            duress_word=data.get("duress_word") or "",
        )


def _utc(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        return value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What happened"),
        choices=[("", _("Choose an outcome")), *Outcome.choices],
        error_messages={"required": _("Choose an outcome."), "invalid_choice": _("Choose an outcome.")},
    )


class EscalationStepForm(forms.Form):
    title = CleanCharField(label=_("What is to be done"), max_length=120, required=True)
    minutes = forms.IntegerField(
        label=_("Within (minutes)"), min_value=1, max_value=MAX_STEP_MINUTES, initial=15, widget=_NUMBER
    )
    owner = forms.ChoiceField(label=_("Who does it"), choices=StepOwner.choices, initial=StepOwner.TEAM)


class StopScheduleForm(forms.Form):
    """The stop button: nothing to type."""


class LockConfirmForm(forms.Form):
    """A lock is not undone by its author: the box must be ticked."""

    confirm = forms.BooleanField(
        label=_("Yes, I understand that I cannot undo this myself."),
        error_messages={"required": _("Tick the box to confirm.")},
    )
