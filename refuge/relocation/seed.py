"""Load the pathway catalogue shipped in data/pathways.csv (idempotent)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from refuge.relocation.models import Pathway
from refuge.relocation.requirements import derived_checklist, derived_requirements

CATALOGUE = Path(__file__).resolve().parent / "data" / "pathways.csv"


def pathway_code(country: str, name: str) -> str:
    """A stable code from the row's country and name, e.g. "germany-humanitarian-admission-from-abroad"."""
    return slugify(f"{country} {name.split(' (')[0]}")[:80].strip("-")


def do_seed_pathways(path: Path = CATALOGUE) -> int:
    """Create or update every catalogue row, with the hard requirements and checklist read from its
    words as migration relocation 0004 gives them; returns how many rows the file has."""
    with transaction.atomic():
        count = seed_into(Pathway, path)
        for pathway in Pathway.objects.filter(organisation__isnull=True):
            pathway.hard_requirements = derived_requirements(
                who_applies=pathway.who_applies,
                requirements=pathway.requirements,
                in_country_eligible=pathway.in_country_eligible,
                name=pathway.name,
            )
            pathway.checklist = derived_checklist(pathway.hard_requirements)
            pathway.save(update_fields=["hard_requirements", "checklist"])
        return count


def seed_into(model: type[Any], path: Path = CATALOGUE) -> int:
    """Write the catalogue into `model` (the real model, or a migration's historical one)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        model.objects.update_or_create(
            code=pathway_code(row["country"], row["pathway_name"]),
            defaults={
                "country": row["country"],
                "name": row["pathway_name"],
                "legal_basis": row["legal_basis"],
                "who_applies": row["who_applies"],
                "requirements": row["requirements_short"],
                "typical_processing_time": row["typical_processing_time"],
                "in_country_eligible": row["in_country_eligible"],
                "notes": row["notes"],
                "sources": row["sources"],
            },
        )
    return len(rows)
