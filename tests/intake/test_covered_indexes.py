"""The single-column indexes dropped for being covered still have their lookups served by an index.

Dropped to write fewer pages per submission (bench/_wal_pages.py): `keyring_key.organisation_id`,
`keyring_keywrap.key_id`, `intake_helprequest.organisation_id`, `intake_requestindex.organisation_id`
and `cases_caseindex.organisation_id`. Each column is the first of a composite index, which must
serve a lookup by that column alone (the staff pages' lists by organisation, the foreign-key checks
and cascades by key), on SQLite and PostgreSQL, with many requests stored.

Whether a planner then uses it is its call on the statistics: where one organisation holds most
rows, scanning for it is right, and SQLite's statistics give the same rows per value for the
composite's first column as they gave for the dropped index, so the choice is the one it was.
What must hold is that it can: on SQLite without statistics (every equality then looks
selective), on PostgreSQL with sequential scans made as dear as possible.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from tests.intake.test_submission_plans import _gather_statistics, _scans, _seqscan_only_when_forced
from tests.personas import make_organisation
from tests.support.stored_requests import store_requests

STORED = 3000
# Table, column, and the name of the index dropped (refuge/*/migrations/*_drop_indexes_covered_by_composites.py).
LOOKUPS = [
    ("keyring_key", "organisation_id", "keyring_key_organisation_id_54b2b5e9"),
    ("keyring_keywrap", "key_id", "keyring_keywrap_key_id_fd722ac7"),
    ("intake_helprequest", "organisation_id", "intake_helprequest_organisation_id_2f488ff6"),
    ("intake_requestindex", "organisation_id", "intake_requestindex_organisation_id_ff429e7a"),
    ("cases_caseindex", "organisation_id", "cases_caseindex_organisation_id_5e7186c4"),
]


def _indexes(table: str) -> list[tuple[str, list[str]]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [(name, found["columns"]) for name, found in constraints.items() if found["index"]]


@pytest.mark.parametrize(("table", "column", "dropped"), LOOKUPS)
def test_a_lookup_by_the_column_alone_uses_the_composite_index(db: None, table: str, column: str, dropped: str) -> None:
    big, _coordinator, _shares = make_organisation("big", "bea")
    small, _coordinator, _shares = make_organisation("small", "sid")
    store_requests(big, STORED)
    store_requests(small, 30)
    if connection.vendor == "postgresql":
        _gather_statistics()

    # The column's own index is gone (each one was a page written per new row)...
    assert dropped not in dict(_indexes(table))
    # ... and an index beginning with it serves a lookup by it alone.
    assert any(columns[0] == column and len(columns) > 1 for _name, columns in _indexes(table))
    value: uuid.UUID = small.pk if column == "organisation_id" else uuid.uuid4()
    sql = f'SELECT * FROM "{table}" WHERE "{column}" = %s'  # noqa: S608 - names from LOOKUPS
    params = [value.hex if connection.vendor == "sqlite" else value]
    if connection.vendor == "postgresql":
        with _seqscan_only_when_forced():
            assert _scans(sql, params) == []
    else:
        assert _scans(sql, params) == []
