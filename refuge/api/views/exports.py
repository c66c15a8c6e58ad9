"""A case exported with its content (scope exports:read; the member's keys unlocked by the request)."""

import uuid

from django.http import HttpRequest
from ninja import Router

from refuge.accounts.api_tokens import Scope, do_record_api_export
from refuge.api.auth import caller
from refuge.api.errors import READ_ERRORS
from refuge.api.schemas import CaseExport, ExportedText
from refuge.api.views.cases import case_out
from refuge.api.views.tasks import task_out
from refuge.cases.reads import open_case_page
from refuge.crypto import CryptoError
from refuge.keyring.keyring import KeyNotHeld

router = Router(tags=["exports"])


@router.get(
    "/cases/{uuid:case_id}/export",
    response={200: CaseExport, **READ_ERRORS},
    url_name="case_export",
    summary="Export a case",
)
def export_case(request: HttpRequest, case_id: uuid.UUID) -> CaseExport:
    """The case decrypted: summary, notes, tasks, timeline, document names (team members, keys unlocked; audited)."""
    who = caller(request, Scope.EXPORTS)
    page = open_case_page(who.member, who.keyring, case_id)
    if page.unreadable:
        raise CryptoError("case did not decrypt")
    if page.content is None:
        # A coordinator off the team, or a request that did not unlock the member's keys.
        raise KeyNotHeld(page.case.key_id)
    do_record_api_export(actor=who.member, token=who.token, case_id=page.case.pk)
    content = page.content
    summary = content.summary if isinstance(content.summary, (dict, str)) else str(content.summary)
    return CaseExport(
        case=case_out(page.case),
        summary=summary,
        notes=[ExportedText(at=shown.row.created_at, text=shown.text) for shown in content.notes],
        tasks=[task_out(shown.row, shown.text) for shown in content.tasks],
        timeline=[ExportedText(at=shown.row.at, text=shown.text) for shown in content.events],
        documents=[shown.text for shown in content.documents],
    )
