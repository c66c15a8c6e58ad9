"""The API's world: north's personas, a case of Bob's and Alice's, and tokens made as the account page makes them."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from refuge.accounts.api_tokens import Scope, do_create_api_token
from refuge.api.limits import calls
from refuge.cases import actions
from refuge.cases.models import Case
from refuge.crypto import generate_keypair
from refuge.intake.actions import do_submit_request
from refuge.keyring.keyring import Keyring
from tests.personas import Persona, World, client_for, world  # noqa: F401

ALL_SCOPES = list(Scope.values)
CASE_STORY = "Detained twice near Grozny; canary-api-story"
TASK_TITLE = "Call the lawyer canary-api-task"


@dataclass
class Token:
    secret: str
    token_id: Any
    # The script's own X25519 private key, base64: sent as Refuge-Unlock (None for a token that opens nothing).
    unlock: str | None = None

    def headers(self, *, unlock: bool = True) -> dict[str, str]:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.secret}"}
        if unlock and self.unlock is not None:
            headers["HTTP_REFUGE_UNLOCK"] = self.unlock
        return headers


def ring(persona: Persona) -> Keyring:
    return Keyring(persona.refresh().user, persona.private_key)


def make_token(persona: Persona, scopes: list[str] | None = None, *, bound: bool = True, days: int = 30) -> Token:
    """A token as the account page makes it; `bound`: to a key pair the script holds."""
    pair = generate_keypair() if bound else None
    new = do_create_api_token(
        actor=persona.refresh().user,
        keyring=ring(persona),
        name="script",
        scopes=ALL_SCOPES if scopes is None else scopes,
        days=days,
        unlock_public_key=pair.public if pair else None,
    )
    unlock = base64.b64encode(pair.private).decode() if pair else None
    return Token(new.secret, new.token.pk, unlock)


def make_case(people: World, story: str = CASE_STORY) -> Case:
    """A request accepted by Ivan for a team of Bob and Alice (Bella and Olga are not on it)."""
    submission = do_submit_request(
        organisation=people.north, answers={"what_happened": story}, urgency="weeks", language="en"
    )
    return actions.do_accept_request(
        actor=people.ivan.user,
        keyring=ring(people.ivan),
        request=submission.request,
        team=[people.bob.user, people.alice.user],
        priority="urgent",
    )


@pytest.fixture(autouse=True)
def _fresh_rate_budget() -> Iterator[None]:
    calls.reset()
    yield
    calls.reset()


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
