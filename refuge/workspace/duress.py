"""What a duress session sees: the workspace of a real member with nothing in it.

A member who logs in with their duress password (docs/threat-model.md, "Coerced
caseworker") must see an ordinary workspace a coercer cannot tell from a real one: every
page their menu offers answers as it does for a real member of the same role alone in an
organisation where nothing has happened yet — the same template, status and structure,
with no case, request, shelter or colleague in it. Pages that show one object (a case, a
request, a shelter) answer 404 as they do for an object that does not exist. Nothing
here reads the organisation's data, so nothing of it can leak onto these pages.

`staff_view` calls `duress_page` for every duress request. The empty pages are a registry,
like the panels (refuge/workspace/panels.py): each capability registers the empty version of
its pages from its own `views/<app>_duress.py`, called by `WorkspaceConfig.ready()`, and edits
no hub. Any page not registered answers a duress session 404. tests/workspace/
test_duress_pages.py walks the menu of every role under duress and beside a real empty
account and fails on any difference, including a page added to the menu but not registered;
tests/workspace/test_duress_registry.py holds the registry to the URLconf and to the access
suite's table.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse

from refuge.accounts.models import Role, User

# What the real pages show per page of a list (views/cases.py, views/intake.py).
PAGE_SIZE = 50


def disguised(user: User) -> User:
    """The member as a real account would show them: not locked, no duress password set.

    The copy is only rendered; it is never saved. Without it the header and the members
    list would show "Locked: duress login", and the account page "A duress password is set".
    """
    shown = copy.copy(user)
    shown.locked_by_duress = False
    shown.locked_until = None
    shown.failed_logins = 0
    shown.duress_verifier = b""
    return shown


def every_role(user: User) -> bool:
    return True


def reads_audit(user: User) -> bool:
    return user.role in {Role.AUDITOR, Role.COORDINATOR}


@dataclass(frozen=True)
class EmptyPage:
    """A page a duress session can open: its URL name, how it looks empty, who may (as for the real page)."""

    view_name: str  # the route's name, "workspace:case_list"
    render: Callable[[HttpRequest, User], HttpResponse]
    may_open: Callable[[User], bool] = every_role


_empty_pages: dict[str, EmptyPage] = {}


def register_empty_page(page: EmptyPage) -> EmptyPage:
    """Register the empty version of a page, once, at startup (a second one under the same name stops Refuge)."""
    if page.view_name in _empty_pages:
        raise ImproperlyConfigured(f"An empty duress page for {page.view_name!r} is already registered.")
    _empty_pages[page.view_name] = page
    return page


def empty_pages() -> dict[str, EmptyPage]:
    """Every registered empty page by route name (a copy: the registry is changed only by registering)."""
    return dict(_empty_pages)


def duress_page(request: HttpRequest) -> HttpResponse:
    """The empty version of the page asked for, or the 404 of a page that does not exist."""
    match = request.resolver_match
    page = _empty_pages.get(match.view_name if match else "")
    user = disguised(request.user)  # type: ignore[arg-type]
    if page is None or request.method not in {"GET", "HEAD"} or not page.may_open(user):
        raise Http404
    request.user = user
    return page.render(request, user)
