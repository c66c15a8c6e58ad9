"""Root fixtures: the test databases. Personas live in tests/personas.py.

tests/harness.py (loaded before Django) has already chosen the database and the data
directory; this file only shapes the test databases that pytest-django creates.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Put the SQLite test database in a file, one per xdist worker.

    Django would otherwise test against an in-memory database, where WAL and
    synchronous=FULL do not apply: the suite must run the production pragmas.
    On PostgreSQL, pytest-django's own test_<name>_gw<n> databases are used.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        database.setdefault("TEST", {})["NAME"] = str(settings.DATA_DIR / f"test-{worker}.sqlite3")


@pytest.fixture(autouse=True)
def _language_of_each_test_is_its_own() -> Iterator[None]:
    """Start and end every test in the default language.

    LocaleMiddleware activates the language of each request in the thread and nothing
    deactivates it, so one test's Russian page would make the next test's plain
    `gettext` Russian too, depending on the order the tests happen to run in.
    """
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
