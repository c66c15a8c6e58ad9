"""Safe houses and who stays in them.

Two real abductions happened at NGO safe houses (DOMAIN.md): the register is seen
only by coordinators and by the caseworkers of people placed there, and each
address is a compartment of its own. The coded name and capacity are in clear so
occupancy can be counted without keys; city and house rules are encrypted under
the shelter's key, the address under its address key.
"""

from __future__ import annotations

import uuid

from django.db import models

from refuge.keyring.registry import register_encrypted


@register_encrypted(key_field="key", columns=("city", "rules"))
class Shelter(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="shelters")
    # A code name chosen by the organisation ("Linden"), never the street or owner.
    code_name = models.CharField(max_length=40)
    capacity = models.PositiveSmallIntegerField()
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    city = models.BinaryField()
    rules = models.BinaryField()
    active = models.BooleanField(default=True)
    created_on = models.DateField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["code_name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code_name"], name="shelter_code_unique")]

    def __str__(self) -> str:
        return self.code_name


@register_encrypted(key_field="key", columns=("address",))
class ShelterAddress(models.Model):
    """The address compartment of a shelter, under its own key (coordinators, and whom they grant)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shelter = models.OneToOneField(Shelter, on_delete=models.CASCADE, related_name="address")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    address = models.BinaryField()
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"address of {self.shelter_id}"


class Placement(models.Model):
    """A person staying in a shelter from one day, planned until another."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    shelter = models.ForeignKey(Shelter, on_delete=models.PROTECT, related_name="placements")
    person = models.ForeignKey("cases.Person", on_delete=models.CASCADE, related_name="placements")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="placements")
    starts_on = models.DateField()
    planned_until = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        indexes = [
            models.Index(fields=["shelter", "ended_on"]),
            models.Index(fields=["organisation", "ended_on", "planned_until"]),
        ]

    def __str__(self) -> str:
        return f"placement {self.pk}"
