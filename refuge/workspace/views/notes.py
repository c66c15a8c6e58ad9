"""The case page's notes panel: adding a note (only the team reads notes)."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from refuge.accounts.models import User
from refuge.cases.actions.notes import do_add_note
from refuge.cases.models import Case
from refuge.workspace.decorators import StaffRequest
from refuge.workspace.forms_notes import NoteForm
from refuge.workspace.views.cases import Build, act_on_case, case_post


@case_post
def case_note_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        do_add_note(actor=user, keyring=request.keyring, case=case, body=data["body"])

    build: Build = lambda case: NoteForm(request.POST, prefix="note")  # noqa: E731
    return act_on_case(request, case_id, "note_form", build, act, _("The note is added."), "notes")
