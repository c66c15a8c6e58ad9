"""Reading the pathway catalogue (public facts, in clear: no audit; private pathways by organisation)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from refuge.relocation.models import Pathway, PathwayNote


def pathway_by_code(code: str) -> Pathway | None:
    """The catalogue's pathway with this stable code, if it is (still) in the catalogue."""
    return Pathway.objects.filter(code=code).first() if code else None


def shared_catalogue() -> list[Pathway]:
    """Every pathway of the installation's catalogue, retired ones included (the export)."""
    return list(Pathway.objects.filter(organisation__isnull=True).order_by("country", "name"))


def pathways_of(organisation_id: uuid.UUID, *, active_only: bool = True) -> QuerySet[Pathway]:
    """The shared catalogue and the organisation's private pathways; never another organisation's.

    `active_only` leaves out what is retired for everyone and what this organisation retired.
    """
    pathways = Pathway.objects.filter(Q(organisation__isnull=True) | Q(organisation_id=organisation_id))
    if not active_only:
        return pathways
    retired_here = PathwayNote.objects.filter(organisation_id=organisation_id, retired=True).values("pathway_id")
    return pathways.filter(active=True).exclude(pk__in=retired_here)


@dataclass(frozen=True)
class CatalogueEntry:
    """A pathway as an organisation sees it: with its own note, and whether it still offers it."""

    pathway: Pathway
    note: str
    offered: bool


def note_of(organisation_id: uuid.UUID, pathway: Pathway) -> PathwayNote | None:
    return PathwayNote.objects.filter(organisation_id=organisation_id, pathway=pathway).first()


def catalogue_for(organisation_id: uuid.UUID) -> list[CatalogueEntry]:
    """Every pathway the organisation can see, retired ones last (the catalogue page)."""
    notes = {note.pathway_id: note for note in PathwayNote.objects.filter(organisation_id=organisation_id)}
    entries = []
    for pathway in pathways_of(organisation_id, active_only=False).order_by("country", "name"):
        note = notes.get(pathway.pk)
        offered = pathway.active and not (note is not None and note.retired)
        entries.append(CatalogueEntry(pathway=pathway, note=note.note if note else "", offered=offered))
    return sorted(entries, key=lambda entry: not entry.offered)


def entry_of(organisation_id: uuid.UUID, pathway: Pathway) -> CatalogueEntry:
    note = note_of(organisation_id, pathway)
    offered = pathway.active and not (note is not None and note.retired)
    return CatalogueEntry(pathway=pathway, note=note.note if note else "", offered=offered)
