"""Tasks on a case; the title is encrypted, the due date and owner are not."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from refuge.cases.models.case import Case
from refuge.keyring.registry import register_encrypted


class TaskKind(models.TextChoices):
    TASK = "task", _("Task")
    APPOINTMENT = "appointment", _("Appointment")


@register_encrypted(key_field="key", columns=("title",))
class Task(models.Model):
    """Something to do by a date, by someone on the team. The title is under the case key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=TaskKind.choices, default=TaskKind.TASK)
    title = models.BinaryField()
    due_on = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    done_on = models.DateField(null=True, blank=True)
    created_on = models.DateField()
    # Set for tasks made from a document's expiry date, so saving the compartment again
    # updates its task instead of adding another: "<compartment id>:<document field>".
    source = models.CharField(max_length=80, blank=True, default="")

    class Meta:
        # Open tasks first on every database (PostgreSQL sorts NULLs last by default).
        ordering = [models.F("done_on").asc(nulls_first=True), models.F("due_on").asc(nulls_last=True), "created_on"]
        indexes = [
            models.Index(fields=["organisation", "done_on", "due_on"]),
            # "Has an overdue task" (the case list's filter), probed per case: open tasks only.
            models.Index(fields=["case", "due_on"], name="task_open_due_idx", condition=models.Q(done_on__isnull=True)),
            models.Index(fields=["owner", "done_on", "due_on"]),
            models.Index(fields=["case", "source"]),
        ]

    def __str__(self) -> str:
        return f"task {self.pk}"
