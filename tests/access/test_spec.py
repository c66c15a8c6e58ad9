"""A new route without an access spec fails the build (docs/development.md, "Access suite")."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from tests.access.cells import ACTORS, Expect, all_cells
from tests.access.routes import Route, url_routes
from tests.access.spec import ROUTES, Api, Staff


def _missing_from_spec(routes: list[Route]) -> list[str]:
    return [f"{route.name} ({route.path})" for route in routes if route.name not in ROUTES]


def test_every_route_has_an_access_spec() -> None:
    missing = _missing_from_spec(url_routes())
    assert not missing, (
        "routes without an entry in tests/access/spec.py ROUTES (who may use them, what their ids are): "
        + ", ".join(missing)
    )


def test_every_spec_entry_is_a_route() -> None:
    names = {route.name for route in url_routes()}
    assert not sorted(set(ROUTES) - names), "spec entries for routes that no longer exist"


def test_the_spec_fills_every_argument_of_every_route() -> None:
    wrong = [
        f"{route.name}: the address takes {sorted(route.args)}, the spec fills {sorted(ROUTES[route.name].args)}"
        for route in url_routes()
        if route.name in ROUTES and set(ROUTES[route.name].args) != route.args
    ]
    assert not wrong, wrong


def test_every_reach_names_a_scope_of_its_route() -> None:
    # A misspelt scope would silently leave its cells at 404.
    wrong = []
    for name, spec in ROUTES.items():
        if not isinstance(spec, Staff | Api):
            continue
        scopes = {f"{arg}={scope}" for arg, value in spec.args.items() for scope in value.foreign}
        wrong += [f"{name}: {scope}" for scope in spec.reach if scope not in scopes]
        wrong += [
            f"{name}: {method} in reach but not a method of the route"
            for reach in spec.reach.values()
            for method in reach.forbidden
            if method not in spec.methods
        ]
        if not isinstance(spec.roles, frozenset) and set(spec.roles) != set(spec.methods):
            wrong.append(f"{name}: roles for {sorted(spec.roles)}, but its methods are {spec.methods}")
    assert not wrong, wrong


def _view(request: HttpRequest, case_id: str) -> HttpResponse:
    return HttpResponse()


def test_a_new_route_without_a_spec_is_named() -> None:
    # As if someone added a page next to the intake inbox, in the included, namespaced URLconf.
    workspace = [path("requests/", _view, name="intake_inbox"), path("things/<uuid:thing_id>/", _view, name="thing")]
    missing = _missing_from_spec(url_routes([path("", include((workspace, "workspace")))]))
    assert missing == ["workspace:thing (/things/<uuid:thing_id>/)"]


def test_the_walk_reaches_every_include() -> None:
    routes = {route.name: route for route in url_routes()}
    assert routes["workspace:intake_file"].args == {"request_id", "file_id"}
    assert routes["requester:ask"].path == "/r/<slug:org_slug>/ask/"
    assert "set_language" in routes


def test_the_matrix_has_every_kind_of_cell() -> None:
    cells = all_cells()
    staff_routes = {name for name, spec in ROUTES.items() if isinstance(spec, Staff)}
    assert {cell.actor for cell in cells} == set(ACTORS)
    assert {cell.expect for cell in cells} == set(Expect)
    # Every staff route is refused to someone: a route every actor may use is not a staff route.
    refused = {cell.route for cell in cells if cell.expect is not Expect.ALLOWED}
    assert staff_routes <= refused
    # Every object id is tried from another organisation.
    assert any(cell.scope == "file_id=other-organisation" for cell in cells)
