"""Fixtures shared by the operations tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.harness import requested_database


@pytest.fixture
def new_database() -> Iterator[dict[str, str]]:
    """A new, empty database for a child process: {} on SQLite (the child makes its own file in its
    data directory), or a fresh database in the run's throwaway PostgreSQL cluster and the
    `DATABASE_URL` that names it, dropped afterwards."""
    if requested_database() != "postgres":
        yield {}
        return
    import psycopg
    from psycopg import sql

    cluster_url = os.environ["DATABASE_URL"]
    name = f"new_{secrets.token_hex(4)}"
    admin_url = urlsplit(cluster_url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield {"DATABASE_URL": urlsplit(cluster_url)._replace(path=f"/{name}").geturl()}
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
