"""The case page's documents panel: documents the team uploads, and the files the requester sent with the request.

Uploads are read in memory only and stored encrypted without their metadata; downloads
are decrypted for team members and audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.cases.access import access_case
from refuge.cases.actions.documents import do_add_document
from refuge.cases.models import Case
from refuge.cases.reads import open_case_document, open_case_request_file
from refuge.intake.reads import OpenedFile
from refuge.intake.uploads.handler import memory_uploads
from refuge.workspace.decorators import UNREADABLE, Refusal, StaffRequest, staff_view
from refuge.workspace.forms_documents import DocumentForm
from refuge.workspace.views.cases import Build, act_on_case, case_page, case_url_of
from refuge.workspace.views.intake import FILE_TYPES


@require_POST
@staff_view(page=case_page)
@memory_uploads  # in memory only, bounded: a document never lands unencrypted in /tmp
@sensitive_post_parameters()
def case_document_upload_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        do_add_document(actor=user, keyring=request.keyring, case=case, upload=data["file"])

    build: Build = lambda case: DocumentForm(request.POST, request.FILES, prefix="document")  # noqa: E731
    done = _("The document is stored, encrypted, without its hidden metadata.")
    return act_on_case(request, case_id, "document_form", build, act, done, "documents")


# --- files -----------------------------------------------------------------------------------------


def _file_page(anchor: str) -> Callable[..., HttpResponse]:
    """A download refused: altered data is said on the case page, by the list it was picked from."""

    def page(request: StaffRequest, refusal: Refusal, case_id: uuid.UUID, **_rest: Any) -> HttpResponse:
        if refusal.code != UNREADABLE:
            return case_page(request, refusal, case_id)
        messages.error(request, _("This file could not be decrypted: it may have been altered. Nothing was sent."))
        return redirect(case_url_of(case_id, anchor))

    return page


@staff_view(page=_file_page("documents"))
def case_document_view(request: StaffRequest, case_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    case = access_case(request.member, case_id).case
    opened = open_case_document(request.member, request.keyring, case, document_id)
    return _attachment(opened, case.reference)


@staff_view(page=_file_page("conversation"))
def case_request_file_view(request: StaffRequest, case_id: uuid.UUID, file_id: uuid.UUID) -> HttpResponse:
    """A file the requester sent (with the request or in a message), for the case's team."""
    case = access_case(request.member, case_id).case
    opened = open_case_request_file(request.member, request.keyring, case, file_id)
    return _attachment(opened, case.reference)


def _attachment(opened: OpenedFile, reference: str) -> HttpResponse:
    content_type, extension = FILE_TYPES.get(opened.kind, ("application/octet-stream", "bin"))
    response = HttpResponse(opened.content, content_type=content_type)
    # A neutral name: the browser's download list outlives the session, and the
    # original name may carry the person's name.
    response["Content-Disposition"] = f'attachment; filename="{reference}-{str(opened.pk)[:8]}.{extension}"'
    # Never guessed as HTML, never cached, and inert even if a browser displays it anyway.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
