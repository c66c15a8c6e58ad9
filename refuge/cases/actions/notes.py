"""Case notes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.events import AuditEvent
from refuge.cases.actions.base import add_event, audit_act, bounded_text, check_on_team, touch
from refuge.cases.models import Case, EventKind, Note
from refuge.keyring.keyring import Keyring
from refuge.keyring.records import encrypt_column

MAX_CASE_NOTE_CHARS = 20_000


def do_add_note(*, actor: User, keyring: Keyring, case: Case, body: str) -> Note:
    check_on_team(actor, case)
    body = bounded_text(body, MAX_CASE_NOTE_CHARS, "body", required=_("Write the note first."))
    with transaction.atomic():
        secret = keyring.secret_for(case.key)
        note = Note(case=case, key=case.key, author=actor, created_at=timezone.now())
        encrypt_column(note, "body", body, secret, case.key)
        note.save(force_insert=True)
        touch(case)
        add_event(case, secret, EventKind.NOTE, actor, {})
        audit_act(AuditEvent.NOTE_ADDED, actor, "case", case.pk)
    return note
