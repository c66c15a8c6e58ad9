"""What every portal page shares: the session length, the Onion-Location header, nothing cached."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.encoding import escape_uri_path

from refuge.intake.uploads import REMOVED_LABELS

View = Callable[..., HttpResponse]


def portal_view(view: View) -> View:
    """Mark a view as a portal page: it offers the onion address when one is configured."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if settings.REFUGE_ONION_LOCATION:
            # Tor Browser offers to switch to the same page on the onion service.
            response["Onion-Location"] = settings.REFUGE_ONION_LOCATION + escape_uri_path(request.path)
        return response

    return wrapper


def portal_context() -> dict[str, Any]:
    """What the layout of every portal page needs: the session length."""
    return {
        "session_minutes": settings.REFUGE_PORTAL_SESSION_MINUTES,
        "session_seconds": settings.REFUGE_PORTAL_SESSION_MINUTES * 60,
    }


def render_portal(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    """Render a portal page (refuge/requester/views/pages.py keeps the two busiest ones)."""
    return render(request, template, {**portal_context(), **(context or {})}, status=status)


@dataclass(frozen=True)
class FileNote:
    """A file as the requester sees it: its name and what was removed from it before storing."""

    name: str
    removed: list[str]


def file_note(name: str, removed_codes: Iterable[str]) -> FileNote:
    """Name the removed metadata in the reader's language (an unknown code is shown as it is)."""
    return FileNote(name=name, removed=[str(REMOVED_LABELS.get(code, code)) for code in removed_codes])
