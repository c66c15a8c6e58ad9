"""One request of the intake: decrypted, replies, status, decline, plant flag, links, files (the inbox: inbox.py).

Intake members and coordinators only (`access_request` answers 404 to everyone
else, and for other organisations' ids). The list decrypts nothing; every page
that decrypts a request writes an audit entry first (`do_record_read`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.cases.reads import other_requests
from refuge.intake.access import access_request
from refuge.intake.actions.links import do_link_requests, do_unlink_requests, find_request_to_link
from refuge.intake.actions.messages import do_decline, do_reply
from refuge.intake.actions.status import do_mark_possible_plant, do_set_status
from refuge.intake.bulk import decline_message_in
from refuge.intake.models import HelpRequest, IntakeQuestion
from refuge.intake.queries import linked_requests, possible_duplicates
from refuge.intake.reads import (
    OpenedFile,
    RequestPage,
    open_request_file,
    open_request_page,
)
from refuge.intake.uploads import REMOVED_LABELS
from refuge.workspace.decorators import LOCKED, UNREADABLE, Refusal, StaffRequest, staff_view
from refuge.workspace.forms_attach import AttachForm
from refuge.workspace.forms_intake import (
    DeclineForm,
    LinkForm,
    MergeForm,
    PlantForm,
    ReplyForm,
    StatusForm,
    UnlinkForm,
)
from refuge.workspace.submit import submit
from refuge.workspace.views.inbox import intake_context

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


# --- one request ----------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    label: str
    text: str = ""
    items: tuple[str, ...] = ()


@staff_view()
def detail_view(request: StaffRequest, request_id: uuid.UUID) -> HttpResponse:
    return render_request(request, request_id)


def render_request(
    request: StaffRequest, request_id: uuid.UUID, *, status: int = 200, **bound: forms.Form
) -> HttpResponse:
    """Decrypt and show one request (audited), with any form that failed validation kept as typed."""
    page = open_request_page(request.member, request.keyring, request_id)
    help_request = page.help_request
    # An accepted request's key went to the case team: the page says where it is (and, to those
    # who may see the case, which), not that the intake key was not shared yet.
    context: dict[str, Any] = intake_context(request.member) | {
        "help_request": help_request,
        "in_case": other_requests(request.member, [help_request])[0],
    }
    if page.locked or page.unreadable:
        flags = {"locked": page.locked, "unreadable": page.unreadable}
        return render(request, "workspace/intake/detail.html", context | flags, status=status)
    # The requester reads the decline message: it starts in their language.
    decline_text = decline_message_in(help_request.language)
    context |= {
        "answers": answer_rows(page.answers, help_request),
        "conversation": page.conversation,
        "files": [(shown, _removed_labels(shown.removed)) for shown in page.files],
        "duplicates": other_requests(request.member, possible_duplicates(help_request)),
        "reply_form": bound.get("reply_form") or ReplyForm(),
        "status_form": bound.get("status_form") or StatusForm(initial={"status": help_request.status}),
        "decline_form": bound.get("decline_form") or DeclineForm(initial={"message": decline_text}),
        "plant_form": bound.get("plant_form") or PlantForm(),
        "linked": other_requests(request.member, linked_requests(help_request)),
        "link_form": bound.get("link_form") or LinkForm(),
        "unlink_form": bound.get("unlink_form") or UnlinkForm(),
        "merged": [ShownRequest(other, answer_rows(other.answers, other.help_request)) for other in page.merged],
        "merged_into": page.merged_into,
        "merge_form": bound.get("merge_form") or MergeForm(),
        "unmerge_form": bound.get("unmerge_form"),
        "attach_form": bound.get("attach_form") or AttachForm(),
    }
    return render(request, "workspace/intake/detail.html", context, status=status)


@dataclass(frozen=True)
class ShownRequest:
    """A request shown inside another's page (merged into it, or attached to a case), with its answers as rows."""

    page: RequestPage
    answer_rows: list[AnswerRow]


def request_page(request: StaffRequest, refusal: Refusal, request_id: uuid.UUID, **_rest: Any) -> HttpResponse:
    """The boundary's page for an act on a request: the request as it is now (it says what does not open)."""
    if refusal.code not in {LOCKED, UNREADABLE}:
        messages.error(request, refusal.message)
    # Nothing was written; the page says why (no intake key yet, or altered data).
    return render_request(request, request_id, status=refusal.status)


def answer_rows(answers: dict[str, Any], help_request: HelpRequest) -> list[AnswerRow]:
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


def act_on_request(
    request: StaffRequest, request_id: uuid.UUID, form: forms.Form, form_name: str, act: Act, done: str
) -> HttpResponse:
    """Validate one form of the request page, run its action, or show the page again with the errors."""
    help_request = access_request(request.member, request_id)
    if submit(form, lambda data: act(request.member, help_request, data)) is None:
        return render_request(request, help_request.pk, status=400, **{form_name: form})
    messages.success(request, done)
    return redirect("workspace:intake_request", help_request.pk)


@require_POST
@staff_view(page=request_page)
def reply_view(request: StaffRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(user: User, help_request: HelpRequest, data: dict[str, Any]) -> None:
        do_reply(actor=user, keyring=request.keyring, request=help_request, body=data["body"])

    done = _("Your reply is sent. The requester reads it the next time they open their request.")
    return act_on_request(request, request_id, ReplyForm(request.POST), "reply_form", act, done)


@require_POST
@staff_view(page=request_page)
def status_view(request: StaffRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(user: User, help_request: HelpRequest, data: dict[str, Any]) -> None:
        do_set_status(actor=user, request=help_request, status=data["status"])

    done = _("The status the requester sees is changed.")
    return act_on_request(request, request_id, StatusForm(request.POST), "status_form", act, done)


@require_POST
@staff_view(page=request_page)
def decline_view(request: StaffRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(user: User, help_request: HelpRequest, data: dict[str, Any]) -> None:
        do_decline(actor=user, keyring=request.keyring, request=help_request, message=data["message"])

    done = _("The request is declined and your message is sent. It has left the list of open requests.")
    return act_on_request(request, request_id, DeclineForm(request.POST), "decline_form", act, done)


@require_POST
@staff_view(page=request_page)
def plant_view(request: StaffRequest, request_id: uuid.UUID) -> HttpResponse:
    form = PlantForm(request.POST)

    def act(user: User, help_request: HelpRequest, data: dict[str, Any]) -> None:
        do_mark_possible_plant(actor=user, request=help_request, suspected=data["suspected"])

    marking = form.data.get("suspected") == "yes"
    if marking:
        done = _("The request is marked as possibly coming from someone posing as a requester.")
    else:
        done = _("The request is no longer marked as a possible plant.")
    return act_on_request(request, request_id, form, "plant_form", act, done)


@require_POST
@staff_view(page=request_page)
def link_view(request: StaffRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(user: User, help_request: HelpRequest, data: dict[str, Any]) -> None:
        other = find_request_to_link(user, data["reference"])
        do_link_requests(actor=user, request=help_request, other=other)

    done = _("The two requests are linked. The link shows on both; nothing was copied between them.")
    return act_on_request(request, request_id, LinkForm(request.POST), "link_form", act, done)


@require_POST
@staff_view(page=request_page)
def unlink_view(request: StaffRequest, request_id: uuid.UUID) -> HttpResponse:
    form = UnlinkForm(request.POST)

    def act(user: User, help_request: HelpRequest, data: dict[str, Any]) -> None:
        other = access_request(user, data["other"])
        do_unlink_requests(actor=user, request=help_request, other=other)

    done = _("The link between the two requests is removed.")
    return act_on_request(request, request_id, form, "unlink_form", act, done)


# --- files --------------------------------------------------------------------------------


def _file_page(request: StaffRequest, refusal: Refusal, request_id: uuid.UUID, **_rest: Any) -> HttpResponse:
    """A download refused: altered data is said on the request page; a key not held shows the page."""
    if refusal.code != UNREADABLE:
        return request_page(request, refusal, request_id)
    messages.error(request, _("This file could not be decrypted: it may have been altered. Nothing was sent."))
    return redirect("workspace:intake_request", request_id)


@staff_view(page=_file_page)
def file_view(request: StaffRequest, request_id: uuid.UUID, file_id: uuid.UUID) -> HttpResponse:
    help_request = access_request(request.member, request_id)
    opened = open_request_file(request.member, request.keyring, help_request, file_id)
    return _attachment(opened, help_request)


def _attachment(opened: OpenedFile, help_request: HelpRequest) -> HttpResponse:
    content_type, extension = FILE_TYPES.get(opened.kind, ("application/octet-stream", "bin"))
    response = HttpResponse(opened.content, content_type=content_type)
    # A neutral name: the browser's download list and the Downloads folder outlive the
    # session, and the requester's own file name may carry their name.
    response["Content-Disposition"] = (
        f'attachment; filename="{help_request.reference}-{str(opened.pk)[:8]}.{extension}"'
    )
    # Never guessed as HTML, never cached, and inert even if a browser displays it anyway.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
