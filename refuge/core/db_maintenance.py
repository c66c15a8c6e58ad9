"""Keeping the database's query planner informed.

SQLite plans queries from the statistics `ANALYZE` stores in `sqlite_stat1`; without
them it guesses, and at 100,000 cases a guess can turn a team's case list from a few
hundred rows read into a scan of the whole table (BENCHMARKS.md, workspace). PostgreSQL
keeps its statistics itself (autovacuum), so nothing is done there.
"""

from __future__ import annotations

from django.db import connection


def refresh_planner_statistics() -> str:
    """Gather SQLite's statistics afresh (an approximate ANALYZE: fast on a large database)."""
    if connection.vendor != "sqlite":
        return "not needed"
    with connection.cursor() as cursor:
        # analysis_limit makes ANALYZE look at about this many rows of each index instead
        # of all of them: well under a second at 100,000 cases, and close enough to plan.
        cursor.execute("PRAGMA analysis_limit = 1000")
        cursor.execute("ANALYZE")
    return "gathered"
