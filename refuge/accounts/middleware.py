"""Attach the member's keyring to each request; end sessions past their lifetime."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from refuge.accounts.session_keys import apply_key_cookie, end_session, load_keyring, session_too_old


class KeyringMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.keyring = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            if session_too_old(request):
                end_session(request)
            else:
                # Lazy: the private key is unwrapped only by requests that need it.
                request.keyring = SimpleLazyObject(lambda: load_keyring(request))  # type: ignore[attr-defined]
        response = self.get_response(request)
        apply_key_cookie(request, response)
        return response
