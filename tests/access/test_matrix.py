"""Every route × actor × scope answers as tests/access/spec.py says (docs/development.md, "Access suite")."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import HttpResponse

from tests.access.cells import Cell, Expect, all_cells
from tests.access.conftest import AccessWorld, Writes
from tests.access.spec import ROUTES, Staff
from tests.personas import without_tokens

CELLS = all_cells()
REFUSED = {403, 404, 405}


def _send(access: AccessWorld, cell: Cell) -> HttpResponse:
    client = access.client(cell.actor)
    url = access.url(cell)
    # An empty form: an allowed POST answers with its form errors (400) or does something
    # harmless that the cell's savepoint undoes; a refused one must not get that far.
    return client.get(url) if cell.method == "GET" else client.post(url, {})  # type: ignore[return-value]


def _explain(cell: Cell, access: AccessWorld, response: HttpResponse) -> str:
    where = response.get("Location", "")
    return f"{cell}: {access.url(cell)} answered {response.status_code} {where}, expected {cell.expect.value}"


@pytest.mark.django_db
@pytest.mark.parametrize("cell", CELLS, ids=str)
def test_the_route_answers_as_the_spec_says(cell: Cell, access: AccessWorld) -> None:
    writes = Writes()
    with connection.execute_wrapper(writes):
        response = _send(access, cell)
    status, location = response.status_code, response.get("Location", "")
    if cell.expect is Expect.ALLOWED:
        assert status < 500 and status not in REFUSED, _explain(cell, access, response)
        if cell.method == "GET" and isinstance(ROUTES[cell.route], Staff):
            # The member's client really was logged in (a lost session would pass as "allowed").
            assert not location.endswith("/login/"), _explain(cell, access, response)
        return
    if cell.expect is Expect.LOG_IN:
        assert status == 302 and location.endswith("/login/"), _explain(cell, access, response)
    else:
        assert status == 404, _explain(cell, access, response)
        spec = ROUTES[cell.route]
        if isinstance(spec, Staff) or not spec.own_404_page:
            # "Not yours" must read exactly like "does not exist".
            expected_page = access.not_found_page(cell.actor, access.url(cell))
            assert without_tokens(response.content) == expected_page, f"{cell}: its 404 differs from a missing page's"
    assert not writes.statements, f"{cell}: a refused request wrote: {writes.statements}"
