"""A fresh, empty database for a child process (a server, a command) started by a test."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from tests.harness import requested_database


@contextmanager
def fresh_database_env(prefix: str) -> Iterator[dict[str, str]]:
    """{} on SQLite (the child makes its own file in its data directory); on the PostgreSQL layer,
    a new database `<prefix>_<random>` in the run's throwaway cluster (DATABASE_URL, set by
    tests/harness.py) and the `DATABASE_URL` that names it, dropped afterwards."""
    if requested_database() != "postgres":
        yield {}
        return
    import psycopg
    from psycopg import sql

    cluster_url = os.environ["DATABASE_URL"]
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin_url = urlsplit(cluster_url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield {"DATABASE_URL": urlsplit(cluster_url)._replace(path=f"/{name}").geturl()}
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
