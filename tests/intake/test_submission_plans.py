"""Every query of a submission uses an index, however many requests are stored (issue #11).

The portal's form page and its POST are sent through the real views with many requests
already stored and the planner's statistics gathered (as `refuge serve` gathers them), and
every statement they send is explained. A statement that reads a whole table (SQLite's
`SCAN`, PostgreSQL's `Seq Scan`) fails, naming its plan: its cost would grow with the
rows stored, and a submission's cost must not.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from refuge.audit import actions as audit_actions
from refuge.keyring import records
from refuge.keyring.models import ORGANISATION_KEY_PURPOSES
from refuge.ops.db_maintenance import refresh_planner_statistics
from refuge.requester import actions as requester_actions
from tests.personas import make_organisation
from tests.requester.helpers import receipt_in, send_request
from tests.support.stored_requests import store_requests

# Enough rows that a scan would be chosen only by a planner that cannot use an index.
STORED = 3000
EXPLAINED = ("SELECT", "UPDATE", "DELETE", "WITH")
# The tables that grow with every request stored (and the audit's held entries, with every hour's).
GROWING = (
    "intake_helprequest",
    "intake_requestindex",
    "keyring_key",
    "keyring_keywrap",
    "requester_usedformnonce",
    "audit_heldentry",
)


@contextmanager
def statements() -> Iterator[list[tuple[str, Any]]]:
    """Every statement the connection runs (SQL and its parameters), executemany's INSERTs left out."""
    seen: list[tuple[str, Any]] = []

    def keep(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if not many:
            seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        yield seen


def _gather_statistics() -> None:
    if connection.vendor == "sqlite":
        refresh_planner_statistics()
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _scans(sql: str, params: Any) -> list[str]:
    """The whole-table reads in the plan of one statement (empty when every table is reached by an index)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return [row[3] for row in cursor.fetchall() if row[3].startswith("SCAN")]
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return [
        f"Seq Scan on {node['Relation Name']}" for node in _nodes(plan[0]["Plan"]) if node["Node Type"] == "Seq Scan"
    ]


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


@contextmanager
def _seqscan_only_when_forced() -> Iterator[None]:
    """PostgreSQL: a Seq Scan only where no index could serve (a small table is scanned by choice)."""
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")


def test_every_query_of_a_submission_uses_an_index_with_many_requests_stored(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One organisation, as most installations hold: the planner's statistics then say that
    # `organisation_id = ?` selects every row, the case in which a planner scans.
    organisation, _coordinator, _shares = make_organisation("solo", "sam")
    store_requests(organisation, STORED, this_hour=True)
    _gather_statistics()
    # The housekeeping a submission does now and then runs in this one: the purge of old form
    # tokens (every 10 minutes per process) and the look for held audit entries (hourly).
    monkeypatch.setattr(requester_actions, "_next_purge", 0.0)
    monkeypatch.setattr(audit_actions, "_none_held_before", None)

    with statements() as seen:
        response = send_request(Client(), org="solo")
    assert response.status_code == 200
    assert receipt_in(response.content.decode())

    explained = [(sql, params) for sql, params in seen if sql.lstrip().upper().startswith(EXPLAINED)]
    assert len(explained) >= 5, seen  # organisation, questions, keys, token purge, group key check, …
    # As the planner chooses, with the statistics of many stored requests.
    scanning = {sql: scans for sql, params in explained if (scans := _scans(sql, params))}
    if connection.vendor == "postgresql":
        # PostgreSQL rightly reads a table of a few rows (the organisations) whole: only the
        # tables that grow with every request must not be; and with sequential scans made
        # as dear as possible, none may remain, so an index exists for every statement.
        scanning = {sql: scans for sql, scans in scanning.items() if any(t in " ".join(scans) for t in GROWING)}
        with _seqscan_only_when_forced():
            scanning.update({sql: scans for sql, params in explained if (scans := _scans(sql, params))})
    assert scanning == {}


def test_the_keys_statement_names_the_purposes_of_the_partial_index() -> None:
    # The index's condition and the statement's must be the same words for a planner to use it.
    written = ", ".join(f"'{purpose}'" for purpose in ORGANISATION_KEY_PURPOSES)
    assert f"k.purpose IN ({written})" in records._ORGANISATION_KEYS_SQL
