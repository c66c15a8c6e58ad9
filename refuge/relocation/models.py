"""The catalogue of relocation pathways (DESIGN.md §3.6), seeded from data/pathways.csv.

Public facts about visas and programmes: nothing here is about a person, so it is
stored in clear. Shared pathways (no organisation) are the installation's catalogue,
loaded by `refuge pathways import`; an organisation may add private ones (its own
description of a public programme) that only its members see. What an organisation
has learnt about a pathway (contacts, negotiations) is not kept here: applications
and their encrypted notes are (docs/threat-model.md).
"""

from __future__ import annotations

from django.db import models


class Pathway(models.Model):
    """One way to reach safety in one destination (e.g. Germany, §22 AufenthG)."""

    # Stable short code derived from the catalogue row (see seed.py); cases refer to it.
    code = models.SlugField(max_length=80, unique=True)
    # None: the installation's shared catalogue; else a pathway only this organisation sees.
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    country = models.CharField(max_length=80)
    name = models.CharField(max_length=300)
    legal_basis = models.TextField(blank=True, default="")
    who_applies = models.TextField(blank=True, default="")
    requirements = models.TextField(blank=True, default="")
    typical_processing_time = models.TextField(blank=True, default="")
    # "yes", "no", "exceptional only", … as the source says it, with its caveats.
    in_country_eligible = models.TextField(blank=True, default="")
    notes = models.TextField(blank=True, default="")
    sources = models.TextField(blank=True, default="")
    active = models.BooleanField(default=True)
    # Structured, for the advisor: codes of refuge/relocation/requirements.py, catalogue order.
    hard_requirements = models.JSONField(default=list, blank=True)
    # The documents an application needs, one name each; an application's checklist starts from it.
    checklist = models.JSONField(default=list, blank=True)
    # Typical days from submission to decision, when the sources give a number (the advisor ranks by it).
    processing_days = models.PositiveIntegerField(null=True, blank=True)
    fees = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["country", "name"]
        indexes = [models.Index(fields=["organisation", "active"])]

    def __str__(self) -> str:
        return f"{self.country}: {self.name}"

    @property
    def short_name(self) -> str:
        """The name up to its first parenthesis: lists have little room."""
        return self.name.split(" (")[0]

    @property
    def shared(self) -> bool:
        return self.organisation_id is None


class PathwayNote(models.Model):
    """An organisation's own word on a shared pathway: its notes, and whether it still offers it.

    In clear like the catalogue (docs/threat-model.md): the page asks for practical facts
    (appointment waits, which consulate answers), never a person or a negotiation.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="org_notes")
    note = models.TextField(blank=True, default="")
    # Retired for this organisation only: the shared catalogue stays as it is for the others.
    retired = models.BooleanField(default=False)
    updated_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "pathway"], name="one_note_per_org_pathway")]

    def __str__(self) -> str:
        return f"note on pathway {self.pathway_id}"
