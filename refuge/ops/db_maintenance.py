"""Keeping the database's query planner informed.

SQLite plans queries from the statistics `ANALYZE` stores in `sqlite_stat1`; without
them it guesses, and at 100,000 cases a guess can turn a team's case list from a few
hundred rows read into a scan of the whole table (BENCHMARKS.md, workspace). PostgreSQL
keeps its statistics itself (autovacuum), so nothing is done there.
"""

from __future__ import annotations

from django.db import connection


def refresh_planner_statistics() -> str:
    """Gather SQLite's statistics afresh: a full ANALYZE (about 2 s at 100,000 cases).

    Not an approximate one (`PRAGMA analysis_limit`): sampling the first rows of each
    index sees a single organisation, so the planner took `organisation = ?` for a
    selective condition when an installation usually holds one organisation, and it
    read every case through the plain organisation index instead of the small partial
    index of open cases (42 ms instead of 0.8 ms for the count of open cases).
    """
    if connection.vendor != "sqlite":
        return "not needed"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit = 0")  # no limit: every row of every index
        cursor.execute("ANALYZE")
    return "gathered"
