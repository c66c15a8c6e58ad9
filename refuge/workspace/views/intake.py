"""The intake inbox: open requests, one request decrypted, replies, status, plant flag, files.

Intake members and coordinators only (`access_request` answers 404 to everyone
else, and for other organisations' ids). The list decrypts nothing; every page
that decrypts a request writes an audit entry first (`do_record_read`).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.core.errors import UserError
from refuge.core.forms import add_user_error
from refuge.crypto import CryptoError
from refuge.intake import actions
from refuge.intake.access import access_request, can_read_requests
from refuge.intake.models import HelpRequest, IntakeQuestion, RequestFile
from refuge.intake.queries import (
    duplicates_of_page,
    inbox,
    possible_duplicates,
    read_answers,
    read_file_content,
    read_files,
    read_messages,
)
from refuge.intake.uploads import REMOVED_LABELS
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.workspace.decorators import member, staff_view
from refuge.workspace.forms_intake import DECLINE_MESSAGE, DeclineForm, PlantForm, ReplyForm, StatusForm

log = logging.getLogger(__name__)

PAGE_SIZE = 50

# The portal's fixed questions, in the order intake reads them.
FIXED_ANSWERS: list[tuple[str, Promise]] = [
    ("what_happened", gettext_lazy("What happened")),
    ("where_now", gettext_lazy("Where they are now")),
    ("contact", gettext_lazy("How to reach them safely")),
    ("name", gettext_lazy("Name")),
    ("phone", gettext_lazy("Phone")),
    ("documents", gettext_lazy("Documents they have")),
    ("document_number", gettext_lazy("Document number")),
    ("others_at_risk", gettext_lazy("Others at risk")),
    ("languages", gettext_lazy("Languages")),
    ("languages_other", gettext_lazy("Other languages")),
    ("anything_else", gettext_lazy("Anything else")),
]
CUSTOM_ANSWERS = "custom"
# Options the portal stores as codes (refuge/requester/forms.py), in the same words; unknown codes shown as stored.
ANSWER_CODES: dict[str, dict[str, Promise]] = {
    "documents": {
        "internal_passport": gettext_lazy("Internal passport"),
        "international_passport": gettext_lazy("International passport"),
        "none": gettext_lazy("None"),
    },
    "languages": {"ru": gettext_lazy("Russian"), "en": gettext_lazy("English"), "other": gettext_lazy("Other")},
}

# kind → (Content-Type, file extension). Anything else is served as opaque bytes.
FILE_TYPES = {
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "webp": ("image/webp", "webp"),
    "pdf": ("application/pdf", "pdf"),
}


def _keyring(request: HttpRequest) -> Keyring:
    return cast(Keyring, request.keyring)  # type: ignore[attr-defined]


# --- the list -------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    request: HelpRequest
    duplicates: list[HelpRequest]


@staff_view()
def inbox_view(request: HttpRequest) -> HttpResponse:
    user = member(request)
    if not can_read_requests(user):
        raise Http404
    page = Paginator(inbox(user.organisation), PAGE_SIZE).get_page(request.GET.get("page"))
    # Blind indexes only: finding duplicates decrypts nothing.
    duplicates = duplicates_of_page(list(page))
    rows = [InboxRow(help_request, duplicates[help_request.pk]) for help_request in page]
    return render(request, "workspace/intake/inbox.html", {"page": page, "rows": rows})


# --- one request ----------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    label: str
    text: str = ""
    items: tuple[str, ...] = ()


@staff_view()
def detail_view(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    help_request = access_request(member(request), request_id)
    return _render_detail(request, help_request)


def _render_detail(
    request: HttpRequest, help_request: HelpRequest, *, status: int = 200, **bound: forms.Form
) -> HttpResponse:
    """Decrypt and show one request (audited), with any form that failed validation kept as typed."""
    context: dict[str, Any] = {"help_request": help_request}
    try:
        secret = _keyring(request).secret_for(help_request.key)
        actions.do_record_read(actor=member(request), request=help_request)
        context |= {
            "answers": _answer_rows(read_answers(help_request, secret), help_request),
            "conversation": read_messages(help_request, secret),
            "files": [(shown, _removed_labels(shown.removed)) for shown in read_files(help_request, secret)],
        }
    except KeyNotHeld:
        # An intake member whose copy of the intake key a coordinator has not shared yet.
        return render(request, "workspace/intake/detail.html", {**context, "locked": True}, status=status)
    except CryptoError:
        # A key wrap or ciphertext that does not open was altered in the database: say so,
        # show nothing half-read.
        log.error("request %s did not decrypt; it may have been tampered with", help_request.pk)
        return render(request, "workspace/intake/detail.html", {**context, "unreadable": True}, status=status)
    with translation.override(help_request.language):
        # The requester reads the decline message: it starts in their language.
        decline_text = str(DECLINE_MESSAGE)
    context |= {
        "duplicates": possible_duplicates(help_request),
        "reply_form": bound.get("reply_form") or ReplyForm(),
        "status_form": bound.get("status_form") or StatusForm(initial={"status": help_request.status}),
        "decline_form": bound.get("decline_form") or DeclineForm(initial={"message": decline_text}),
        "plant_form": bound.get("plant_form") or PlantForm(),
    }
    return render(request, "workspace/intake/detail.html", context, status=status)


def _answer_rows(answers: dict[str, Any], help_request: HelpRequest) -> list[AnswerRow]:
    """Every fixed answer (blank ones too), then the organisation's own questions, then anything unknown."""
    rows = [_row(str(label), _named(key, answers.get(key))) for key, label in FIXED_ANSWERS]
    custom = answers.get(CUSTOM_ANSWERS)
    if isinstance(custom, dict):
        rows += _custom_rows(custom, help_request)
    elif custom is not None:
        rows.append(_row(CUSTOM_ANSWERS, custom))
    known = {key for key, _label in FIXED_ANSWERS} | {CUSTOM_ANSWERS}
    rows += [_row(str(key), value) for key, value in answers.items() if key not in known]
    return rows


def _named(key: str, value: Any) -> Any:
    """Codes of a multiple-choice answer replaced by their names."""
    names = ANSWER_CODES.get(key)
    if names is None or not isinstance(value, list):
        return value
    return [str(names[item]) if isinstance(item, str) and item in names else item for item in value]


def _custom_rows(custom: dict[str, Any], help_request: HelpRequest) -> list[AnswerRow]:
    ids = []
    for key in custom:
        try:
            ids.append(uuid.UUID(str(key)))
        except ValueError:
            continue
    questions = {
        str(question.pk): question
        for question in IntakeQuestion.objects.filter(organisation_id=help_request.organisation_id, pk__in=ids)
    }
    russian = (translation.get_language() or "en").startswith("ru")
    rows = []
    for question in sorted(questions.values(), key=lambda q: (q.position, str(q.pk))):
        label = (question.label_ru if russian else question.label_en) or question.label_en or question.label_ru
        rows.append(_row(label, _choice_text(question, custom[str(question.pk)], russian)))
    for key, value in custom.items():
        if key not in questions:
            rows.append(_row(_("A question no longer on the form"), value))
    return rows


def _choice_text(question: IntakeQuestion, value: Any, russian: bool) -> Any:
    """The label of a chosen option when the answer is stored as its position."""
    choices = question.choices if isinstance(question.choices, list) else []
    is_position = isinstance(value, int) and not isinstance(value, bool)
    if question.kind == "choice" and is_position and 0 <= value < len(choices) and isinstance(choices[value], dict):
        choice = choices[value]
        return choice.get("ru" if russian else "en") or choice.get("en") or value
    return value


def _row(label: str, value: Any) -> AnswerRow:
    """One answer as text or a list, whatever shape it was stored in."""
    if value is None or value in ("", [], {}):
        return AnswerRow(label)
    if isinstance(value, bool):
        return AnswerRow(label, text=_("Yes") if value else _("No"))
    if isinstance(value, str | int | float):
        return AnswerRow(label, text=str(value))
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return AnswerRow(label, items=tuple(str(item) for item in value))
    return AnswerRow(label, text=json.dumps(value, ensure_ascii=False, indent=2))


def _removed_labels(codes: list[str]) -> list[str]:
    # The same words the requester was shown when uploading; unknown codes as they are.
    return [str(REMOVED_LABELS.get(code, code)) for code in codes if isinstance(code, str)]


# --- acting on a request ----------------------------------------------------------------

Act = Callable[[User, HelpRequest, dict[str, Any]], None]


def _act(
    request: HttpRequest, request_id: uuid.UUID, form: forms.Form, form_name: str, act: Act, done: str
) -> HttpResponse:
    """Validate one form of the request page, run its action, or show the page again with the errors."""
    user = member(request)
    help_request = access_request(user, request_id)
    if form.is_valid():
        try:
            act(user, help_request, form.cleaned_data)
        except UserError as error:
            add_user_error(form, error)
        except (KeyNotHeld, CryptoError):
            # Nothing was written; the page says why (no intake key yet, or altered data).
            return _render_detail(request, help_request, status=403)
        else:
            messages.success(request, done)
            return redirect("workspace:intake_request", help_request.pk)
    return _render_detail(request, help_request, status=400, **{form_name: form})


@require_POST
@staff_view()
def reply_view(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(user: User, help_request: HelpRequest, data: dict[str, Any]) -> None:
        actions.do_reply(actor=user, keyring=_keyring(request), request=help_request, body=data["body"])

    done = _("Your reply is sent. The requester reads it the next time they open their request.")
    return _act(request, request_id, ReplyForm(request.POST), "reply_form", act, done)


@require_POST
@staff_view()
def status_view(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(user: User, help_request: HelpRequest, data: dict[str, Any]) -> None:
        actions.do_set_status(actor=user, request=help_request, status=data["status"])

    done = _("The status the requester sees is changed.")
    return _act(request, request_id, StatusForm(request.POST), "status_form", act, done)


@require_POST
@staff_view()
def decline_view(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(user: User, help_request: HelpRequest, data: dict[str, Any]) -> None:
        actions.do_decline(actor=user, keyring=_keyring(request), request=help_request, message=data["message"])

    done = _("The request is declined and your message is sent. It has left the list of open requests.")
    return _act(request, request_id, DeclineForm(request.POST), "decline_form", act, done)


@require_POST
@staff_view()
def plant_view(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    form = PlantForm(request.POST)

    def act(user: User, help_request: HelpRequest, data: dict[str, Any]) -> None:
        actions.do_mark_possible_plant(actor=user, request=help_request, suspected=data["suspected"])

    marking = form.data.get("suspected") == "yes"
    if marking:
        done = _("The request is marked as possibly coming from someone posing as a requester.")
    else:
        done = _("The request is no longer marked as a possible plant.")
    return _act(request, request_id, form, "plant_form", act, done)


# --- files --------------------------------------------------------------------------------


@staff_view()
def file_view(request: HttpRequest, request_id: uuid.UUID, file_id: uuid.UUID) -> HttpResponse:
    user = member(request)
    help_request = access_request(user, request_id)
    stored = RequestFile.objects.select_related("key").filter(pk=file_id, request=help_request).first()
    if stored is None:
        raise Http404
    try:
        content = read_file_content(stored, _keyring(request).secret_for(help_request.key))
    except KeyNotHeld:
        return _render_detail(request, help_request, status=403)
    except CryptoError:
        log.error("a file of request %s did not decrypt; it may have been tampered with", help_request.pk)
        messages.error(request, _("This file could not be decrypted: it may have been altered. Nothing was sent."))
        return redirect("workspace:intake_request", help_request.pk)
    actions.do_record_read(actor=user, request=help_request)
    return _attachment(content, stored, help_request)


def _attachment(content: bytes, stored: RequestFile, help_request: HelpRequest) -> HttpResponse:
    content_type, extension = FILE_TYPES.get(stored.kind, ("application/octet-stream", "bin"))
    response = HttpResponse(content, content_type=content_type)
    # A neutral name: the browser's download list and the Downloads folder outlive the
    # session, and the requester's own file name may carry their name.
    response["Content-Disposition"] = (
        f'attachment; filename="{help_request.reference}-{str(stored.pk)[:8]}.{extension}"'
    )
    # Never guessed as HTML, never cached, and inert even if a browser displays it anyway.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
