"""Requester portal tests: the personas.

The brakes count in the database (refuge/core/counters.py), inside each test's own
transaction: every test starts from empty counts, as a new minute does.
"""

from __future__ import annotations

from tests.personas import client_for, world  # noqa: F401
