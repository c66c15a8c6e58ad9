"""Who is calling: the token, its member, and the keyring it unlocked for this request.

`TokenAuth` is the API's one door (docs/api.md, "Tokens"): a live token of an active
member (`refuge.accounts.api_tokens.authenticate_api_token`), within its rate, whose
request body was not refused. The keyring is locked unless the token is bound to a key
pair and the request carries the script's private key in `Refuge-Unlock`
(docs/keys.md, "API tokens"): then it is the member's own, for this request only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import cast

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from ninja.security import HttpBearer

from refuge.accounts.api_tokens import authenticate_api_token, unlocked_keyring
from refuge.accounts.models import ApiToken, User
from refuge.api.errors import ApiError
from refuge.api.limits import calls
from refuge.core.errors import UserError
from refuge.core.request_body import body_error
from refuge.keyring.keyring import Keyring

UNLOCK_HEADER = "Refuge-Unlock"


@dataclass(frozen=True)
class Caller:
    token: ApiToken
    member: User
    keyring: Keyring


class TokenAuth(HttpBearer):
    @sensitive_variables("token")
    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        found = authenticate_api_token(token)
        if found is None:
            return None
        if not calls.allow(found.pk):
            raise ApiError(
                429,
                "too_many_requests",
                _("Too many calls with this token this minute. Please wait and try again."),
                headers={"Retry-After": str(calls.seconds_left())},
            )
        refused = body_error(request)
        if refused is not None:
            raise ApiError(413 if refused.code == "body_too_large" else 400, refused.code, refused.message)
        unlock = request.headers.get(UNLOCK_HEADER)
        member = found.member
        try:
            keyring = Keyring.locked(member) if unlock is None else unlocked_keyring(found, unlock)
        except UserError as error:
            # A wrong key is refused outright, not served as a locked keyring the script did not ask for.
            raise ApiError(401, error.code, error.message) from None
        return Caller(found, member, keyring)


def caller(request: HttpRequest, scope: str, query: Collection[str] = ()) -> Caller:
    """The request's caller, if its token carries `scope`; else 403 (before any object is looked up).

    A query parameter the endpoint does not take (`query` lists those it does) is refused with
    400: a misspelt `per_page` must not quietly give the default page size.
    """
    who = cast(Caller, request.auth)  # type: ignore[attr-defined]
    if scope not in who.token.scopes:
        raise ApiError(403, "scope", _("This token may not do this: it lacks the scope %(scope)s.") % {"scope": scope})
    unknown = sorted(set(request.GET) - set(query))
    if unknown:
        raise ApiError(
            400,
            "unknown_parameter",
            _("This address does not take the parameter %(name)s.") % {"name": unknown[0][:40]},
        )
    return who
