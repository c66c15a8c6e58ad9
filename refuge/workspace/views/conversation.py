"""The case page's conversation panel: writing to the requester (they read it with their receipt)."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from refuge.accounts.models import User
from refuge.cases.actions.messages import do_message_requester
from refuge.cases.models import Case
from refuge.workspace.decorators import StaffRequest
from refuge.workspace.forms_conversation import MessageForm
from refuge.workspace.views.cases import Build, act_on_case, case_post


@case_post
def case_message_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        do_message_requester(actor=user, keyring=request.keyring, case=case, body=data["body"])

    done = _("Your message is sent. The requester reads it the next time they open their request.")
    build: Build = lambda case: MessageForm(request.POST, prefix="message")  # noqa: E731
    return act_on_case(request, case_id, "message_form", build, act, done, "conversation")
