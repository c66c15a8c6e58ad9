"""Case documents: files encrypted under the case key, and their audited reads."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from refuge.accounts.models import User
from refuge.audit.events import AuditEvent
from refuge.cases.actions.base import add_event, audit_act, check_on_team, touch
from refuge.cases.models import Case, CaseDocument, EventKind
from refuge.intake.uploads import CleanUpload
from refuge.keyring.files import encrypt_file_into
from refuge.keyring.keyring import Keyring


def do_add_document(*, actor: User, keyring: Keyring, case: Case, upload: CleanUpload) -> CaseDocument:
    """Attach a sanitised file (refuge.intake.uploads) encrypted in chunks under its own key."""
    check_on_team(actor, case)
    with transaction.atomic():
        secret = keyring.secret_for(case.key)
        document = CaseDocument(
            case=case,
            key=case.key,
            kind=upload.kind,
            size=len(upload.data),
            uploaded_by=actor,
            created_at=timezone.now(),
        )
        encrypt_file_into(document, upload.data, upload.name, upload.removed, secret, case.key)
        document.save(force_insert=True)
        touch(case)
        add_event(case, secret, EventKind.DOCUMENT, actor, {})
        audit_act(AuditEvent.DOCUMENT_ADDED, actor, "case", case.pk)
    return document


def do_record_document_read(*, actor: User, document: CaseDocument) -> None:
    with transaction.atomic():
        audit_act(AuditEvent.DOCUMENT_READ, actor, "case", document.case_id)
