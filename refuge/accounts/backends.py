"""Authentication backend that never checks passwords itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models.expressions import BaseExpression
from django.http import HttpRequest

from refuge.accounts.models import User

# Facts that apps above accounts ask in the statement that loads the logged-in member on every
# request (name → a function building an expression over the member's row), so that a page pays
# no statement of its own for them. Asked anew with every request's member: never stale.
# Registered in an AppConfig.ready (the safety app's "is any alarm open": refuge/safety/apps.py).
_member_facts: dict[str, Callable[[], BaseExpression]] = {}


def register_member_fact(name: str, build: Callable[[], BaseExpression]) -> None:
    if name in _member_facts:
        raise ValueError(f"a member fact named {name!r} is already registered")
    _member_facts[name] = build


class SessionOnlyBackend:
    """Loads the user of a live session; passwords are checked by check_login.

    `authenticate` always refuses, so no code path can log someone in without
    also unlocking their private key and checking their second factor.
    """

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> User | None:
        users = User.objects.select_related("organisation")
        if _member_facts:
            users = users.annotate(**{name: build() for name, build in _member_facts.items()})
        return users.filter(pk=user_id, is_active=True).first()
