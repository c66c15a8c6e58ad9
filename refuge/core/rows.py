"""Writing new rows in one statement, for the paths where the ORM's own INSERT costs too much."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models.sql import InsertQuery


def insert_new_rows(rows: Sequence[models.Model], *, unless_taken: str | None = None) -> int:
    """INSERT new rows of one model in one statement: what `bulk_create` does, for the submission path.

    Every field's value is prepared exactly as Django's own INSERT prepares it (`pre_save`,
    then `get_db_prep_save`), so defaults, `auto_now_add` and encodings are the same; only
    the SQL is built once per model and process instead of for every call, which on this
    path cost more than the INSERTs themselves. Auto-increment ids are left to the database
    and not read back; no signals are sent (as with `bulk_create`). Inside the caller's
    transaction, like any write.

    `unless_taken` names a unique field: a row whose value there is taken already is not
    written (`ON CONFLICT (field) DO NOTHING`, no savepoint needed; on PostgreSQL a value an
    uncommitted transaction holds waits for its end). Returns how many rows were written;
    only for one row at a time, so the caller knows which.
    """
    if not rows:
        return 0
    model = type(rows[0])
    if any(type(row) is not model for row in rows):
        raise ValueError("insert_new_rows takes rows of one model")
    if unless_taken is not None and len(rows) != 1:
        raise ValueError("insert_new_rows(unless_taken=...) takes one row")
    fields, sql = _insert_statement(model)
    if unless_taken is not None:
        unique = model._meta.get_field(unless_taken)
        if not isinstance(unique, models.Field) or not unique.unique or unique.column is None:
            raise ValueError(f"{unless_taken} is not a unique column of {model.__name__}")
        sql += f" ON CONFLICT ({connection.ops.quote_name(unique.column)}) DO NOTHING"
    params = [[field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields] for row in rows]
    with connection.cursor() as cursor:
        if unless_taken is None:
            cursor.executemany(sql, params)
            written = len(rows)
        else:
            cursor.execute(sql, params[0])
            written = cursor.rowcount
    if written == len(rows):
        for row in rows:
            row._state.adding = False
            row._state.db = connection.alias
    return written


@functools.cache
def _insert_statement(model: type[models.Model]) -> tuple[list[models.Field[Any, Any]], str]:
    """The model's one-row INSERT, as Django's own compiler writes it (built once per model and process)."""
    fields = [field for field in model._meta.concrete_fields if not isinstance(field, models.AutoField)]
    query = InsertQuery(model)
    # A throwaway instance only shapes the statement: its values are not kept.
    query.insert_values(fields, [model()])
    [(sql, _params)] = query.get_compiler(connection=connection).as_sql()
    return fields, sql
