"""A requester's rows in tables that staff acts write too take places that order nothing.

Threat: staff acts are audited to the second; a requester's key wrap numbered 42
between staff wraps 41 (11:10:03) and 43 (11:20:07) would date the submission.
"""

from __future__ import annotations

from django.db import connection

from refuge.intake.actions.messages import do_reply, do_requester_message
from refuge.intake.actions.submissions import do_submit_request
from refuge.intake.models import RequestMessage
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import Key, KeyWrap, Purpose
from tests.personas import World

ANSWERS = {"what_happened": "They came at night", "name": "Юрий Иванов"}


def _staff_key(world: World) -> Key:
    key, _secret = do_create_key(
        actor=world.alice.user,
        organisation=world.north,
        purpose=Purpose.RECORD,
        label="case",
        members=[world.alice.user],
    )
    return key


def _rowid(model: type[Key] | type[RequestMessage], pk: object) -> int:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT rowid FROM "{table}" WHERE id = %s', [pk.hex])  # type: ignore[attr-defined]  # noqa: S608
        return int(cursor.fetchone()[0])


def test_the_record_keys_wraps_take_random_ids_below_the_sequence_and_leave_no_gap(world: World) -> None:
    _staff_key(world)
    before = KeyWrap.objects.order_by("-id").values_list("id", flat=True).first()

    submission = do_submit_request(organisation=world.north, answers=ANSWERS, urgency="now", language="ru")
    after = _staff_key(world)

    requester_wraps = list(KeyWrap.objects.filter(key=submission.request.key_id).values_list("id", flat=True))
    assert len(requester_wraps) == 3 and all(wrap_id < 0 for wrap_id in requester_wraps)
    # One random start for the three (they share pages): consecutive ids.
    assert sorted(requester_wraps) == list(range(min(requester_wraps), min(requester_wraps) + 3))
    staff_wraps = sorted(KeyWrap.objects.filter(key=after).values_list("id", flat=True))
    # The next staff wrap follows the last one before the submission: no sequence number was spent.
    assert staff_wraps[0] == before + 1  # type: ignore[operator]


def test_on_sqlite_the_record_key_and_a_requester_message_move_their_hidden_rowid(world: World) -> None:
    if connection.vendor != "sqlite":
        return  # PostgreSQL tables have no rowid; what remains there is in docs/threat-model.md
    first = _staff_key(world)
    submission = do_submit_request(organisation=world.north, answers=ANSWERS, urgency="now", language="ru")
    second = _staff_key(world)
    request = submission.request
    keyring = Keyring(world.ivan.user, world.ivan.private_key)
    reply = do_reply(actor=world.ivan.user, keyring=keyring, request=request, body="Are you safe?")
    secret = keyring.secret_for(request.key)
    message = do_requester_message(request=request, secret=secret, body="Yes, for now")
    second_reply = do_reply(actor=world.ivan.user, keyring=keyring, request=request, body="We will call")

    assert _rowid(Key, request.key_id) < 0
    assert _rowid(Key, second.pk) == _rowid(Key, first.pk) + 1
    assert _rowid(RequestMessage, message.pk) < 0
    assert _rowid(RequestMessage, second_reply.pk) == _rowid(RequestMessage, reply.pk) + 1


def test_on_sqlite_the_requesters_rows_never_hold_a_rowid_in_the_sequence_even_inside_the_transaction(
    world: World,
) -> None:
    # A row INSERTed at max + 1 and moved afterwards would have sat at the end of its table
    # (and in the WAL) for a moment; the rowid is given in the INSERT, and nothing moves it.
    if connection.vendor != "sqlite":
        return  # PostgreSQL tables have no rowid
    _staff_key(world)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE seen_rowids (tbl TEXT, what TEXT, rowid_value INTEGER)")
        for table in ("keyring_key", "intake_requestmessage"):
            cursor.execute(
                f"CREATE TEMP TRIGGER seen_{table}_insert AFTER INSERT ON main.{table} "  # noqa: S608
                f"BEGIN INSERT INTO seen_rowids VALUES ('{table}', 'insert', NEW.rowid); END"
            )
            cursor.execute(
                f"CREATE TEMP TRIGGER seen_{table}_update AFTER UPDATE ON main.{table} "  # noqa: S608
                f"BEGIN INSERT INTO seen_rowids VALUES ('{table}', 'update', NEW.rowid); END"
            )
    try:
        submission = do_submit_request(organisation=world.north, answers=ANSWERS, urgency="now", language="ru")
        keyring = Keyring(world.ivan.user, world.ivan.private_key)
        do_requester_message(request=submission.request, secret=keyring.secret_for(submission.request.key), body="Hi")
        with connection.cursor() as cursor:
            cursor.execute("SELECT tbl, what, rowid_value FROM seen_rowids ORDER BY tbl")
            seen = cursor.fetchall()
    finally:
        with connection.cursor() as cursor:
            for table in ("keyring_key", "intake_requestmessage"):
                cursor.execute(f"DROP TRIGGER temp.seen_{table}_insert")
                cursor.execute(f"DROP TRIGGER temp.seen_{table}_update")
            cursor.execute("DROP TABLE temp.seen_rowids")

    assert [(table, what) for table, what, _rowid in seen] == [
        ("intake_requestmessage", "insert"),
        ("keyring_key", "insert"),
    ]
    assert all(rowid < 0 for _table, _what, rowid in seen)
    assert _rowid(Key, submission.request.key_id) == seen[1][2]
