"""Request bodies: capped per route before a byte is read, parsed whole or refused, never half-used.

Every POST is parsed here, before CSRF and before the view, so that each way a body can
be wrong is answered in one place and in the reader's language:

- a Content-Length above the route's cap is refused unread (a view marked with
  `max_body_bytes`, such as an upload form, allows more than the default);
- too many fields or files, too much text, a part header (a file name) too long, or a
  body that is malformed or ends before its end (a connection cut inside a file) are
  refused, and whatever fields arrived before the problem are kept for the form;
- a refused body never reaches a view that could act on it: a view that shows the
  refusal on its own form is marked `shows_body_errors` (and must not act when
  `body_error(request)` is set); every other view is replaced by an error page.

Uploaded files are kept in memory only (FILE_UPLOAD_HANDLERS, the bounded handler in
refuge/intake/uploads/handler.py): no route writes a temporary file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from refuge.core.errors import UserError

# The body of a form without files: its fields (DATA_UPLOAD_MAX_MEMORY_SIZE) and the
# multipart headers around at most DATA_UPLOAD_MAX_NUMBER_FIELDS of them.
MAX_FORM_BODY_BYTES = 256 * 1024 + 64 * 1024
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_FORM_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}


def body_error(request: HttpRequest) -> UserError | None:
    """Why the request's body was refused (shown above the form), or None if it was read whole."""
    code = getattr(request, "body_error", None)
    if code is None:
        return None
    limit, files = getattr(request, "body_limits", (MAX_FORM_BODY_BYTES, 0))
    return UserError(code, _body_message(code, limit, files))


def refuse_body(request: HttpRequest, code: str) -> None:
    """Record that the body is refused; the fields kept so far stay, the files go."""
    if getattr(request, "body_error", None) is None:
        request.body_error = code  # type: ignore[attr-defined]


def _body_message(code: str, limit: int, files: int) -> str:
    messages = {
        "body_too_large": _(
            "What you sent is too large: a form with its files can be at most %(megabytes)d MB. "
            "Nothing was sent. Please send fewer or smaller files."
        )
        % {"megabytes": limit // (1024 * 1024)},
        "form_too_large": _(
            "The text of this form is too long to be accepted, so nothing was sent. "
            "Please shorten it and send it again."
        ),
        "too_many_fields": _("This form has more fields than we accept, so nothing was sent. Please send it again."),
        "too_many_files": _(
            "You chose far more files than can be sent at once, so nothing was sent. "
            "Please choose at most %(limit)d files, and send the others in a new message."
        )
        % {"limit": files},
        "part_too_large": _(
            "A file name is too long, so nothing was sent. Please rename the file with a shorter name "
            "and choose it again."
        ),
        "body_incomplete": _(
            "Only part of the form arrived (the connection may have been cut), so nothing was sent. "
            "Please check it and send it again."
        ),
    }
    return str(messages.get(code, messages["body_incomplete"]))


def content_length(request: HttpRequest) -> int:
    """The announced length of the body (0 when absent or unreadable, as Django reads it)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class RequestBodyMiddleware:
    """Cap, parse and check every form body before CSRF and the view (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if request.method not in _BODY_METHODS:
            return None
        length = content_length(request)
        limit: int = getattr(view_func, "max_body_bytes", MAX_FORM_BODY_BYTES)
        request.body_limits = (limit, getattr(view_func, "max_files", 0))  # type: ignore[attr-defined]
        if length > limit:
            # Refused before reading: nothing of it is parsed or held.
            request._post, request._files = QueryDict(), MultiValueDict()  # type: ignore[attr-defined]
            refuse_body(request, "body_too_large" if limit > MAX_FORM_BODY_BYTES else "form_too_large")
        elif request.content_type in _FORM_TYPES:
            _parse(request, length)
        if getattr(request, "body_error", None) is None or getattr(view_func, "shows_body_errors", False):
            return None
        # 400 for every refusal, as Django answers its own: the page says which limit it was.
        context = {"title": _("Not sent"), "message": body_error(request)}
        return render(request, "errors/error.html", context, status=400)


def _parse(request: HttpRequest, length: int) -> None:
    """Parse the body now; multipart refusals are recorded by the upload handler itself."""
    try:
        request.POST  # noqa: B018 - parsing is the point
        request.FILES  # noqa: B018
    except RequestDataTooBig:
        refuse_body(request, "form_too_large")
    except TooManyFieldsSent:
        refuse_body(request, "too_many_fields")
    except TooManyFilesSent:
        refuse_body(request, "too_many_files")
    except (MultiPartParserError, UnreadablePostError):
        refuse_body(request, "body_incomplete")
    else:
        # A url-encoded body shorter than announced was cut: its last field may be cut too.
        if request.content_type != "multipart/form-data" and len(request.body) < length:
            refuse_body(request, "body_incomplete")


def shows_body_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view that shows a refused body's error on its own form (and then never acts)."""
    view.shows_body_errors = True  # type: ignore[attr-defined]
    return view
