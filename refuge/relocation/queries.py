"""Reading the pathway catalogue (public facts, in clear: no audit; private pathways by organisation)."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from refuge.relocation.models import Pathway


def pathway_by_code(code: str) -> Pathway | None:
    """The catalogue's pathway with this stable code, if it is (still) in the catalogue."""
    return Pathway.objects.filter(code=code).first() if code else None


def shared_catalogue() -> list[Pathway]:
    """Every pathway of the installation's catalogue, retired ones included (the export)."""
    return list(Pathway.objects.filter(organisation__isnull=True).order_by("country", "name"))


def pathways_of(organisation_id: uuid.UUID, *, active_only: bool = True) -> QuerySet[Pathway]:
    """The shared catalogue and the organisation's private pathways; never another organisation's."""
    pathways = Pathway.objects.filter(Q(organisation__isnull=True) | Q(organisation_id=organisation_id))
    return pathways.filter(active=True) if active_only else pathways
