"""Schemathesis against the served OpenAPI document, with every check it has: zero failures, no 500s.

Each operation gets examples generated from the document (valid and invalid bodies,
parameters and headers), sent to the application over WSGI with a coordinator's token
bound to a key pair (so that writes that need keys can succeed), on a world with a case
and a task. Every registered check runs on every answer: not a server error, status code,
content type, headers and body conformance, positive data accepted, negative data
rejected, missing required header, unsupported method, ignored auth, use after free,
resource availability. A well-formed request that the rules refuse answers 422
(docs/api.md, "Errors"), which the positive-data check is told is expected, as 409 is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from refuge.wsgi import application
from tests.api.conftest import Token, make_case, make_token
from tests.personas import World

load_all_checks()
ALL_CHECKS = CHECKS.get_all()


@pytest.fixture
def _connection_kept_open() -> Iterator[None]:
    """Called over WSGI, Django would close the test's database connection after each request
    (the test client unhooks the same signal handler for the same reason)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32's lazy schema (`from_fixture`) renames the test in its reports through
    # pytest's private `Node._nodeid`, which pytest 9 no longer has: give it one to read.
    request.node._nodeid = request.node.nodeid


@pytest.fixture
def api_schema(world: World, _connection_kept_open: None):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)


@pytest.fixture
def objects(world: World, settings) -> Objects:  # type: ignore[no-untyped-def]
    # Thousands of calls in a few seconds: the rate limit has its own test.
    settings.REFUGE_API_REQUESTS_PER_MINUTE = 100_000
    case = make_case(world)
    token = make_token(world.alice)
    from refuge.cases.actions.tasks import do_add_task
    from tests.api.conftest import ring

    task = do_add_task(actor=world.alice.user, keyring=ring(world.alice), case=case, title="t", due_on=None, owner=None)
    return Objects(token, str(case.pk), str(task.pk))


schema = schemathesis.pytest.from_fixture("api_schema")
# The defaults, and 422: a well-formed request the rules refuse (docs/api.md, "Errors").
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
            }
        }
    }
)


@dataclass(frozen=True)
class Objects:
    token: Token
    case_id: str
    task_id: str


def _aim(case, objects: Objects) -> None:  # type: ignore[no-untyped-def]
    """Point about half the generated addresses at the real case and task, so that the checks reach
    what lies behind access (stage changes, tasks, the export), not only the 404 of a random id."""
    for name, real in (("case_id", objects.case_id), ("task_id", objects.task_id)):
        generated = str(case.path_parameters.get(name, ""))
        if len(generated) == 36 and generated[0] in "02468ace":
            case.path_parameters[name] = real


# About two minutes on two cores alone: in make test-sqlite and make test-pg (CI), not in make
# test-fast; its own timeout, since a loaded machine can take three times as long.
@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_request_as_its_document_says(case, objects: Objects) -> None:  # type: ignore[no-untyped-def]
    _aim(case, objects)
    token = objects.token
    headers = {"Authorization": f"Bearer {token.secret}", "Refuge-Unlock": token.unlock}
    case.call_and_validate(headers=headers, checks=ALL_CHECKS)


def test_every_check_is_run() -> None:
    names = {check.__name__ for check in ALL_CHECKS}
    assert {"not_a_server_error", "positive_data_acceptance", "negative_data_rejection", "ignored_auth"} <= names
