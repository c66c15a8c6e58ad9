"""The API's world: north's personas, a case of Bob's and Alice's, and tokens made as the account page makes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from refuge.cases.actions.opening import do_accept_request
from refuge.cases.models import Case
from refuge.intake.actions.submissions import do_submit_request
from tests.personas import World, client_for, world  # noqa: F401
from tests.support.api_tokens import Token, make_token, ring  # noqa: F401  (the tests import them from here)

CASE_STORY = "Detained twice near Grozny; canary-api-story"
TASK_TITLE = "Call the lawyer canary-api-task"


def make_case(people: World, story: str = CASE_STORY) -> Case:
    """A request accepted by Ivan for a team of Bob and Alice (Bella and Olga are not on it)."""
    submission = do_submit_request(
        organisation=people.north, answers={"what_happened": story}, urgency="weeks", language="en"
    )
    return do_accept_request(
        actor=people.ivan.user,
        keyring=ring(people.ivan),
        request=submission.request,
        team=[people.bob.user, people.alice.user],
        priority="urgent",
    )


@pytest.fixture
def case(world: World) -> Case:  # noqa: F811 - the persona fixture, imported above
    return make_case(world)


Call = Callable[..., Any]


@pytest.fixture
def api() -> Call:
    """api(token, "GET", "/api/v1/cases", json=..., unlock=True) -> the test client's response."""
    client = Client()

    def call(token: Token | None, method: str, path: str, json: Any = None, *, unlock: bool = True) -> Any:
        headers = token.headers(unlock=unlock) if token else {}
        send = getattr(client, method.lower())
        if json is None:
            return send(path, **headers)
        return send(path, data=json, content_type="application/json", **headers)

    return call
