"""One-time form tokens: a request or reply form is acted on once, however often it is sent.

Each form page carries a random token signed with a timestamp (Django's signer,
keyed by SECRET_KEY). Sending the form records a hash of the token in
`UsedFormNonce` in the same transaction as the write; a second copy (a double
click, reloading the page that answered it, a replayed capture) finds the row and
is refused. A token older than FORM_TOKEN_HOURS is refused too, so rows older than
that can be deleted.

Refusing is not silent: the person is told the form was already sent, and the
form comes back filled in, in case they never saw the first answer.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core import signing
from django.utils.translation import gettext_lazy as _

from refuge.core.errors import UserError
from refuge.crypto import sha256_hex

FORM_TOKEN_HOURS = 24
_SIGNER = signing.TimestampSigner(salt="refuge.requester.form-token")
_MAX_TOKEN_CHARS = 120


def new_form_token() -> str:
    """A fresh token for one form page."""
    return _SIGNER.sign(secrets.token_urlsafe(18))


def form_token_digest(token: object) -> str:
    """The hash to record for a token that is genuine and young enough; else a UserError."""
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_CHARS:
        raise UserError("form_token_missing", _("This form could not be checked. Please send it again."))
    try:
        value = _SIGNER.unsign(token, max_age=timedelta(hours=FORM_TOKEN_HOURS))
    except signing.SignatureExpired:
        raise UserError(
            "form_token_expired", _("This form was open for more than a day. Please check it and send it again.")
        ) from None
    except signing.BadSignature:
        raise UserError("form_token_missing", _("This form could not be checked. Please send it again.")) from None
    return sha256_hex(value.encode())
