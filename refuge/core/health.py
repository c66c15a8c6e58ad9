"""Whether this process can serve: what `/health/` reports (docs/operations.md, "Health check")."""

from __future__ import annotations

from django.db import DatabaseError, connection


def database_reachable() -> bool:
    """True when one trivial query reaches the database (a read: nothing is written)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True
