"""The access matrix: every route × actor × scope × method, and the answer each must get."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from refuge.accounts.models import Role
from tests.access.routes import url_routes
from tests.access.spec import ROUTES, Api, ApiMissing, Public, Spec, Staff

OWN = "own"


class Expect(enum.Enum):
    ALLOWED = "allowed"  # 2xx, 3xx or a form error (400): never 403, 404, 405 or 5xx
    NOT_FOUND = "404"  # the same page as an address that does not exist; nothing written
    FORBIDDEN = "403"  # a refusal page of the route's own (spec.Reach.forbidden); nothing written
    LOG_IN = "login"  # a redirect to the staff login; nothing written
    UNAUTHENTICATED = "401"  # the API without a token: its 401 body; nothing written


@dataclass(frozen=True)
class Actor:
    """Who sends the request: a north member of one role, or someone else."""

    name: str
    persona: str | None  # attribute of tests.personas.World, or an extra member (conftest)
    role: str | None = None


ACTORS = {
    actor.name: actor
    for actor in [
        Actor("coordinator", "alice", Role.COORDINATOR),
        Actor("caseworker", "bob", Role.CASEWORKER),
        Actor("intake", "ivan", Role.INTAKE),
        Actor("auditor", "audrey", Role.AUDITOR),
        Actor("administrator", "adam", Role.ADMINISTRATOR),
        # A coordinator of "south": every north object is foreign to them.
        Actor("outsider", "charlie", Role.COORDINATOR),
        # A north caseworker logged in with their duress password.
        Actor("duress", "dmitri", Role.CASEWORKER),
        # A browser holding a portal session for north's request (its receipt was typed in).
        Actor("requester", None),
        Actor("anonymous", None),
    ]
}
STAFF_ACTORS = ["coordinator", "caseworker", "intake", "auditor", "administrator"]
PUBLIC_ACTORS = ["anonymous", "requester", "coordinator"]


@dataclass(frozen=True)
class Cell:
    route: str
    method: str
    actor: str
    scope: str  # "own", or "<argument>=<foreign scope>": that argument takes a foreign value
    expect: Expect

    def __str__(self) -> str:
        return f"{self.route} {self.method} {self.actor} {self.scope}"


def _scopes(spec: Spec) -> list[str]:
    return [OWN] + [f"{arg}={scope}" for arg, value in spec.args.items() for scope in value.foreign]


def _staff_expect(spec: Staff | Api, method: str, role: str | None, scope: str) -> Expect:
    if role not in spec.roles_for(method):
        return Expect.NOT_FOUND
    if scope == OWN:
        return Expect.ALLOWED
    reach = spec.reach.get(scope)
    if reach is None or role not in reach.roles:
        return Expect.NOT_FOUND
    return Expect.FORBIDDEN if method in reach.forbidden else Expect.ALLOWED


def _staff_cells(name: str, spec: Staff) -> list[Cell]:
    cells = []
    for method in spec.methods:
        for actor in STAFF_ACTORS:
            for scope in _scopes(spec):
                cells.append(Cell(name, method, actor, scope, _staff_expect(spec, method, ACTORS[actor].role, scope)))
        of_organisation = any(arg.of_organisation for arg in spec.args.values())
        outsider_allowed = ACTORS["outsider"].role in spec.roles_for(method) and not of_organisation
        cells.append(Cell(name, method, "outsider", OWN, Expect.ALLOWED if outsider_allowed else Expect.NOT_FOUND))
        duress = spec.duress is True or (isinstance(spec.duress, tuple) and method in spec.duress)
        cells.append(Cell(name, method, "duress", OWN, Expect.ALLOWED if duress else Expect.NOT_FOUND))
        cells += [Cell(name, method, actor, OWN, Expect.LOG_IN) for actor in ("anonymous", "requester")]
    return cells


def _public_cells(name: str, spec: Public) -> list[Cell]:
    return [
        Cell(name, method, actor, scope, Expect.ALLOWED if scope == OWN else Expect.NOT_FOUND)
        for method in spec.methods
        for actor in PUBLIC_ACTORS
        for scope in _scopes(spec)
    ]


# Who calls the API without a token: nobody, a requester's portal session, a workspace session (dmitri's).
NO_TOKEN_ACTORS = ["anonymous", "requester", "duress"]


def _api_cells(name: str, spec: Api) -> list[Cell]:
    cells = []
    for method in spec.methods:
        for actor in STAFF_ACTORS:
            for scope in _scopes(spec):
                cells.append(Cell(name, method, actor, scope, _staff_expect(spec, method, ACTORS[actor].role, scope)))
        of_organisation = any(arg.of_organisation for arg in spec.args.values())
        outsider_allowed = ACTORS["outsider"].role in spec.roles_for(method) and not of_organisation
        cells.append(Cell(name, method, "outsider", OWN, Expect.ALLOWED if outsider_allowed else Expect.NOT_FOUND))
        cells += [Cell(name, method, actor, OWN, Expect.UNAUTHENTICATED) for actor in NO_TOKEN_ACTORS]
    return cells


def _api_missing_cells(name: str, spec: ApiMissing) -> list[Cell]:
    return [
        Cell(name, method, actor, OWN, Expect.NOT_FOUND)
        for method in spec.methods
        for actor in [*STAFF_ACTORS, "outsider", *NO_TOKEN_ACTORS]
    ]


def all_cells() -> list[Cell]:
    """The cells of every route that is both in the URL configuration and in the spec.

    A route missing from either side fails test_spec.py once, instead of failing here N times.
    """
    cells: list[Cell] = []
    for route in url_routes():
        spec = ROUTES.get(route.name)
        if isinstance(spec, Staff):
            cells += _staff_cells(route.name, spec)
        elif isinstance(spec, Public):
            cells += _public_cells(route.name, spec)
        elif isinstance(spec, Api):
            cells += _api_cells(route.name, spec)
        elif isinstance(spec, ApiMissing):
            cells += _api_missing_cells(route.name, spec)
    return cells
