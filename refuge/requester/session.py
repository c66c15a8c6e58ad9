"""The requester's portal session: one encrypted cookie, ended on the server by "Leave".

After a requester proves their receipt, the browser gets `__Host-refuge-portal`:
request id, the receipt-derived private key, the request's portal epoch and an expiry,
encrypted (AEAD) under a key derived from the server key. It is a browser-session
cookie (no Max-Age), so it goes when the browser closes. The receipt itself is never
put in a cookie, an address, a later page or a log.

"Leave" and "Leave quickly" do more than ask the browser to forget the cookie: they
draw a new random `HelpRequest.portal_epoch`, so the cookie, any copy of it taken
earlier and every other cookie issued for the request stop opening at once. The
server stores no session rows, times or addresses (DESIGN.md §5); the epoch is a
random number that says nothing about whether or when anyone left.
"""

from __future__ import annotations

import base64
import binascii
import struct
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.debug import sensitive_variables

from refuge.crypto import CryptoError, derive_subkey, unwrap_with_key, wrap_with_key
from refuge.intake.access import RequesterAccess
from refuge.intake.models import HelpRequest
from refuge.keyring.keyring import KeyNotHeld
from refuge.keyring.records import requester_secret_for
from refuge.requester.actions import do_end_portal_sessions

COOKIE_NAME = "__Host-refuge-portal"
_AD = b"refuge:portal-session"
# request id (16 bytes) · private key (32 bytes) · portal epoch (8) · expiry in Unix seconds (8)
_LAYOUT = struct.Struct(">16s32sQQ")
# A cookie longer than this is not ours: refuse it before decoding anything.
_MAX_COOKIE_CHARS = 400


@dataclass(frozen=True)
class PortalSession:
    """A requester whose token opened: their request and its record-key secret."""

    request: HelpRequest
    secret: bytes = field(repr=False)
    private_key: bytes = field(repr=False)


def _key() -> bytes:
    return derive_subkey(settings.REFUGE_SERVER_KEY, "portal-session")


def _seal(request_id: uuid.UUID, private_key: bytes, epoch: int) -> str:
    expires = int(time.time()) + settings.REFUGE_PORTAL_SESSION_MINUTES * 60
    blob = wrap_with_key(_LAYOUT.pack(request_id.bytes, private_key, epoch, expires), _key(), _AD)
    return base64.urlsafe_b64encode(blob).decode().rstrip("=")


def _unseal(value: str) -> tuple[uuid.UUID, bytes, int] | None:
    """(request id, private key, epoch) from a token that opens and has not expired; else None."""
    if not value or len(value) > _MAX_COOKIE_CHARS:
        return None
    try:
        blob = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        request_id, private_key, epoch, expires = _LAYOUT.unpack(unwrap_with_key(blob, _key(), _AD))
    except (binascii.Error, ValueError, CryptoError, struct.error):
        return None
    if expires < time.time():
        return None
    return uuid.UUID(bytes=request_id), private_key, epoch


def open_portal_session(request: HttpRequest) -> PortalSession | None:
    """The requester's session from their cookie, or None (absent, expired, ended, forged, or key gone)."""
    opened = _unseal(request.COOKIES.get(COOKIE_NAME, ""))
    if opened is None:
        return None
    request_id, private_key, epoch = opened
    help_request = HelpRequest.objects.select_related("key", "organisation").filter(pk=request_id).first()
    # A cookie issued before the last "Leave" is ended, wherever it was copied to.
    if help_request is None or help_request.portal_epoch != epoch:
        return None
    try:
        secret = requester_secret_for(help_request.key, private_key)
    except (KeyNotHeld, CryptoError):
        # Shredded or rotated away from the requester: the same as no session.
        return None
    return PortalSession(request=help_request, secret=secret, private_key=private_key)


def keep_portal_session(response: HttpResponse, session: PortalSession | RequesterAccess) -> None:
    """Set (or renew) the cookie: every portal page pushes the expiry forward."""
    response.set_cookie(
        COOKIE_NAME,
        _seal(session.request.pk, session.private_key, session.request.portal_epoch),
        # No max_age: a browser-session cookie, gone when the browser closes.
        path="/",
        secure=True,
        httponly=True,
        samesite="Strict",
    )


def forget_portal_cookie(response: HttpResponse) -> None:
    """Tell the browser to forget a token that no longer opens (expired, ended, forged)."""
    response.delete_cookie(COOKIE_NAME, path="/", samesite="Strict")


@sensitive_variables()
def end_portal_session(request: HttpRequest, response: HttpResponse) -> None:
    """End the session on the server, not only in this browser ("Leave", "Leave quickly").

    A new epoch makes every cookie issued for the request stop opening: the one in
    this browser, a copy taken from it earlier, and any on another device. The
    browser is also told to drop the cookie and everything it cached from this
    site, so Back does not bring the request page out of its cache.
    """
    session = open_portal_session(request)
    if session is not None:
        do_end_portal_sessions(request=session.request)
    forget_portal_cookie(response)
    # Chromium also evicts this site's pages from its back-forward cache on this header.
    response["Clear-Site-Data"] = '"cache"'
