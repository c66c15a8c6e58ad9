"""Rows a requester's act writes into tables that staff acts write too, placed so they order nothing.

Threat: a seized database matched against an ISP's flow logs. Staff acts are audited
to the second; a requester's row numbered between the rows of two staff acts (a key
wrap id 42 between a staff wrap 41 written at 11:10:03 and 43 at 11:20:07) would date
the submission between them. So in the tables both write, a requester's rows take a
random negative id (SQLite: rowid) that no sequence ever reaches and that consumes no
sequence number (a gap in the staff rows' numbers would show where they went):

- `keyring_keywrap`: the record key's wraps, given their ids before the INSERT: consecutive
  ids from one random start, so that they share a page of the table and of its indexes
  ordered by id (they belong together anyway: they name the same key);
- `keyring_key` and `intake_requestmessage` have UUID keys, but on SQLite each row
  also has a hidden rowid, which SQLite would assign max + 1: the INSERT gives it a
  random negative one instead, so the row never holds a rowid in the sequence, not
  even within its transaction (and its table's last page is not written for it).

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


def unordered_ids(count: int) -> range:
    """`count` consecutive negative ids from a random start, all as likely as any other start."""
    return range(-count - secrets.randbelow(_SPAN - count + 1), 0)[:count]


def store_key_unordered(new: NewKey) -> Key:
    """Write a requester's new key and its wraps (what `do_store_key` writes), placed to order nothing.

    The caller's own audit entry stands for the key's creation (docs/audit.md).
    """
    # No savepoint inside the caller's transaction: a failure here fails the whole act.
    with transaction.atomic(savepoint=False):
        insert_unordered(new.key)
        for wrap, wrap_id in zip(new.wraps, unordered_ids(len(new.wraps)), strict=True):
            wrap.id = wrap_id
        # bulk_create INSERTs ids that are set as given: no sequence number is drawn.
        KeyWrap.objects.bulk_create(new.wraps)
    return new.key


def insert_unordered(row: Key | RequestMessage) -> None:
    """INSERT a new row; on SQLite with a random negative hidden rowid, given in the INSERT itself."""
    insert_new_rows([row], rowids=[unordered_id()] if connection.vendor == "sqlite" else None)
