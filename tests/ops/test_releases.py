"""The previous release keeps running while the next one's migrations run (docs/operations.md, "Upgrades").

refuge/ops/releases.py records each release's migration state. Its migrations must stay as
they were released, and no migration since may drop, rename or retype what the previous
release uses, nor add a column its INSERTs cannot fill.
"""

from __future__ import annotations

import pytest
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader

from refuge.ops.releases import (
    PREVIOUS,
    RELEASES,
    compatibility_problems,
    new_migrations,
    release_state,
    released_digest,
)


@pytest.fixture(scope="module")
def loader() -> MigrationLoader:
    return MigrationLoader(None, ignore_no_migrations=True)


def test_no_released_migration_was_edited_since(loader: MigrationLoader) -> None:
    for release in RELEASES:
        assert released_digest(loader, release) == release.migrations_sha256, (
            f"a migration released in {release.name} ({release.commit[:9]}) was changed: installations have run it as "
            "it was; write a new migration instead"
        )


def test_no_migration_since_the_previous_release_breaks_it(loader: MigrationLoader) -> None:
    assert compatibility_problems(release_state(loader, PREVIOUS), new_migrations(loader, PREVIOUS)) == []


def _migration(*operations: object) -> tuple[str, migrations.Migration]:
    migration = migrations.Migration("0099_next", "cases")
    migration.operations = list(operations)
    return ("cases", migration)


@pytest.mark.parametrize(
    ("operation", "problem"),
    [
        (migrations.RemoveField("note", "body"), "drops note.body"),
        (migrations.RenameField("note", "body", "text"), "renames note.body"),
        (migrations.DeleteModel("Note"), "DeleteModel of Note"),
        (migrations.RenameModel("Note", "Remark"), "RenameModel of Note"),
        (migrations.AlterModelTable("note", "cases_remark"), "AlterModelTable of note"),
        (
            migrations.AddField("note", "weight", models.IntegerField(default=1)),
            "adds note.weight NOT NULL without a database default",
        ),
        (
            migrations.AlterField("note", "body", models.BinaryField(db_column="text")),
            "renames the column of note.body",
        ),
    ],
)
def test_the_check_names_what_would_break_the_running_release(
    loader: MigrationLoader, operation: object, problem: str
) -> None:
    [found] = compatibility_problems(release_state(loader, PREVIOUS), [_migration(operation)])
    assert found.startswith("cases.0099_next: ") and problem in found


@pytest.mark.parametrize(
    "operation",
    [
        migrations.AddField("note", "weight", models.IntegerField(null=True)),
        migrations.AddField("note", "weight", models.IntegerField(db_default=1)),
        migrations.AddIndex("note", models.Index(fields=["case"], name="note_case_idx")),
        migrations.CreateModel("Remark", [("id", models.BigAutoField(primary_key=True))]),
        # What the release does not have can go: a table or column added after it.
        migrations.RemoveField("remark", "body"),
        migrations.DeleteModel("Remark"),
    ],
)
def test_additive_steps_and_changes_to_what_the_release_lacks_pass(loader: MigrationLoader, operation: object) -> None:
    assert compatibility_problems(release_state(loader, PREVIOUS), [_migration(operation)]) == []


def test_the_upgrade_from_2026_11_25_needed_downtime_and_the_check_says_why(loader: MigrationLoader) -> None:
    # Recorded history: that upgrade replaced expense amounts and added columns old code could not fill.
    older = RELEASES[0]
    found = compatibility_problems(release_state(loader, older), new_migrations(loader, older))
    assert (
        "cases.0008_expense_minor_units_and_currency: drops expense.amount, a column the previous release uses" in found
    )
    assert any(
        problem.startswith("intake.0003_helprequest_portal_epoch: adds helprequest.portal_epoch") for problem in found
    )
