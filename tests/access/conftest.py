"""One world per module for the access matrix: personas logged in once, objects made once.

The world is built inside a transaction held open for the whole module and rolled back at
its end; each cell runs in a savepoint of it (pytest-django's `db`), so whatever a cell
writes (an allowed POST, a logout) is undone before the next one. Each client's cookies
are put back before every cell for the same reason: a cell that logs out, or ends every
session, leaves the next cell its logged-in client.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from refuge.accounts.actions.credentials import do_set_duress_password
from refuge.accounts.models import Role
from refuge.api.limits import SCOPE as API_CALLS
from refuge.intake import access as intake_access
from refuge.intake.receipt_brake import ReceiptBrake
from tests.access.cells import ACTORS, OWN, Cell, all_cells
from tests.access.objects import Objects
from tests.access.spec import ROUTES
from tests.personas import World, build_world, log_in, make_member, without_tokens
from tests.support.api_tokens import Token, make_token

DURESS_PASSWORD = "under-pressure-pass-99"


@dataclass
class AccessWorld:
    world: World
    objects: Objects
    clients: dict[str, Client] = field(default_factory=dict)
    cookies: dict[str, SimpleCookie] = field(default_factory=dict)
    urls: dict[tuple[str, str], str] = field(default_factory=dict)
    not_found_pages: dict[tuple[str, bool], str] = field(default_factory=dict)
    # Each staff actor's (and the outsider's) API token: every scope, bound to a key pair, unlocked.
    tokens: dict[str, Token] = field(default_factory=dict)

    def client(self, actor: str) -> Client:
        """The actor's client with the cookies it had when it logged in."""
        client = self.clients[actor]
        client.cookies = copy.deepcopy(self.cookies[actor])
        return client

    def url(self, cell: Cell) -> str:
        return self.urls[(cell.route, cell.scope)]

    def api_headers(self, actor: str) -> dict[str, str]:
        """The actor's token headers; none for those who hold no token (their cookies are no credential)."""
        token = self.tokens.get(actor)
        return token.headers() if token is not None else {}

    def not_found_page(self, actor: str, url: str) -> str:
        """What this actor sees at an address that does not exist, next to `url` (staff or portal)."""
        if url.startswith("/api/"):
            # The API's one 404 body, the same for everyone (refuge/api/errors.py).
            response = self.client(actor).get("/api/no-such-page/at-all/", **self.api_headers(actor))
            assert response.status_code == 404
            return response.content.decode()
        portal = url.startswith("/r/")
        if (actor, portal) not in self.not_found_pages:
            response = self.client(actor).get(("/r/" if portal else "/") + "no-such-page/at-all/")
            assert response.status_code == 404
            self.not_found_pages[(actor, portal)] = without_tokens(response.content)
        return self.not_found_pages[(actor, portal)]


def _url(objects: Objects, route: str, scope: str) -> str:
    spec = ROUTES[route]
    arg_name, _, foreign = scope.partition("=")
    kwargs = {
        name: (arg.foreign[foreign] if name == arg_name and scope != OWN else arg.own)(objects)
        for name, arg in spec.args.items()
    }
    return reverse(route, kwargs={name: str(value) for name, value in kwargs.items()})


def _log_in_clients(access: AccessWorld) -> None:
    world = access.world
    for name, actor in ACTORS.items():
        client = Client()
        if actor.persona == "dmitri":
            dmitri = make_member(world.north, "dmitri", Role.CASEWORKER)
            do_set_duress_password(actor=dmitri.user, current_password=dmitri.password, duress_password=DURESS_PASSWORD)
            data = {"organisation": "north", "username": "dmitri", "password": DURESS_PASSWORD, "code": "000000"}
            assert client.post("/login/", data).status_code == 302
            assert b"Nothing needs you" in client.get("/").content, "not a duress session"
        elif actor.persona is not None:
            log_in(client, getattr(world, actor.persona))
        elif name == "requester":
            with pytest.MonkeyPatch.context() as patch:
                # The per-process receipt brake belongs to the tests that count it.
                patch.setattr(intake_access, "_brake", ReceiptBrake())
                response = client.post("/r/status/", {"receipt": access.objects.receipt("north")})
            assert response.status_code == 302, "the receipt did not open north's request"
            assert b"status--received" in client.get("/r/request/").content, "no portal session"
        access.clients[name] = client
        access.cookies[name] = copy.deepcopy(client.cookies)
        if actor.persona is not None and actor.persona != "dmitri":
            access.tokens[name] = make_token(getattr(world, actor.persona))


@pytest.fixture(scope="module")
def access(django_db_setup: None, django_db_blocker: Any) -> Iterator[AccessWorld]:
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        access = AccessWorld(world=world, objects=Objects(world))
        for cell in all_cells():
            if (cell.route, cell.scope) not in access.urls:
                access.urls[(cell.route, cell.scope)] = _url(access.objects, cell.route, cell.scope)
        _log_in_clients(access)
        access.objects.frozen = True
        yield access
        transaction.set_rollback(True)


class Writes:
    """The SQL writes (INSERT, UPDATE, DELETE) sent while it is installed as an execute wrapper.

    Any statement counts, even one that matches no row: a refused request has no business
    getting that far. The exceptions: the session row's sliding expiry, which every
    request updates (SESSION_SAVE_EVERY_REQUEST), and the API's rate count, which every
    call of a live token adds to before anything is looked up (refuge/api/limits.py: a
    refused call is a call); deleting or adding sessions still counts.
    """

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        verb = sql.lstrip().split(None, 1)[0].upper()
        api_count = RATE_COUNT.match(sql) is not None and list(params or [])[:1] == [API_CALLS]
        if verb in {"INSERT", "UPDATE", "DELETE", "REPLACE"} and not (SESSION_EXPIRY.match(sql) or api_count):
            self.statements.append(sql)
        return execute(sql, params, many, context)


SESSION_EXPIRY = re.compile(r'\s*UPDATE\s+"accounts_staffsession"\s+SET\s', re.IGNORECASE)
# The API rate count: refuge/core/counters.py `add`, for the scope of refuge/api/limits.py only.
RATE_COUNT = re.compile(r'\s*INSERT\s+INTO\s+"core_minutecount"\s', re.IGNORECASE)
