"""An organisation's own wording of its support letters: written by coordinators, per kind and language.

Each kind of letter (refuge/disclosures/letters.py) has a built-in text in Russian and English;
a coordinator may replace it for their organisation, and go back to it. The wording is checked
whole before anything is written (`letters.checked_template`: its placeholders, its braces, its
length), encrypted under the template's own key (the coordinators and recovery), and audited by
ids only. A packet keeps the wording it was approved with (`packets.do_approve_packet`), so a
later change never alters a letter already sent.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.grants import coordinator_key_holders
from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.core.errors import UserError
from refuge.disclosures.access import can_manage_partners
from refuge.disclosures.audit_events import DisclosureEvent
from refuge.disclosures.letters import PARTS, TEMPLATES, LetterKind, LetterLanguage, Template, checked_template
from refuge.disclosures.models import LetterTemplate
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.actions.shredding import do_shred_key
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import Purpose
from refuge.keyring.records import decrypt_column, encrypt_column


def can_manage_letters(user: User) -> bool:
    """Coordinators write their organisation's letters, as they manage its partners."""
    return can_manage_partners(user)


def checked_kind(kind: str, language: str) -> tuple[str, str]:
    """A known kind and language of letter; else 404 (they come from the address)."""
    if kind not in LetterKind.values or language not in LetterLanguage.values:
        raise Http404
    return kind, language


def _row(organisation_id: uuid.UUID, kind: str, language: str) -> LetterTemplate | None:
    return (
        LetterTemplate.objects.select_related("key")
        .filter(organisation_id=organisation_id, kind=kind, language=language)
        .first()
    )


def _decrypted(row: LetterTemplate, keyring: Keyring) -> Template:
    parts = json.loads(decrypt_column(row, "text", keyring.secret_for(row.key), row.key))
    return Template(**{part: str(parts.get(part, "")) for part in PARTS})


@dataclass(frozen=True)
class Wording:
    """The wording a letter of one kind and language gets now: the organisation's own, or the built-in."""

    kind: str
    language: str
    template: Template
    own: LetterTemplate | None  # None: the built-in text


def wording_for(organisation_id: uuid.UUID, kind: str, language: str, keyring: Keyring) -> Wording:
    """The wording in force (KeyNotHeld / CryptoError for the boundary when the organisation's own does not open)."""
    row = _row(organisation_id, kind, language)
    template = _decrypted(row, keyring) if row is not None else TEMPLATES[kind][language]
    return Wording(kind, language, template, row)


def open_letter_template(member: User, keyring: Keyring, kind: str, language: str) -> Wording:
    """The wording a coordinator edits, decrypted; the read of the organisation's own is audited."""
    if not can_manage_letters(member):
        raise Http404
    wording = wording_for(member.organisation_id, *checked_kind(kind, language), keyring)
    if wording.own is not None:
        with transaction.atomic():
            _audit(DisclosureEvent.LETTER_TEMPLATE_READ, member, wording.own.pk)
    return wording


def has_own_wording(organisation_id: uuid.UUID, kind: str, language: str) -> bool:
    """Whether the organisation wrote its own wording of this letter (nothing decrypted)."""
    return LetterTemplate.objects.filter(organisation_id=organisation_id, kind=kind, language=language).exists()


@dataclass(frozen=True)
class TemplateRow:
    kind: str
    kind_label: str
    language: str
    language_label: str
    own: LetterTemplate | None


def letter_template_rows(organisation_id: uuid.UUID) -> list[TemplateRow]:
    """Every kind and language, with the organisation's own wording if it has one (nothing decrypted)."""
    own = {(row.kind, row.language): row for row in LetterTemplate.objects.filter(organisation_id=organisation_id)}
    return [
        TemplateRow(kind.value, str(kind.label), language.value, str(language.label), own.get((kind, language)))
        for kind in LetterKind
        for language in LetterLanguage
    ]


def do_save_letter_template(
    *, actor: User, keyring: Keyring, kind: str, language: str, parts: dict[str, str], version: int
) -> LetterTemplate:
    """Write the organisation's own wording of a letter; refused whole (nothing written) if any part is wrong.

    `version` is the one the form was read at (0: the built-in text was shown); someone else's
    save in between is a conflict, not overwritten."""
    if not can_manage_letters(actor):
        raise UserError("not_allowed", _("Only coordinators write the organisation's letters."))
    if kind not in LetterKind.values or language not in LetterLanguage.values:
        raise UserError("bad_letter", _("Choose one of the support letters."))
    template = checked_template(parts)
    text = json.dumps(template.as_dict(), ensure_ascii=False)
    with transaction.atomic():
        row = (
            LetterTemplate.objects.select_for_update()
            .select_related("key")
            .filter(organisation_id=actor.organisation_id, kind=kind, language=language)
            .first()
        )
        if (row.version if row is not None else 0) != version:
            raise UserError(
                "conflict",
                _("Someone else changed this letter while you were editing it. Your changes were not saved."),
            )
        if row is None:
            row = _new_row(actor, kind, language, text)
        else:
            encrypt_column(row, "text", text, keyring.secret_for(row.key), row.key)
            row.changed_on, row.version = timezone.localdate(), row.version + 1
            row.save(update_fields=["text", "changed_on", "version"])
        _audit(DisclosureEvent.LETTER_TEMPLATE_CHANGED, actor, row.pk)
    return row


def _new_row(actor: User, kind: str, language: str, text: str) -> LetterTemplate:
    key, secret = do_create_key(
        actor=actor,
        organisation=actor.organisation,
        purpose=Purpose.RECORD,
        label="letter-template",
        members=coordinator_key_holders(actor.organisation_id),
    )
    row = LetterTemplate(
        organisation=actor.organisation, kind=kind, language=language, key=key, changed_on=timezone.localdate()
    )
    encrypt_column(row, "text", text, secret, key)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:  # another coordinator's first save won the race
        raise UserError(
            "conflict", _("Someone else changed this letter while you were editing it. Your changes were not saved.")
        ) from None
    return row


def do_reset_letter_template(*, actor: User, kind: str, language: str) -> None:
    """Go back to the built-in wording: the organisation's own is deleted (its key's wraps with it)."""
    if not can_manage_letters(actor):
        raise UserError("not_allowed", _("Only coordinators write the organisation's letters."))
    with transaction.atomic():
        row = (
            LetterTemplate.objects.select_for_update()
            .filter(organisation_id=actor.organisation_id, kind=kind, language=language)
            .select_related("key")
            .first()
        )
        if row is None:
            raise UserError("already_built_in", _("This letter already has the built-in wording."))
        row_id, key = row.pk, row.key
        row.delete()
        do_shred_key(actor=actor, key=key)  # the old wording cannot be read again, not even from a later backup
        _audit(DisclosureEvent.LETTER_TEMPLATE_RESET, actor, row_id)


def _audit(event: DisclosureEvent, actor: User, row_id: uuid.UUID) -> None:
    record(
        event, actor_id=actor.pk, organisation_id=actor.organisation_id, object_type="letter_template", object_id=row_id
    )
