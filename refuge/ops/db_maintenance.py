"""Keeping the database's query planner informed.

SQLite plans queries from the statistics `ANALYZE` stores in `sqlite_stat1`; without
them it guesses, and at 100,000 cases a guess can turn a team's case list from a few
hundred rows read into a scan of the whole table (BENCHMARKS.md, workspace). PostgreSQL
keeps its statistics itself (autovacuum), so nothing is done there.
"""

from __future__ import annotations

import logging

from django.db import OperationalError, connection, transaction

logger = logging.getLogger(__name__)


def refresh_planner_statistics() -> str:
    """Gather SQLite's statistics afresh: a full ANALYZE (about 2 s at 100,000 cases).

    Not an approximate one (`PRAGMA analysis_limit`): sampling the first rows of each
    index sees a single organisation, so the planner took `organisation = ?` for a
    selective condition when an installation usually holds one organisation, and it
    read every case through the plain organisation index instead of the small partial
    index of open cases (42 ms instead of 0.8 ms for the count of open cases).

    In a transaction of its own, which takes the write lock first (IMMEDIATE) and waits in
    line for it like any writer: other processes (the scheduler, a command, the server just
    killed and restarted) may be writing. If the lock stays taken beyond the busy timeout,
    the statistics gathered before (kept in the database) stay in use, and the server starts
    anyway: an outdated plan is slower, a server that does not start is down.
    """
    if connection.vendor != "sqlite":
        return "not needed"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit = 0")  # no limit: every row of every index
            cursor.execute("ANALYZE")
    except OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        logger.warning(
            "planner statistics not refreshed, the database stayed busy (%s): the earlier ones are used", error
        )
        return "kept: the database stayed busy"
    return "gathered"
