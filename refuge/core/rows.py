"""Writing new rows in one statement, and reading rows by a query compiled once, for the paths
where building the ORM's SQL costs more than the database takes to answer (the submission path
and the case page's panel questions)."""

from __future__ import annotations

import datetime
import functools
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.sql import InsertQuery
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=models.Model)


def date_from_sql(value: datetime.date | str | None) -> datetime.date | None:
    """A DateField's value as a raw statement returns it: a date (psycopg) or its ISO text (sqlite3)."""
    return value if value is None or isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def insert_new_rows(
    rows: Sequence[models.Model], *, unless_taken: str | None = None, rowids: Sequence[int] | None = None
) -> int:
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

    `rowids` (SQLite only, for a table whose primary key is not an INTEGER PRIMARY KEY):
    the hidden rowid each row takes, written in the INSERT itself, so the row is never
    anywhere else (SQLite would otherwise give it the largest rowid + 1).
    """
    if not rows:
        return 0
    model = type(rows[0])
    if any(type(row) is not model for row in rows):
        raise ValueError("insert_new_rows takes rows of one model")
    if unless_taken is not None and len(rows) != 1:
        raise ValueError("insert_new_rows(unless_taken=...) takes one row")
    fields, sql = _insert_statement(model)
    if rowids is not None:
        if connection.vendor != "sqlite" or len(rowids) != len(rows):
            raise ValueError("insert_new_rows(rowids=...) takes one rowid per row, on SQLite")
        sql = _with_rowid(model, sql)
    if unless_taken is not None:
        unique = model._meta.get_field(unless_taken)
        if not isinstance(unique, models.Field) or not unique.unique or unique.column is None:
            raise ValueError(f"{unless_taken} is not a unique column of {model.__name__}")
        sql += f" ON CONFLICT ({connection.ops.quote_name(unique.column)}) DO NOTHING"
    params = [[field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields] for row in rows]
    if rowids is not None:
        params = [[rowid, *values] for rowid, values in zip(rowids, params, strict=True)]
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


def _with_rowid(model: type[models.Model], sql: str) -> str:
    """The model's INSERT with the hidden rowid as its first column (SQLite)."""
    head = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ("
    pk = model._meta.pk
    if not sql.startswith(head) or sql.count(" VALUES (") != 1 or pk is None or isinstance(pk, models.AutoField):
        raise ValueError(f"{model.__name__}'s INSERT cannot be given a rowid: {sql}")
    columns, values = sql[len(head) :].split(" VALUES (")
    return f"{head}rowid, {columns} VALUES (%s, {values}"


class ReadyQuery(Generic[M]):
    """A SELECT of whole rows of one model whose SQL Django writes once per connection.

    `build(*values)` returns the queryset for some values. It is compiled the first time a
    connection runs it; later calls bind the new values to the same SQL and convert the rows
    with the same compiler, as the ORM would (`Model.from_db`, the backend's converters). The
    values are prepared by `fields` (one per value, in order); the first compilation checks
    that the queryset's own parameters are exactly those values prepared, so a queryset whose
    parameters are anything else (a constant bound, values reordered) fails at once instead of
    asking the wrong question. Nothing is cached but the SQL: every call asks the database.
    """

    def __init__(self, build: Callable[..., models.QuerySet[M]], fields: Sequence[models.Field[Any, Any]]) -> None:
        self.build = build
        self.fields = list(fields)
        self._compiled: weakref.WeakKeyDictionary[BaseDatabaseWrapper, tuple[str, SQLCompiler, list[str]]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def rows(self, *values: Any) -> list[M]:
        """The rows the queryset built for these values would give."""
        # This thread's connection itself (`connection` is a proxy to it).
        wrapper = connections[DEFAULT_DB_ALIAS]
        params = [field.get_db_prep_value(value, wrapper) for field, value in zip(self.fields, values, strict=True)]
        sql, compiler, attnames = self._compiled_for(wrapper, values, params)
        with wrapper.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        model: type[M] = compiler.query.model  # type: ignore[assignment]
        return [model.from_db(wrapper.alias, attnames, row) for row in compiler.results_iter([fetched])]

    def _compiled_for(
        self, wrapper: BaseDatabaseWrapper, values: Sequence[Any], params: list[Any]
    ) -> tuple[str, SQLCompiler, list[str]]:
        # Per connection: each thread has its own, and the compiler converts with its connection.
        compiled = self._compiled.get(wrapper)
        if compiled is None:
            query = self.build(*values).query
            compiler = query.get_compiler(connection=wrapper)
            sql, built_params = compiler.as_sql()
            if list(built_params) != params:
                raise ValueError(f"the query's parameters are not its values prepared: {sql}")
            attnames = [selected[0].target.attname for selected in compiler.select[: compiler.col_count]]
            compiled = (sql, compiler, attnames)
            with self._lock:
                self._compiled[wrapper] = compiled
        return compiled
