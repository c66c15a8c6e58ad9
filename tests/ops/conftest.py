"""Fixtures shared by the operations tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fresh_database import fresh_database_env


@pytest.fixture
def new_database() -> Iterator[dict[str, str]]:
    """A new, empty database for a child process: {} on SQLite (the child makes its own file in its
    data directory), or a fresh database in the run's throwaway PostgreSQL cluster and the
    `DATABASE_URL` that names it, dropped afterwards."""
    with fresh_database_env("new") as env:
        yield env
