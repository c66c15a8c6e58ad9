"""Check-in schedules, check-ins, alarms and the escalation checklists alarms open.

What is in clear, and why (docs/threat-model.md, "Safety check-ins"): a schedule's next due
time and grace period, so that the scheduler, which holds no key, can see a missed check-in;
an alarm's kind (a missed check-in, or a signal from the requester), its times and who
answered it, so that the team is alerted and the time to first response is measured.
Everything that says something about the person is encrypted under the request's key
(the requester's receipt opens it, and the case team holds it): the schedule's rule (its
interval or local times, time zone, start and end), every check-in (its exact time, its
message, and whether it was a duress word or "help now"). The duress word is stored only
as a peppered Argon2id digest (refuge/crypto/words.py).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from refuge.keyring.registry import register_encrypted


@register_encrypted(key_field="key", columns=("rule",))
class CheckInSchedule(models.Model):
    """When the requester of a case must check in; one per case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="check_in_schedule")
    request = models.ForeignKey("intake.HelpRequest", on_delete=models.CASCADE, related_name="+")
    # The request's key: the requester's receipt and the case team both open it.
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    rule = models.BinaryField()
    grace_minutes = models.PositiveIntegerField()
    # The check-in the requester owes next (None: the schedule has ended or is stopped) and
    # the moment it counts as missed (next_due_at + grace), for the scheduler's query.
    next_due_at = models.DateTimeField(null=True, blank=True)
    alarm_at = models.DateTimeField(null=True, blank=True)
    # Set, in the transaction that raises the alarm, when next_due_at was missed: an alarm is
    # raised once per miss, whatever runs the job and however often.
    missed_at = models.DateTimeField(null=True, blank=True)
    # Always a digest, a random one when no word was chosen: the database does not tell
    # whether a duress word exists.
    word_salt = models.BinaryField()
    word_digest = models.BinaryField()
    active = models.BooleanField(default=True)
    created_on = models.DateField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            models.Index(
                fields=["alarm_at"], name="schedule_watch_idx", condition=models.Q(active=True, missed_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"check-in schedule {self.pk}"


@register_encrypted(key_field="key", columns=("body",))
class CheckIn(models.Model):
    """One check-in from the portal: its time, message and signal, all encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey("intake.HelpRequest", on_delete=models.CASCADE, related_name="check_ins")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    body = models.BinaryField()
    # To the hour, as every requester act (docs/threat-model.md); the minute is inside `body`.
    received_hour = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["request", "received_hour"])]

    def __str__(self) -> str:
        return f"check-in {self.pk}"


class AlarmKind(models.TextChoices):
    MISSED = "missed", _("Missed check-in")
    # A duress word or "help now": which one is inside the check-in, encrypted.
    SIGNAL = "signal", _("Signal from the requester")


class Outcome(models.TextChoices):
    CONTACT_BACK = "contact_back", _("Contact is back, the person is safe")
    FALSE_ALARM = "false_alarm", _("False alarm")
    DETAINED = "detained", _("Detained or taken")
    HANDED_ON = "handed_on", _("Handed on (lawyer, partner, authorities)")
    OTHER = "other", _("Other")


class Alarm(models.Model):
    """An alarm on a case: raised by a missed check-in or a signal, answered by the team."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey("intake.HelpRequest", on_delete=models.CASCADE, related_name="+")
    # None for a signal sent before the request became a case (intake and coordinators answer it).
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="alarms")
    kind = models.CharField(max_length=10, choices=AlarmKind.choices)
    schedule = models.ForeignKey(CheckInSchedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The check-in that was missed (MISSED) — the unique constraint below makes a second
    # alarm for the same miss impossible, whatever the job does.
    due_at = models.DateTimeField(null=True, blank=True)
    check_in = models.ForeignKey(CheckIn, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    raised_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "due_at"], name="one_alarm_per_miss", condition=models.Q(kind="missed")
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "raised_at"], name="alarm_open_idx", condition=models.Q(outcome=""))
        ]

    def __str__(self) -> str:
        return f"alarm {self.pk}"

    @property
    def is_open(self) -> bool:
        return not self.outcome


class StepOwner(models.TextChoices):
    TEAM = "team", _("The case team")
    COORDINATORS = "coordinators", _("Coordinators")


class EscalationStep(models.Model):
    """One step of an organisation's escalation checklist ("call the safe contact", within 15 minutes).

    The organisation's procedure, not a person's data: in clear.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=120)
    minutes = models.PositiveIntegerField()
    owner = models.CharField(max_length=12, choices=StepOwner.choices, default=StepOwner.TEAM)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.title


class AlarmTask(models.Model):
    """A step of the checklist, opened by an alarm with its deadline."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=120)
    owner = models.CharField(max_length=12, choices=StepOwner.choices)
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.title


class EmergencyLock(models.Model):
    """An organisation-wide lock for a raid: every account locked, every session ended.

    Lifted only with the organisation's recovery shares (`refuge recovery lift-emergency-lock`):
    no member, coordinator or administrator can log in to undo it, and a coerced one cannot
    be made to. It unlocks exactly the accounts it locked (an account locked before, by a
    duress login, stays locked for a coordinator to check on).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    locked_at = models.DateTimeField()
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # The ids of the accounts this lock locked (they were active and not locked before).
    locked_members = models.JSONField(default=list)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"], name="one_emergency_lock_at_a_time", condition=models.Q(lifted_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"emergency lock {self.pk}"
