"""refuge.E011 and refuge.W005: `refuge serve` and `refuge check --deploy --database default` compare the
database's migrations with this release's (docs/operations.md, "Upgrades")."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from refuge.core.checks import check_migrations_applied

pytestmark = pytest.mark.django_db


def _ids(databases: list[str] | None = None) -> list[str]:
    messages = check_migrations_applied(databases=databases if databases is not None else ["default"])
    assert all(message.hint for message in messages), "every check message says what to do"
    return [str(message.id) for message in messages]


def test_a_database_at_this_releases_migrations_passes() -> None:
    assert _ids() == []


def test_it_is_quiet_without_a_database_as_migrate_runs_it() -> None:
    MigrationRecorder(connection).record_unapplied("retention", "0001_retention_rules_and_legal_holds")
    assert _ids([]) == []


def test_a_missing_migration_is_an_error_that_names_it() -> None:
    MigrationRecorder(connection).record_unapplied("retention", "0001_retention_rules_and_legal_holds")
    [message] = check_migrations_applied(databases=["default"])
    assert message.id == "refuge.E011"
    assert "retention.0001_retention_rules_and_legal_holds" in message.msg and "refuge init" in str(message.hint)


def test_a_migration_of_a_newer_release_is_a_warning() -> None:
    MigrationRecorder(connection).record_applied("cases", "9999_of_a_newer_release")
    assert _ids() == ["refuge.W005"]


def test_refuge_check_deploy_reports_it_with_its_id() -> None:
    MigrationRecorder(connection).record_unapplied("retention", "0001_retention_rules_and_legal_holds")
    with pytest.raises(SystemCheckError, match=r"refuge\.E011"):
        call_command("check", "--deploy", "--database", "default", "--tag", "migrations")
