"""The case's timeline: one encrypted event per act."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from refuge.cases.models.case import Case
from refuge.keyring.registry import register_encrypted


class EventKind(models.TextChoices):
    OPENED = "opened", _("Case opened")
    STAGE = "stage", _("Stage changed")
    PRIORITY = "priority", _("Priority changed")
    EDITED = "edited", _("Case details changed")
    TEAM_ADDED = "team_added", _("Added to the team")
    TEAM_REMOVED = "team_removed", _("Removed from the team")
    LEAD_CHANGED = "lead", _("Lead changed")
    PERSON_ADDED = "person_added", _("Person added")
    COMPARTMENT = "compartment", _("Compartment changed")
    COMPARTMENT_SHARED = "comp_shared", _("Compartment shared")
    COMPARTMENT_UNSHARED = "comp_unshared", _("Compartment taken back")
    NOTE = "note", _("Note added")
    TASK = "task", _("Task added")
    TASK_DONE = "task_done", _("Task done")
    EXPENSE = "expense", _("Expense recorded")
    MESSAGE = "message", _("Message to the requester")
    DOCUMENT = "document", _("Document added")
    PLACED = "placed", _("Placed in a shelter")
    PLACEMENT_ENDED = "placement_end", _("Left a shelter")
    LOST_CONTACT = "lost_contact", _("Contact lost")
    CONTACT_BACK = "contact_back", _("Contact restored")
    KEYS_ROTATED = "rotated", _("Case keys rotated")
    ATTACHED = "attached", _("Request attached")


@register_encrypted(key_field="key", columns=("detail",))
class CaseEvent(models.Model):
    """One line of a case's timeline; the detail (e.g. which stage) is under the case key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=14, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField()
    detail = models.BinaryField()  # JSON

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} event"
