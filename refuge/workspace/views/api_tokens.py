"""A member's API tokens: made (shown once), listed, revoked (docs/api.md, "Tokens")."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from refuge.accounts.api_tokens import (
    NewToken,
    access_api_token,
    api_tokens_of,
    do_create_api_token,
    do_revoke_api_token,
    parse_public_key,
)
from refuge.workspace.decorators import Refusal, StaffRequest, staff_view
from refuge.workspace.forms_api_tokens import ApiTokenForm
from refuge.workspace.submit import submit


def _tokens_page(
    request: StaffRequest, refusal: Refusal | None = None, form: ApiTokenForm | None = None, **_rest: Any
) -> HttpResponse:
    context = {"form": form or ApiTokenForm(), "tokens": api_tokens_of(request.member), "refusal": refusal}
    status = refusal.status if refusal else (400 if form is not None and form.errors else 200)
    return render(request, "workspace/api_tokens.html", context, status=status)


@staff_view(page=_tokens_page)
# The new token is in this response only: never in a log or an error report.
@sensitive_variables("made")
def api_tokens_view(request: StaffRequest) -> HttpResponse:
    if request.method != "POST":
        return _tokens_page(request)
    form = ApiTokenForm(request.POST)

    def act(data: dict[str, Any]) -> NewToken:
        text = data["unlock_public_key"]
        return do_create_api_token(
            actor=request.member,
            keyring=request.keyring,
            name=data["name"],
            scopes=data["scopes"],
            days=data["days"],
            unlock_public_key=parse_public_key(text) if text else None,
        )

    made = submit(form, act)
    if made is None:
        return _tokens_page(request, form=form)
    # Shown once: the page that answers this POST, never stored, never in an address.
    context = {"token": made.value.token, "secret": made.value.secret}
    return render(request, "workspace/api_token_made.html", context)


@require_POST
@staff_view(page=_tokens_page)
def api_token_revoke_view(request: StaffRequest, token_id: uuid.UUID) -> HttpResponse:
    token = access_api_token(request.member, token_id)
    do_revoke_api_token(actor=request.member, token=token)
    messages.success(request, _("The token is revoked: it no longer works."))
    return redirect("workspace:api_tokens")
