"""Every write to the pathway catalogue: one function each, one transaction, audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.core.errors import UserError
from refuge.relocation.audit_events import RelocationEvent
from refuge.relocation.catalogue_csv import CatalogueProblems, CatalogueRow, new_row_checklist, new_row_requirements
from refuge.relocation.models import Pathway, PathwayNote
from refuge.relocation.seed import pathway_code

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
    with transaction.atomic():
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


# --- a coordinator's acts on the catalogue -------------------------------------------------------

MAX_PATHWAY_TEXT_CHARS = 5000
MAX_PATHWAY_NOTE_CHARS = 5000


@dataclass(frozen=True)
class PathwayDetails:
    """What a coordinator types for a private pathway (the catalogue's columns)."""

    country: str
    name: str
    legal_basis: str
    who_applies: str
    requirements: str
    in_country_eligible: str
    typical_processing_time: str
    processing_days: int | None
    fees: str
    hard_requirements: list[str]
    checklist: list[str]
    notes: str
    sources: str


def _apply(pathway: Pathway, details: PathwayDetails) -> None:
    for name, value in vars(details).items():
        setattr(pathway, name, value)


def do_add_pathway(*, actor: User, details: PathwayDetails) -> Pathway:
    """Add a private pathway of the actor's organisation (only its members see it)."""
    with transaction.atomic():
        pathway = Pathway(organisation_id=actor.organisation_id, code=_private_code(details))
        _apply(pathway, details)
        pathway.save()
        _record(RelocationEvent.PATHWAY_ADDED, actor, pathway)
    return pathway


def do_edit_pathway(*, actor: User, pathway: Pathway, details: PathwayDetails) -> Pathway:
    """Change a private pathway of the actor's organisation; the shared catalogue is the import's."""
    if pathway.organisation_id != actor.organisation_id:
        raise UserError(
            "pathway_shared", _("The shared catalogue is changed by importing it; keep your notes on it instead.")
        )
    with transaction.atomic():
        _apply(pathway, details)
        pathway.save()
        _record(RelocationEvent.PATHWAY_EDITED, actor, pathway)
    return pathway


def do_set_pathway_note(*, actor: User, pathway: Pathway, note: str) -> PathwayNote:
    """Keep the organisation's own note on a pathway (shared or private)."""
    with transaction.atomic():
        row = _note_row(actor, pathway)
        row.note = note
        row.save()
        _record(RelocationEvent.PATHWAY_EDITED, actor, pathway)
    return row


def do_retire_pathway(*, actor: User, pathway: Pathway, retired: bool) -> None:
    """Stop (or start again) offering a pathway: a private one for good, a shared one for this organisation."""
    with transaction.atomic():
        if pathway.organisation_id == actor.organisation_id:
            pathway.active = not retired
            pathway.save(update_fields=["active"])
        else:
            row = _note_row(actor, pathway)
            row.retired = retired
            row.save()
        _record(RelocationEvent.PATHWAY_RETIRED if retired else RelocationEvent.PATHWAY_RESTORED, actor, pathway)


def _note_row(actor: User, pathway: Pathway) -> PathwayNote:
    row, _created = PathwayNote.objects.select_for_update().get_or_create(
        organisation_id=actor.organisation_id, pathway=pathway, defaults={"updated_on": timezone.localdate()}
    )
    row.updated_on = timezone.localdate()
    return row


def _private_code(details: PathwayDetails) -> str:
    # Random, so a private pathway's code never meets a shared one's nor says whose it is.
    return f"{pathway_code(details.country, details.name)[:60].strip('-')}-{secrets.token_hex(6)}"


def _record(event: RelocationEvent, actor: User, pathway: Pathway) -> None:
    record(event, actor_id=actor.pk, organisation_id=actor.organisation_id, object_type="pathway", object_id=pathway.pk)
