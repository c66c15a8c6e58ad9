"""The databases a benchmark runs on: SQLite always; PostgreSQL when asked.

PostgreSQL comes either from a throwaway cluster (`--postgres`, the same harness as
`make test-pg`: tests/postgres.py) or from REFUGE_BENCH_DATABASE_URL, which must
name a database you can throw away: benchmarks create organisations in it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

URL_ENV = "REFUGE_BENCH_DATABASE_URL"


@dataclass(frozen=True)
class DatabaseTarget:
    # Short, for table titles ("SQLite", "PostgreSQL 15.18"); detail says where it runs.
    label: str
    detail: str
    # Each call gives a database for one benchmark run; None means SQLite in the data directory.
    fresh_url: Callable[[], str | None]

    @property
    def is_sqlite(self) -> bool:
        return self.label == "SQLite"


SQLITE = DatabaseTarget("SQLite", "a file in a fresh data directory, WAL, synchronous=FULL", lambda: None)


@contextmanager
def database_targets(*, postgres: bool) -> Iterator[list[DatabaseTarget]]:
    """SQLite, plus PostgreSQL if --postgres or REFUGE_BENCH_DATABASE_URL asks for it."""
    url = os.environ.get(URL_ENV, "").strip()
    if url:
        yield [SQLITE, DatabaseTarget("PostgreSQL", f"the database named by {URL_ENV}", lambda: url)]
    elif postgres:
        with _throwaway_cluster() as target:
            yield [SQLITE, target]
    else:
        yield [SQLITE]


@contextmanager
def _throwaway_cluster() -> Iterator[DatabaseTarget]:
    from tests.postgres import ThrowawayCluster, find_bin_dir

    cluster = ThrowawayCluster(find_bin_dir())
    try:
        cluster.start()
        counter = itertools.count(1)

        def fresh_url() -> str:
            # A database of its own per benchmark run, so no run sees another's rows.
            name = f"bench_{next(counter)}"
            _create_database(cluster.url("postgres"), name)
            return cluster.url(name)

        version = _server_version(cluster.url("postgres")).split()[0]
        detail = "a throwaway local cluster (tests/postgres.py) over its Unix socket, fsync on"
        yield DatabaseTarget(f"PostgreSQL {version}", detail, fresh_url)
    finally:
        cluster.stop()


def _create_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _server_version(admin_url: str) -> str:
    import psycopg

    with psycopg.connect(admin_url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"
