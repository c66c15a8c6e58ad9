"""Every write to the pathway catalogue: one function each, one transaction, audited."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from refuge.audit.actions import record
from refuge.relocation.audit_events import RelocationEvent
from refuge.relocation.catalogue_csv import CatalogueProblems, CatalogueRow, new_row_checklist, new_row_requirements
from refuge.relocation.models import Pathway

# The columns a catalogue row always sets (the optional ones only when the file has them).
_TEXT_FIELDS = (
    "country",
    "name",
    "legal_basis",
    "who_applies",
    "requirements",
    "typical_processing_time",
    "in_country_eligible",
    "notes",
    "sources",
)


@dataclass(frozen=True)
class ImportResult:
    added: int
    changed: int
    unchanged: int


def do_import_pathways(*, rows: list[CatalogueRow]) -> ImportResult:
    """Add or update the shared catalogue's pathways from checked rows, all or nothing.

    Pathways not in the file are left as they are (retiring one is a coordinator's act);
    a private pathway of an organisation is never touched, and its code cannot be taken.
    Run by `refuge pathways import`, an operator's act: the entry has no actor.
    """
    added = changed = unchanged = 0
    with transaction.atomic(durable=True):
        codes = [row.code for row in rows]
        existing = {pathway.code: pathway for pathway in Pathway.objects.select_for_update().filter(code__in=codes)}
        for row in rows:
            pathway = existing.get(row.code)
            if pathway is not None and pathway.organisation_id is not None:
                raise CatalogueProblems([(row.line, "an organisation's private pathway has this code")])
            if pathway is None:
                _create(row)
                added += 1
            elif _update(pathway, row):
                changed += 1
            else:
                unchanged += 1
        record(
            RelocationEvent.CATALOGUE_IMPORTED,
            actor_id=None,
            organisation_id=None,
            object_type="catalogue",
            object_id="pathways",
        )
    return ImportResult(added=added, changed=changed, unchanged=unchanged)


def _create(row: CatalogueRow) -> Pathway:
    requirements = new_row_requirements(row)
    return Pathway.objects.create(
        code=row.code,
        **{name: getattr(row, name) for name in _TEXT_FIELDS},
        hard_requirements=requirements,
        checklist=new_row_checklist(row, requirements),
        processing_days=row.processing_days,
        fees=row.fees or "",
    )


def _update(pathway: Pathway, row: CatalogueRow) -> bool:
    values: dict[str, object] = {name: getattr(row, name) for name in _TEXT_FIELDS}
    if row.hard_requirements is not None:
        values["hard_requirements"] = row.hard_requirements
    if row.checklist is not None:
        values["checklist"] = row.checklist
    if row.has_days:
        values["processing_days"] = row.processing_days
    if row.fees is not None:
        values["fees"] = row.fees
    changed = [name for name, value in values.items() if getattr(pathway, name) != value]
    for name in changed:
        setattr(pathway, name, values[name])
    if changed:
        pathway.save(update_fields=changed)
    return bool(changed)
