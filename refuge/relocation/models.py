"""The catalogue of relocation pathways (DESIGN.md §3.6), seeded from data/pathways.csv.

Public facts about visas and programmes, the same for every organisation: nothing
here is about a person, so it is stored in clear.
"""

from __future__ import annotations

from django.db import models


class Pathway(models.Model):
    """One way to reach safety in one destination (e.g. Germany, §22 AufenthG)."""

    # Stable short code derived from the catalogue row (see seed.py); cases refer to it.
    code = models.SlugField(max_length=80, unique=True)
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

    class Meta:
        ordering = ["country", "name"]

    def __str__(self) -> str:
        return f"{self.country}: {self.name}"

    @property
    def short_name(self) -> str:
        """The name up to its first parenthesis: lists have little room."""
        return self.name.split(" (")[0]
