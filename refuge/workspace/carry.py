"""Typed work carried across a login when the session ended (issue #16 item 16).

A staff form posted without a live session (or with its keys locked) is not thrown away: the
login page is answered in its place with the posted fields in hidden inputs, and after the login
a page shows them again with a button that sends them, with a fresh CSRF token, to where they
were going. The content only passes through the member's browser: nothing of it is stored on the
server, put in the session or logged. Files cannot be carried (a browser cannot put a file back
into a form) and secrets (passwords, codes) are never carried.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, QueryDict
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme

from refuge.core.request_body import MAX_FORM_BODY_BYTES

CARRY_TO = "carry_to"
PREFIX = "carried:"
# Never carried: the old CSRF token (a fresh one is issued) and anything secret.
NOT_CARRIED = frozenset(
    {
        "csrfmiddlewaretoken",
        "password",
        "password_again",
        "old_password",
        "current_password",
        "duress_password",
        "recovery_code",
        "code",
    }
)
# The carried fields ride in the login form, whose body has the ordinary form limit
# (refuge/core/request_body.py): leave room for the login fields around them.
MAX_CARRIED_BYTES = MAX_FORM_BODY_BYTES - 16 * 1024
# Marks a view whose posted forms may be carried: set by `staff_view`.
CARRIES = "carries_typed_work"


@dataclass(frozen=True)
class Carried:
    """What the login page carries: where it was going, its fields, and what could not come along."""

    to: str
    fields: list[tuple[str, str]]
    files_dropped: bool = False
    too_large: bool = False


def may_carry_to(request: HttpRequest, target: str) -> bool:
    """Only a same-origin path of a staff view in the workspace: never an open redirect."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return False
    try:
        match = resolve(parts.path)
    except Resolver404:
        return False
    return match.namespace == "workspace" and bool(getattr(match.func, CARRIES, False))


def _fits(fields: list[tuple[str, str]]) -> bool:
    return len(urlencode([(PREFIX + name, value) for name, value in fields])) <= MAX_CARRIED_BYTES


def carried_from_post(request: HttpRequest) -> Carried | None:
    """The fields of a staff form posted without a live session, or None if nothing may be carried."""
    target = request.get_full_path()
    if request.method != "POST" or not may_carry_to(request, target):
        return None
    fields = [(name, value) for name, values in request.POST.lists() if name not in NOT_CARRIED for value in values]
    files_dropped = bool(request.FILES)
    if not _fits(fields):
        return Carried(to=target, fields=[], files_dropped=files_dropped, too_large=True)
    return Carried(to=target, fields=fields, files_dropped=files_dropped)


def carried_from_login(request: HttpRequest, data: QueryDict) -> Carried | None:
    """The carried fields coming back with the login form, checked again: they came from the browser."""
    target = data.get(CARRY_TO, "")
    if not target or not may_carry_to(request, target):
        return None
    fields = [
        (name[len(PREFIX) :], value)
        for name, values in data.lists()
        if name.startswith(PREFIX) and name[len(PREFIX) :] not in NOT_CARRIED
        for value in values
    ]
    if not _fits(fields):
        return Carried(to=target, fields=[], too_large=True)
    return Carried(to=target, fields=fields, files_dropped=data.get("carried_files") == "1")
