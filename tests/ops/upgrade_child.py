"""One upgrade from a recorded release, in a process and database of its own (tests/ops/test_upgrade_from_release.py).

`python -m tests.ops.upgrade_child RELEASE` with a new, empty database (a SQLite file in
REFUGE_DATA_DIR, or the PostgreSQL database DATABASE_URL names):

1. migrates it to the release's schema (refuge/ops/releases.py) with Django's MigrationExecutor;
2. writes two rows into every table of Refuge's apps through the release's historical models
   (parents first), each encrypted column encrypted and each sealed column sealed under a key
   of its own exactly as `refuge/keyring/registry.py` does (same associated data: table,
   column, row id, key version), every other column given a value of its type;
3. migrates to the newest schema;
4. reads every row back through today's models: each value equal, each binary column
   byte for byte, each encrypted column decrypted by today's `decrypt_column` /
   `open_sealed_column` to what was written, and the transformations data migrations make on
   purpose (`TRANSFORMED`) as they promise.

It prints one JSON line: rows written, per table, and the problems found; exit status 1 if any.
"""

from __future__ import annotations

import datetime
import decimal
import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import django


# Data migrations that change a value on purpose: (app, model, column) → (the migration, a check of the
# new row against the old values). Applied only when the upgrade ran that migration; a release that
# already had it must keep the value as it was.
def _stretched(row: Any, old: dict[str, Any]) -> str | None:
    from refuge.crypto.blind import stretch_legacy_index
    from refuge.intake.migrations._blind_index_v2 import BITS, DEFAULT_BITS

    wanted = stretch_legacy_index(old["field"], old["digest"], BITS.get(old["field"], DEFAULT_BITS))
    return None if row.digest == wanted else f"blind index {old['digest']} became {row.digest}, not {wanted}"


def _minor_units(row: Any, old: dict[str, Any]) -> str | None:
    if row.amount_minor == old["amount"] * 100 and row.currency == row.case.currency:
        return None
    return f"expense amount {old['amount']} became {row.amount_minor} {row.currency}"


TRANSFORMED: dict[tuple[str, str, str], tuple[tuple[str, str], Callable[[Any, dict[str, Any]], str | None]]] = {
    # cases 0008: whole amounts became minor units in the case's currency.
    ("cases", "expense", "amount"): (("cases", "0008_expense_minor_units_and_currency"), _minor_units),
    # Blind indexes version 2: each stored keyed hash stretched with Argon2id and truncated.
    ("intake", "requestindex", "digest"): (("intake", "0004_blind_index_v2"), _stretched),
    ("cases", "caseindex", "digest"): (("cases", "0007_blind_index_v2"), _stretched),
}
# Values one generic row needs: a legal hold names a case or a request, not both; a blind index
# row holds a version-1 keyed hash (64 hex digits) of a phone number, as the 2026-11-25 release wrote.
VERSION_1_INDEX = {"field": "phone", "digest": "ab" * 32}


def _ordered_pair(values: dict[str, Any]) -> dict[str, Any]:
    """A link names its two requests in id order (constraint link_pair_ordered)."""
    first, second = sorted((values["first"], values["second"]), key=lambda request: str(request.pk))
    return {"first": first, "second": second}


# Two requests make one link (both orders are the same pair).
ONE_ROW = {"intake.requestlink"}
ADJUSTED: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"intake.requestlink": _ordered_pair}
OVERRIDES: dict[str, dict[str, Any]] = {
    "retention.legalhold": {"request": None},
    "intake.requestindex": VERSION_1_INDEX,
    "cases.caseindex": VERSION_1_INDEX,
}
# Two rows a table: a merge, a link or a second organisation's rule needs two of something.
ROWS_PER_TABLE = 2
DAY = datetime.date(2026, 11, 20)
MOMENT = datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC)


@dataclass
class Written:
    label: str  # app_label.model_name
    pk: Any
    values: dict[str, Any]
    encrypted: dict[str, bytes] = field(default_factory=dict)
    sealed: dict[str, bytes] = field(default_factory=dict)
    key_id: Any = None
    secret: bytes = b""
    private: bytes = b""


def _plain_value(model: Any, f: Any, serial: int, nth: int) -> Any:
    from django.db import models

    if f.choices:
        return f.choices[nth % len(f.choices)][0]
    if isinstance(f, models.JSONField):
        return {"written-by": "release", "n": serial}
    if isinstance(f, models.BooleanField):
        return True
    if isinstance(f, models.UUIDField):
        return uuid.uuid4()
    if isinstance(f, models.DecimalField):
        return decimal.Decimal("12.50")
    if isinstance(f, models.DurationField):
        return datetime.timedelta(hours=3)
    if isinstance(f, models.DateTimeField):
        return MOMENT
    if isinstance(f, models.DateField):
        return DAY
    if isinstance(f, models.TimeField):
        return datetime.time(9, 30)
    if isinstance(f, models.IntegerField | models.FloatField):
        return 7 + nth
    if isinstance(f, models.EmailField):
        return f"release{serial}@example.org"
    if isinstance(f, models.CharField | models.TextField):
        text = f"r{serial}-{model._meta.model_name}-{f.name}"
        return text[: f.max_length] if f.max_length else text
    if isinstance(f, models.BinaryField):
        return f"clear-bytes-{serial}-{f.name}".encode()
    raise TypeError(f"no value for {model._meta.label}.{f.name} ({type(f).__name__})")


def _order(models_: list[Any]) -> list[Any]:
    """Parents before children, by the foreign keys a row cannot do without."""
    labels = {m._meta.label_lower: m for m in models_}
    done: list[Any] = []
    seen: set[str] = set()

    def visit(m: Any, path: tuple[str, ...]) -> None:
        label = m._meta.label_lower
        if label in seen or label in path:
            return
        for f in m._meta.concrete_fields:
            target = f.related_model._meta.label_lower if f.is_relation and f.related_model else None
            if target and target in labels and not f.null and target != label:
                visit(labels[target], (*path, label))
        seen.add(label)
        done.append(m)

    for m in sorted(models_, key=lambda m: m._meta.label_lower):
        visit(m, ())
    return done


def _values(model: Any, serial: int, nth: int, rows: dict[str, list[Any]]) -> dict[str, Any]:
    """A value of its type for every column of the model's `nth` row; foreign keys point at rows written before.

    The nth row points at the nth row of each parent, and a second key to the same parent at
    the other one (a merge or a link names two requests), so that two rows of a table differ
    wherever a constraint wants them to.
    """
    from django.db import models

    values: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for f in model._meta.concrete_fields:
        if getattr(f, "generated", False) or isinstance(f, models.AutoField):
            continue
        if f.is_relation:
            target = f.related_model._meta.label_lower
            parents = rows.get(target, [])
            turn = seen[target] = seen.get(target, -1) + 1
            parent = parents[(nth + turn) % len(parents)] if parents else None
            if parent is None and not f.null:
                raise RuntimeError(f"{model._meta.label}.{f.name}: no row of {f.related_model._meta.label}")
            values[f.name] = parent
        elif f.primary_key and f.has_default():
            values[f.name] = f.get_default()
        else:
            values[f.name] = _plain_value(model, f, serial, nth)
    values.update(OVERRIDES.get(model._meta.label_lower, {}))
    if adjust := ADJUSTED.get(model._meta.label_lower):
        values.update(adjust(values))
    return values


def _fill(state_apps: Any, ours: set[str]) -> list[Written]:
    from django.db import transaction

    from refuge.crypto import associated_data, encrypt_field, generate_keypair, random_key, seal_for
    from refuge.keyring.registry import registrations

    registered = {r.model._meta.label_lower: r for r in registrations()}
    key_model = state_apps.get_model("keyring", "Key")
    rows: dict[str, list[Any]] = {}
    written: list[Written] = []
    candidates = [m for m in state_apps.get_models() if m._meta.app_label in ours and not m._meta.auto_created]
    tables = [(model, nth) for model in _order(candidates) for nth in range(ROWS_PER_TABLE)]
    for serial, (model, nth) in enumerate(tables, start=1):
        label = model._meta.label_lower
        if nth and (label in ONE_ROW or (model._meta.pk.has_default() and not callable(model._meta.pk.default))):
            continue  # a table of one row (the audit chain's head), or of one pair of two requests
        values = _values(model, serial, nth, rows)
        record = Written(label=label, pk=None, values={})
        registration = registered.get(label)
        if registration is not None and registration.key_field in values:
            # A record key of its own, as the keyring makes one: the row's columns are bound to it.
            pair = generate_keypair()
            key_values = _values(key_model, serial, nth, rows) | {
                "purpose": "record",
                "version": 1,
                "public_key": pair.public,
            }
            with transaction.atomic():
                key = key_model._base_manager.create(**key_values)
            record.key_id, record.secret, record.private = key.pk, random_key(), pair.private
            values[registration.key_field] = key
            pk_value = values[model._meta.pk.name]  # a journey's key is its case: the id, not the object
            table, row_id = model._meta.db_table, str(pk_value.pk if model._meta.pk.is_relation else pk_value)
            for column in registration.columns:
                if column in values:
                    record.encrypted[column] = f"secret {column} of {label} CANARY-{serial}".encode()
                    values[column] = encrypt_field(
                        record.secret, record.encrypted[column], associated_data(table, column, row_id, 1)
                    )
            for column in registration.sealed:
                if column in values:
                    record.sealed[column] = f"sealed {column} of {label} CANARY-{serial}".encode()
                    values[column] = seal_for(
                        pair.public, associated_data(table, column, row_id, 1) + record.sealed[column]
                    )
        with transaction.atomic():
            row = model._base_manager.create(**values)
        rows.setdefault(label, []).append(row)
        record.pk = row.pk
        record.values = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
        written.append(record)
    return written


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, bytes | memoryview) or isinstance(new, bytes | memoryview):
        return old is not None and new is not None and bytes(old) == bytes(new)
    return old == new


def _check(written: list[Written], released: set[tuple[str, str]]) -> list[str]:
    from django.apps import apps

    from refuge.crypto import CryptoError
    from refuge.keyring.models import Key
    from refuge.keyring.registry import decrypt_column, open_sealed_column

    problems: list[str] = []
    for record in written:
        app_label, model_name = record.label.split(".")
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            problems.append(f"{record.label}: the table is gone with its row")
            continue
        row = model._base_manager.filter(pk=record.pk).first()
        if row is None:
            problems.append(f"{record.label} {record.pk}: the row is gone")
            continue
        now = {f.attname for f in model._meta.concrete_fields}
        for attname, old in record.values.items():
            transformed = TRANSFORMED.get((app_label, model_name, attname))
            if transformed is not None and transformed[0] not in released:
                if problem := transformed[1](row, record.values):
                    problems.append(f"{record.label}: {problem}")
            elif attname not in now:
                problems.append(f"{record.label}.{attname}: the column is gone with its value")
            elif (
                attname not in record.encrypted
                and attname not in record.sealed
                and not _same(old, getattr(row, attname))
            ):
                problems.append(f"{record.label}.{attname}: {old!r} became {getattr(row, attname)!r}")
        if record.key_id is None:
            continue
        key = Key.objects.get(pk=record.key_id)
        for column, plaintext in record.encrypted.items():
            try:
                opened = decrypt_column(row, column, record.secret, key)
            except (CryptoError, ValueError) as error:
                problems.append(f"{record.label}.{column}: does not decrypt ({type(error).__name__}: {error})")
                continue
            if opened != plaintext:
                problems.append(f"{record.label}.{column}: decrypts to something else")
        for column, plaintext in record.sealed.items():
            try:
                opened = open_sealed_column(row, column, record.private, key)
            except (CryptoError, ValueError) as error:
                problems.append(f"{record.label}.{column}: does not open ({type(error).__name__}: {error})")
                continue
            if opened != plaintext:
                problems.append(f"{record.label}.{column}: opens to something else")
    return problems


def main(release_name: str) -> int:
    django.setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from refuge.ops.releases import RELEASES, refuge_apps, release_state, release_targets, released_nodes

    release = next(release for release in RELEASES if release.name == release_name)
    executor = MigrationExecutor(connection)
    executor.migrate(release_targets(executor.loader, release))
    state = release_state(executor.loader, release)
    released = released_nodes(executor.loader, release)
    written = _fill(state.apps, set(release.leaves))
    executor = MigrationExecutor(connection)  # a new loader: it reads what is applied now
    newest = executor.loader.graph.leaf_nodes()
    executor.migrate(newest)
    problems = _check(written, released)
    applied = [node for node in executor.loader.graph.leaf_nodes() if node[0] in refuge_apps()]
    summary = {
        "release": release.name,
        "vendor": connection.vendor,
        "rows": len(written),
        "tables": sorted({record.label for record in written}),
        "encrypted_columns": sum(len(r.encrypted) + len(r.sealed) for r in written),
        "newest": sorted(f"{app}.{name}" for app, name in applied),
        "problems": problems,
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
