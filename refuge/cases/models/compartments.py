"""Compartments: a person's need-to-know records, each under its own key."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from refuge.cases.models.people import Person
from refuge.keyring.registry import register_encrypted


class CompartmentKind(models.TextChoices):
    IDENTITY = "identity", _("Legal identity")
    SOGIESC = "sogiesc", _("SOGIESC")
    MEDICAL = "medical", _("Medical and psychological needs")
    CONTACTS = "contacts", _("Contacts and threats")
    # Where the person lives once relocated: people are hunted abroad too (issue #12).
    ARRIVAL = "arrival", _("Address after arrival")


@register_encrypted(key_field="key", columns=("content",))
class Compartment(models.Model):
    """One separately keyed part of a person's file, readable only by those granted it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="compartments")
    kind = models.CharField(max_length=10, choices=CompartmentKind.choices)
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    content = models.BinaryField()  # JSON, shape per kind (refuge/cases/compartments.py)
    updated_on = models.DateField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "kind"], name="one_compartment_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} compartment of {self.person_id}"
