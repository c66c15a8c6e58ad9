"""Every route × actor × scope answers as tests/access/spec.py says (docs/development.md, "Access suite")."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import HttpResponse
from django.urls import reverse

from refuge.cases.models import Compartment
from refuge.cases.queries import read_compartment
from tests.access.cells import Cell, Expect, all_cells
from tests.access.conftest import AccessWorld, Writes
from tests.access.objects import CASE_CONTENT, MEDICAL_CONTENT
from tests.access.spec import NOT_HELD, ROUTES, Api, ApiMissing, Public, Staff
from tests.personas import without_tokens

CELLS = all_cells()
REFUSED = {403, 404, 405}


def _send(access: AccessWorld, cell: Cell) -> HttpResponse:
    client = access.client(cell.actor)
    url = access.url(cell)
    spec = ROUTES[cell.route]
    if isinstance(spec, Api | ApiMissing):
        # The API: the actor's token (if any) and a body its schema accepts (spec.Api.body).
        headers = access.api_headers(cell.actor)
        if cell.method == "GET":
            return client.get(url, **headers)  # type: ignore[return-value]
        body = dict(spec.body) if isinstance(spec, Api) else {}
        return client.post(url, data=body, content_type="application/json", **headers)  # type: ignore[return-value]
    # An empty form: an allowed POST answers with its form errors (400) or does something
    # harmless that the cell's savepoint undoes; a refused one must not get that far.
    return client.get(url) if cell.method == "GET" else client.post(url, {})  # type: ignore[return-value]


def _explain(cell: Cell, access: AccessWorld, response: HttpResponse) -> str:
    where = response.get("Location", "")
    return f"{cell}: {access.url(cell)} answered {response.status_code} {where}, expected {cell.expect.value}"


def _hidden(cell: Cell) -> tuple[str, ...]:
    """What the answer must not show: content behind a key the actor does not hold (spec.Reach.hides)."""
    spec = ROUTES[cell.route]
    reach = spec.reach.get(cell.scope) if isinstance(spec, Staff | Api) else None
    return reach.hides if reach is not None else ()


@pytest.mark.django_db
@pytest.mark.parametrize("cell", CELLS, ids=str)
def test_the_route_answers_as_the_spec_says(cell: Cell, access: AccessWorld) -> None:
    writes = Writes()
    with connection.execute_wrapper(writes):
        response = _send(access, cell)
    status, location = response.status_code, response.get("Location", "")
    shown = [text for text in _hidden(cell) if text.encode() in response.content]
    assert not shown, f"{cell}: the answer shows what it must not: {shown}"
    if cell.expect is Expect.ALLOWED:
        assert status < 500 and status not in REFUSED, _explain(cell, access, response)
        if cell.method == "GET" and isinstance(ROUTES[cell.route], Staff):
            # The member's client really was logged in (a lost session would pass as "allowed").
            assert not location.endswith("/login/"), _explain(cell, access, response)
        return
    if cell.expect is Expect.UNAUTHENTICATED:
        assert status == 401 and response.json()["code"] == "unauthenticated", _explain(cell, access, response)
    elif cell.expect is Expect.LOG_IN and cell.method == "POST" and status != 302:
        # A posted form is not lost: the login page itself answers, carrying the fields to
        # send after logging in (refuge/workspace/carry.py); nothing is written before that.
        page = response.content.decode()
        assert status == 403 and 'action="/login/"' in page and 'name="carry_to"' in page, _explain(
            cell, access, response
        )
    elif cell.expect is Expect.LOG_IN:
        assert status == 302 and location.endswith("/login/"), _explain(cell, access, response)
    elif cell.expect is Expect.FORBIDDEN:
        assert status == 403, _explain(cell, access, response)
    else:
        assert status == 404, _explain(cell, access, response)
        spec = ROUTES[cell.route]
        if not isinstance(spec, Public) or not spec.own_404_page:
            # "Not yours" must read exactly like "does not exist".
            expected_page = access.not_found_page(cell.actor, access.url(cell))
            assert without_tokens(response.content) == expected_page, f"{cell}: its 404 differs from a missing page's"
    assert not writes.statements, f"{cell}: a refused request wrote: {writes.statements}"


@pytest.mark.django_db
def test_what_is_hidden_is_there_to_hide(access: AccessWorld) -> None:
    """The texts `Reach.hides` looks for are on the pages of those who may read them."""
    objects = access.objects
    case = objects.case("north")
    page = access.client("coordinator").get(reverse("workspace:case_detail", args=[case.pk]))
    assert page.status_code == 200 and CASE_CONTENT.encode() in page.content
    medical = Compartment.objects.select_related("key").get(
        person=objects.person("north"), kind=objects.compartment_kind(NOT_HELD)
    )
    assert MEDICAL_CONTENT in read_compartment(medical, objects.ring("bella"))["medication"]
