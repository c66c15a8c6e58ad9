"""The migration state of each release, so that every upgrade is tested from it (docs/operations.md, "Upgrades").

A release is recorded here when it lands: for each Refuge app, the last migration it
applies, and a SHA-256 over the text of every migration it applies (a released migration
must never be edited afterwards: installations have already run it). Print what to record
with `.venv/bin/python -m refuge.ops.releases NAME COMMIT`.

Two things are checked against the previous release (tests/ops/test_releases.py,
tests/ops/test_upgrade_from_release.py):

- **its data survive the upgrade**: an empty database is migrated to the release's state,
  filled through the historical models, migrated to the newest state, and every row is read
  back and decrypted;
- **it keeps running during the upgrade**: the new migrations must not drop, rename or
  retype a column or table the release still uses, nor add a column it cannot fill
  (`compatibility_problems`). Removal comes one release later, once no running code reads it.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import models
from django.db.migrations import operations
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.operations.fields import FieldOperation
from django.db.migrations.state import ModelState, ProjectState

Node = tuple[str, str]


@dataclass(frozen=True)
class Release:
    name: str
    commit: str
    leaves: Mapping[str, str]  # app label → the last migration of that app the release applies
    migrations_sha256: str  # over every migration file the release applies (released_digest)


RELEASES: tuple[Release, ...] = (
    # The workspace at 100,000 cases (the reference of bench/compare.py's regression runs).
    Release(
        name="2026-11-25",
        commit="d0a9593f24b78129e1c47cf7f034bcb647fa76d1",
        leaves={
            "accounts": "0002_notification_email",
            "audit": "0001_initial",
            "cases": "0006_event_kind_lead",
            "intake": "0002_request_awaiting_index",
            "keyring": "0003_key_rotation_due_index",
            "relocation": "0002_seed_catalogue",
            "requester": "0001_initial",
            "shelter": "0001_initial",
        },
        migrations_sha256="dfaa4997583dc3aa2f050abb0a893fbc781facadd63e5c48f34f0eea3c8db4ae",
    ),
    # Issues #10-#16 landed (stop 18): API, backup, retention, safety, applications, disclosures.
    Release(
        name="2026-12-07",
        commit="706989b477ee934a413b4d1eaee56cc75debd585",
        leaves={
            "accounts": "0006_surge_notices",
            "applications": "0003_outcome_index_covers_the_statistics",
            "audit": "0002_held_requester_entries",
            "cases": "0010_compartment_files",
            "disclosures": "0003_imported_referrals",
            "intake": "0007_merged_requests",
            "keyring": "0005_organisation_keys_index",
            "relocation": "0005_pathway_notes",
            "requester": "0001_initial",
            "retention": "0001_retention_rules_and_legal_holds",
            "safety": "0002_emergency_lock",
            "scheduler": "0001_scheduled_job",
            "shelter": "0001_initial",
        },
        migrations_sha256="7aeab12bcf6b3bc3c4b9e1d4e007bbdf7ff7cd8baa5b9d72b18b4c2b11fc3a44",
    ),
)
PREVIOUS = RELEASES[-1]


def refuge_apps() -> list[str]:
    """Labels of Refuge's own apps that have migrations (test apps and Django's own are not released by us)."""
    return sorted(config.label for config in apps.get_app_configs() if config.name.startswith("refuge."))


def release_targets(loader: MigrationLoader, release: Release) -> list[tuple[str, str | None]]:
    """What to migrate an empty database to for the release's schema: (app, name), or (app, None) for none of it."""
    ours = set(refuge_apps())
    targets: list[tuple[str, str | None]] = []
    for app_label, name in sorted(loader.graph.leaf_nodes()):
        if app_label not in ours:
            targets.append((app_label, name))  # Django's own apps, at the version installed
        elif app_label in release.leaves:
            targets.append((app_label, release.leaves[app_label]))
        else:
            targets.append((app_label, None))  # an app the release did not have yet
    return targets


def released_nodes(loader: MigrationLoader, release: Release) -> set[Node]:
    """Every migration of Refuge's apps that the release applies."""
    nodes: set[Node] = set()
    for app_label, name in release.leaves.items():
        nodes.update(loader.graph.forwards_plan((app_label, name)))
    return {node for node in nodes if node[0] in release.leaves}


def released_digest(loader: MigrationLoader, release: Release) -> str:
    """SHA-256 over the text of every migration the release applies, as the files are now."""
    digest = hashlib.sha256()
    for app_label, name in sorted(released_nodes(loader, release)):
        module = import_module(loader.graph.nodes[(app_label, name)].__module__)
        text = Path(str(module.__file__)).read_bytes()
        digest.update(f"{app_label}/{name}\0{len(text)}\0".encode() + text)
    return digest.hexdigest()


def release_state(loader: MigrationLoader, release: Release) -> ProjectState:
    """The models as the release had them."""
    nodes = [(app, name) for app, name in release_targets(loader, release) if name is not None]
    return loader.project_state(nodes, at_end=True)


def new_migrations(loader: MigrationLoader, release: Release) -> list[tuple[str, Migration]]:
    """Refuge's migrations the release does not have, in the order they apply."""
    released = released_nodes(loader, release)
    ours = set(refuge_apps())
    plan: list[Node] = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        for node in loader.graph.forwards_plan(leaf):
            if node[0] in ours and node not in released and node not in plan:
                plan.append(node)
    return [(node[0], loader.graph.nodes[node]) for node in plan]


def compatibility_problems(state: ProjectState, migrations: Iterable[tuple[str, Migration]]) -> list[str]:
    """What in `migrations` would break code of the release whose models are `state`, while it still runs."""
    problems: list[str] = []
    for app_label, migration in migrations:
        for operation in migration.operations:
            problem = _breaks(state, app_label, operation)
            if problem:
                problems.append(f"{app_label}.{migration.name}: {problem}")
    return problems


def _released_model(state: ProjectState, app_label: str, model_name: str) -> ModelState | None:
    return state.models.get((app_label, model_name.lower()))


def _breaks(state: ProjectState, app_label: str, operation: object) -> str | None:
    """Why this operation breaks the release's code, or None. Operations on what the release lacks are free."""
    if isinstance(operation, operations.DeleteModel | operations.RenameModel | operations.AlterModelTable):
        name = operation.old_name if isinstance(operation, operations.RenameModel) else operation.name
        if _released_model(state, app_label, name) is not None:
            return f"{type(operation).__name__} of {name}, a table the previous release uses"
        return None
    if not isinstance(operation, FieldOperation):
        return None
    model = _released_model(state, app_label, operation.model_name)
    if model is None:
        return None
    if isinstance(operation, operations.RenameField):
        if operation.old_name in model.fields:
            return f"renames {operation.model_name}.{operation.old_name}, a column the previous release uses"
        return None
    old = model.fields.get(operation.name)
    if isinstance(operation, operations.RemoveField):
        return f"drops {operation.model_name}.{operation.name}, a column the previous release uses" if old else None
    if isinstance(operation, operations.AddField):
        if old is None and _release_cannot_fill(operation.field):
            return (
                f"adds {operation.model_name}.{operation.name} NOT NULL without a database default: "
                "the previous release's INSERTs leave it out (give it null=True or db_default)"
            )
        return None
    if isinstance(operation, operations.AlterField) and old is not None:
        new = operation.field
        if new.db_column != old.db_column:
            return f"renames the column of {operation.model_name}.{operation.name}"
        if old.null and _release_cannot_fill(new):
            return f"makes {operation.model_name}.{operation.name} NOT NULL: the previous release may write NULL"
    return None


def _release_cannot_fill(field: models.Field[Any, Any]) -> bool:
    if field.many_to_many or field.null or getattr(field, "generated", False):
        return False
    return field.db_default is models.NOT_PROVIDED


def main(argv: list[str]) -> None:
    """Print what to record in RELEASES for the migrations as they are now: NAME COMMIT."""
    import django

    django.setup()
    loader = MigrationLoader(None, ignore_no_migrations=True)
    ours = set(refuge_apps())
    leaves = {app: name for app, name in sorted(loader.graph.leaf_nodes()) if app in ours}
    release = Release(argv[0], argv[1], leaves, "")
    sys.stdout.write(f"Release(name={release.name!r}, commit={release.commit!r}, leaves={leaves!r},\n")
    sys.stdout.write(f"        migrations_sha256={released_digest(loader, release)!r})\n")


if __name__ == "__main__":
    main(sys.argv[1:])
