"""Authentication backend that never checks passwords itself."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from refuge.accounts.models import User


class SessionOnlyBackend:
    """Loads the user of a live session; passwords are checked by check_login.

    `authenticate` always refuses, so no code path can log someone in without
    also unlocking their private key and checking their second factor.
    """

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> User | None:
        return User.objects.select_related("organisation").filter(pk=user_id, is_active=True).first()
