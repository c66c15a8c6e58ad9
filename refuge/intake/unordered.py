"""Rows a requester's act writes into tables that staff acts write too, placed so they order nothing.

Threat: a seized database matched against an ISP's flow logs. Staff acts are audited
to the second; a requester's row numbered between the rows of two staff acts (a key
wrap id 42 between a staff wrap 41 written at 11:10:03 and 43 at 11:20:07) would date
the submission between them. So in the tables both write, a requester's rows take a
random negative id (SQLite: rowid) that no sequence ever reaches and that consumes no
sequence number (a gap in the staff rows' numbers would show where they went):

- `keyring_keywrap`: the record key's wraps, given their id before the INSERT;
- `keyring_key` and `intake_requestmessage` have UUID keys, but on SQLite each row
  also has a hidden rowid, assigned max + 1: it is moved, in the same transaction.

Tables only requester acts write (requests, their files and blind indexes, used form
tokens, held audit entries) order requester acts among themselves only. What this
cannot reach (PostgreSQL's xmin and heap order, SQLite's page layout and WAL) is in
docs/threat-model.md.
"""

from __future__ import annotations

import secrets

from django.db import connection, transaction

from refuge.core.rows import insert_new_rows
from refuge.intake.models import RequestMessage
from refuge.keyring.actions.keys import NewKey
from refuge.keyring.models import Key, KeyWrap

# Ids from -2**62 to -1: below every id a sequence gives, and as likely as any other.
_SPAN = 2**62


def unordered_id() -> int:
    """A random negative id; a collision (about n/2**62 for n rows) fails the act's transaction."""
    return -1 - secrets.randbelow(_SPAN)


def store_key_unordered(new: NewKey) -> Key:
    """Write a requester's new key and its wraps (what `do_store_key` writes), placed to order nothing.

    The caller's own audit entry stands for the key's creation (docs/audit.md).
    """
    # No savepoint inside the caller's transaction: a failure here fails the whole act.
    with transaction.atomic(savepoint=False):
        insert_new_rows([new.key])
        unorder_rowid(new.key)
        for wrap in new.wraps:
            wrap.id = unordered_id()
        # bulk_create INSERTs ids that are set as given: no sequence number is drawn.
        KeyWrap.objects.bulk_create(new.wraps)
    return new.key


# The tables whose hidden rowid is moved, each with its statement written out.
_MOVE_ROWID = {
    Key: 'UPDATE "keyring_key" SET rowid = %s WHERE "id" = %s',
    RequestMessage: 'UPDATE "intake_requestmessage" SET rowid = %s WHERE "id" = %s',
}


def unorder_rowid(row: Key | RequestMessage) -> None:
    """On SQLite, move the hidden rowid of a row just inserted to a random negative one."""
    if connection.vendor != "sqlite":
        return
    pk = type(row)._meta.pk
    if pk is None:
        raise ValueError(f"{type(row).__name__} has no primary key")
    with connection.cursor() as cursor:
        cursor.execute(_MOVE_ROWID[type(row)], [unordered_id(), pk.get_db_prep_value(row.pk, connection)])
