"""Keyring.may_open: which rows' keys are not held, asked in the rows' own statement, never wrong where it says no."""

from __future__ import annotations

import pytest

from refuge.accounts.models import Role
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.actions.wraps import do_revoke_key
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.keyring.models import Key, Purpose
from tests.keyring.conftest import Org, Persona, make_persona
from tests.keyring_testapp.models import Note


def note_under(org: Org, *, members: list[Persona] = (), groups: list[Key] = ()) -> Note:  # type: ignore[assignment]
    key, _secret = do_create_key(
        actor=None,
        organisation=org.organisation,
        purpose=Purpose.RECORD,
        members=[m.user for m in members],
        groups=list(groups),
    )
    return Note.objects.create(key=key, body=b"")


def answers(ring: Keyring, notes: list[Note]) -> dict[str, bool]:
    """What may_open says of each note's key, by the note's body (its name here)."""
    rows = Note.objects.filter(pk__in=[n.pk for n in notes]).annotate(may=ring.may_open()).select_related("key")
    return {row.body.decode() if isinstance(row.body, bytes) else bytes(row.body).decode(): row.may for row in rows}


def opens(ring: Keyring, note: Note) -> bool:
    try:
        ring.secret_for(Key.objects.get(pk=note.key_id))
    except KeyNotHeld:
        return False
    return True


def test_it_says_no_only_where_secret_for_refuses_and_yes_where_it_opens(
    north: Org, south: Org, alice: Persona, bob: Persona, bella: Persona, charlie: Persona
) -> None:
    intake = make_persona(north, "ivan", Role.INTAKE)
    group, _ = do_create_key(
        actor=None, organisation=north.organisation, purpose=Purpose.INTAKE_GROUP, members=[alice.user, intake.user]
    )
    notes = {
        "own": note_under(north, members=[alice, bob]),
        "theirs": note_under(north, members=[alice, bella]),
        "revoked": note_under(north, members=[alice, bob]),
        "rotated without bob": note_under(north, members=[alice, bob]),
        "through the intake group": note_under(north, groups=[group]),
        "another organisation": note_under(south, members=[charlie]),
    }
    do_revoke_key(actor=alice.user, key=notes["revoked"].key, member=bob.user)
    Key.objects.filter(pk=notes["rotated without bob"].key_id).update(version=2)
    for name, note in notes.items():
        Note.objects.filter(pk=note.pk).update(body=name.encode())

    for persona in (bob, intake):
        ring = persona.keyring()
        said = answers(ring, list(notes.values()))
        for name, note in notes.items():
            if not said[name]:
                assert not opens(ring, note), (persona.user.username, name)
        assert said["own"] is (persona is bob) and opens(ring, notes["own"]) is (persona is bob)
        assert said["theirs"] is False and said["revoked"] is False and said["rotated without bob"] is False
        assert said["another organisation"] is False
    # A group wrap is a maybe: the intake member opens through the group, bob does not.
    assert opens(intake.keyring(), notes["through the intake group"])
    assert answers(bob.keyring(), [notes["through the intake group"]]) == {"through the intake group": True}
    with pytest.raises(KeyNotHeld):
        bob.keyring().secret_for(Key.objects.get(pk=notes["through the intake group"].key_id))
    Key.objects.filter(pk=notes["rotated without bob"].key_id).update(version=1)  # every wrap current again


def test_a_locked_keyring_may_open_nothing(north: Org, alice: Persona, bob: Persona) -> None:
    note = note_under(north, members=[alice, bob])
    Note.objects.filter(pk=note.pk).update(body=b"own")

    assert answers(Keyring.locked(bob.user), [note]) == {"own": False}
    assert answers(bob.keyring(), [note]) == {"own": True}
