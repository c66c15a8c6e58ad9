"""Holding a member's private key between requests without storing it in clear.

DESIGN.md §5: the key is kept in the server-side session only encrypted under a
random key that lives solely in an HttpOnly `__Host-` cookie. A stolen session
table opens nothing; a stolen cookie without the session row opens nothing.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import cast

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from refuge.accounts.login import LoginResult
from refuge.accounts.models import User
from refuge.crypto import CryptoError, random_key, unwrap_with_key, wrap_with_key
from refuge.keyring.keyring import Keyring

SESSION_WRAPPED_KEY = "refuge_wrapped_key"
SESSION_DURESS = "refuge_duress"
SESSION_STARTED = "refuge_started_at"
SESSION_PENDING_TOTP = "refuge_pending_totp"
BACKEND = "refuge.accounts.backends.SessionOnlyBackend"


def _ad(user: User) -> bytes:
    # Binds the wrapped key to its user: a row copied into another session fails.
    return b"refuge:session-key:" + str(user.pk).encode()


def start_session(request: HttpRequest, result: LoginResult, *, pending_totp: bool = False) -> None:
    """Log the member in (new session id) and stash their key for this session."""
    login(request, result.user, backend=BACKEND)
    request.session[SESSION_STARTED] = timezone.now().isoformat()
    if result.private_key is None:
        request.session[SESSION_DURESS] = True
        return
    cookie_key = random_key()
    wrapped = wrap_with_key(result.private_key, cookie_key, _ad(result.user))
    request.session[SESSION_WRAPPED_KEY] = base64.b64encode(wrapped).decode()
    if pending_totp:
        request.session[SESSION_PENDING_TOTP] = True
    request._refuge_set_key_cookie = base64.b64encode(cookie_key).decode()  # type: ignore[attr-defined]


def end_session(request: HttpRequest) -> None:
    """Log out: delete the session row (and with it the wrapped key) and the cookie."""
    logout(request)
    request._refuge_clear_key_cookie = True  # type: ignore[attr-defined]


def load_keyring(request: HttpRequest) -> Keyring:
    """The keyring of the logged-in member; locked if anything is missing or wrong."""
    user = cast(User, request.user)
    if request.session.get(SESSION_DURESS):
        return Keyring.locked(user)
    cookie = request.COOKIES.get(settings.KEY_COOKIE_NAME, "")
    wrapped = request.session.get(SESSION_WRAPPED_KEY, "")
    try:
        cookie_key = base64.b64decode(cookie, validate=True)
        private = unwrap_with_key(base64.b64decode(wrapped, validate=True), cookie_key, _ad(user))
    except (binascii.Error, ValueError, CryptoError):
        return Keyring.locked(user)
    return Keyring(user, private)


def session_too_old(request: HttpRequest) -> bool:
    """True once a session passes its absolute lifetime, however active it was."""
    started = request.session.get(SESSION_STARTED)
    if not started:
        return True
    age = timezone.now() - datetime.fromisoformat(started)
    return age.total_seconds() > settings.SESSION_MAX_HOURS * 3600


def apply_key_cookie(request: HttpRequest, response: HttpResponse) -> None:
    """Set or clear the key cookie as the request decided."""
    value = getattr(request, "_refuge_set_key_cookie", None)
    if value is not None:
        # No max_age: a browser-session cookie, gone when the browser closes.
        response.set_cookie(settings.KEY_COOKIE_NAME, value, secure=True, httponly=True, samesite="Strict", path="/")
    elif getattr(request, "_refuge_clear_key_cookie", False):
        response.delete_cookie(settings.KEY_COOKIE_NAME, path="/", samesite="Strict")
