"""A case's files: documents the team uploads, and the files the requester sent with the request.

Uploads are read in memory only and stored encrypted without their metadata; downloads
are decrypted for team members and audited.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.cases import actions
from refuge.cases.access import access_case
from refuge.cases.models import (
    Case,
    CaseDocument,
)
from refuge.cases.queries import (
    read_document_content,
)
from refuge.crypto import CryptoError
from refuge.intake.models import RequestFile
from refuge.intake.queries import read_file_content
from refuge.keyring.keyring import KeyNotHeld
from refuge.requester.upload_handler import memory_uploads
from refuge.workspace.decorators import member, staff_view
from refuge.workspace.forms_cases import (
    DocumentForm,
)
from refuge.workspace.views.case_acts import Build, act_on_case
from refuge.workspace.views.cases import case_url, keyring_of, render_case
from refuge.workspace.views.intake import FILE_TYPES

log = logging.getLogger(__name__)


@require_POST
@staff_view()
@memory_uploads  # in memory only, bounded: a document never lands unencrypted in /tmp
@sensitive_post_parameters()
def case_document_upload_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_add_document(actor=user, keyring=keyring_of(request), case=case, upload=data["file"])

    build: Build = lambda case: DocumentForm(request.POST, request.FILES, prefix="document")  # noqa: E731
    done = _("The document is stored, encrypted, without its hidden metadata.")
    return act_on_case(request, case_id, "document_form", build, act, done, "documents")


# --- files -----------------------------------------------------------------------------------------


@staff_view()
def case_document_view(request: HttpRequest, case_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    user = member(request)
    case = access_case(user, case_id).case
    document = CaseDocument.objects.select_related("key").filter(pk=document_id, case=case).first()
    if document is None:
        raise Http404
    try:
        content = read_document_content(document, keyring_of(request).secret_for(case.key))
    except KeyNotHeld:
        return render_case(request, case, status=403)
    except CryptoError:
        log.error("a document of case %s did not decrypt; it may have been tampered with", case.pk)
        messages.error(request, _("This file could not be decrypted: it may have been altered. Nothing was sent."))
        return redirect(case_url(case, "documents"))
    actions.do_record_document_read(actor=user, document=document)
    return _attachment(content, document.kind, f"{case.reference}-{str(document.pk)[:8]}")


@staff_view()
def case_request_file_view(request: HttpRequest, case_id: uuid.UUID, file_id: uuid.UUID) -> HttpResponse:
    """A file the requester sent (with the request or in a message), for the case's team."""
    user = member(request)
    case = access_case(user, case_id).case
    if case.request is None:
        raise Http404
    stored = RequestFile.objects.select_related("key").filter(pk=file_id, request_id=case.request_id).first()
    if stored is None:
        raise Http404
    try:
        content = read_file_content(stored, keyring_of(request).secret_for(case.request.key))
    except KeyNotHeld:
        return render_case(request, case, status=403)
    except CryptoError:
        log.error("a file of case %s did not decrypt; it may have been tampered with", case.pk)
        messages.error(request, _("This file could not be decrypted: it may have been altered. Nothing was sent."))
        return redirect(case_url(case, "conversation"))
    actions.do_record_case_read(actor=user, case=case)
    return _attachment(content, stored.kind, f"{case.reference}-{str(stored.pk)[:8]}")


def _attachment(content: bytes, kind: str, stem: str) -> HttpResponse:
    content_type, extension = FILE_TYPES.get(kind, ("application/octet-stream", "bin"))
    response = HttpResponse(content, content_type=content_type)
    # A neutral name: the browser's download list outlives the session, and the
    # original name may carry the person's name.
    response["Content-Disposition"] = f'attachment; filename="{stem}.{extension}"'
    # Never guessed as HTML, never cached, and inert even if a browser displays it anyway.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
