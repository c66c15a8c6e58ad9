"""The two pages every requester sees, rendered once per process and reused with fresh tokens.

The blank request form and the receipt page are the same for every visitor of an
organisation in a language, except for a few values that must be new in every response:
the CSRF token (masked afresh each time, as Django does), the one-time form token
(refuge/requester/form_tokens.py) and the receipt. Rendering the form through Django's
templates costs more CPU than the rest of the request together, so each page is rendered
once with random *markers* in those places, kept, and every response is that page with
the markers replaced by this response's values (HTML-escaped).

What is kept holds no per-response value and nothing anyone typed: forms that come back
with errors, and receipts with files, are rendered in full every time. The key covers
everything the page is made from — the template, the language, the script prefix and the
path, the organisation's name and short name and its questions as read for this request —
so a changed question or name is a new page at once; settings and translations change
only with a restart (and with override_settings in tests, which empties the cache).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.html import escape
from django.utils.translation import get_language

from refuge.accounts.models import Organisation
from refuge.intake.models import IntakeQuestion
from refuge.requester.form_tokens import new_form_token
from refuge.requester.views.common import portal_context

# Pages kept per process: organisations × languages × the two pages, with room to spare.
MAX_CACHED_PAGES = 256
RECEIPT_GROUPS = 5


class _PageCache:
    """A bounded, thread-safe LRU of rendered pages with markers in them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pages: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self.lock = threading.Lock()
        # Letters and digits only: escaping leaves them as they are, and no text a template
        # writes can contain one by accident (a fresh random prefix per process).
        self.prefix = "m" + secrets.token_hex(12)

    def marker(self, name: str) -> str:
        return f"{self.prefix}{name}{self.prefix}"

    def get_or_render(self, key: tuple[Any, ...], render: Callable[[], str]) -> str:
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
                return page
        page = render()
        with self.lock:
            self.pages[key] = page
            self.pages.move_to_end(key)
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)
        return page

    def clear(self, **_kwargs: object) -> None:
        with self.lock:
            self.pages.clear()


_cache = _PageCache(MAX_CACHED_PAGES)
setting_changed.connect(_cache.clear, dispatch_uid="refuge.requester.views.pages.clear")


def _fill(page: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        page = page.replace(_cache.marker(name), escape(value))
    return page


def _page_key(request: HttpRequest, template: str, organisation: Organisation, *extra: Any) -> tuple[Any, ...]:
    return (
        template,
        get_language(),
        get_script_prefix(),
        request.path,
        organisation.pk,
        organisation.name,
        organisation.slug,
        *extra,
    )


def _questions_key(questions: Sequence[IntakeQuestion]) -> tuple[Any, ...]:
    """Everything of the questions that the form shows."""
    return tuple(
        (
            str(q.pk),
            q.position,
            q.kind,
            q.label_en,
            q.label_ru,
            json.dumps(q.choices, sort_keys=True, ensure_ascii=False),
            q.required,
            q.active,
        )
        for q in questions
    )


def render_blank_form(
    request: HttpRequest,
    organisation: Organisation,
    questions: Sequence[IntakeQuestion],
    make_form: Callable[[], Any],
    template: str = "requester/ask.html",
) -> HttpResponse:
    """The request form as a first visit sees it, with this response's CSRF and form tokens."""
    if request.GET:
        # A query string would be part of the page (the language switch sends the reader
        # back to it) and of the key: render such rare visits in full instead of keeping them.
        form = make_form()
        return HttpResponse(
            render_to_string(template, {**portal_context(), "organisation": organisation, "form": form}, request)
        )

    def render() -> str:
        form = make_form()
        form.form_token = _cache.marker("formtoken")
        context = {
            **portal_context(),
            "organisation": organisation,
            "form": form,
            "csrf_token": _cache.marker("csrf"),
        }
        return render_to_string(template, context, request)

    page = _cache.get_or_render(_page_key(request, template, organisation, _questions_key(questions)), render)
    return HttpResponse(_fill(page, {"csrf": get_token(request), "formtoken": new_form_token()}))


def render_receipt(
    request: HttpRequest, organisation: Organisation, receipt: str, files: Sequence[Any] = ()
) -> HttpResponse:
    """The receipt page: shown once, in this response only; the kept page holds markers, never a receipt."""
    template = "requester/receipt.html"
    groups = receipt.split("-")
    if files or len(groups) != RECEIPT_GROUPS:
        context = {**portal_context(), "organisation": organisation, "receipt_groups": groups, "files": files}
        return HttpResponse(render_to_string(template, context, request))
    names = [f"receipt{chr(ord('a') + index)}" for index in range(RECEIPT_GROUPS)]

    def render() -> str:
        context = {
            **portal_context(),
            "organisation": organisation,
            "receipt_groups": [_cache.marker(name) for name in names],
            "files": [],
            "csrf_token": _cache.marker("csrf"),
        }
        return render_to_string(template, context, request)

    page = _cache.get_or_render(_page_key(request, template, organisation), render)
    values = dict(zip(names, groups, strict=True))
    if _cache.marker("csrf") in page:
        values["csrf"] = get_token(request)
    return HttpResponse(_fill(page, values))


def clear() -> None:
    """Forget every kept page (tests)."""
    _cache.clear()
