"""The key flow of cases: accepting a request, sharing, compartments, removal and rotation."""

from __future__ import annotations

import datetime

import pytest

from refuge.cases.actions.compartments import do_grant_compartment, do_save_compartment
from refuge.cases.actions.details import change_stage_on_record, do_change_stage
from refuge.cases.actions.messages import do_message_requester
from refuge.cases.actions.notes import do_add_note
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.actions.team import do_add_team_member, do_remove_team_member, do_set_lead
from refuge.cases.models import Case, CaseEvent, Compartment, CompartmentKind, Person, Priority, Stage, Task, TeamMember
from refuge.cases.queries import CaseFilters, case_list, read_compartment, read_summary
from refuge.cases.stages import allowed_by_hand
from refuge.core.errors import UserError
from refuge.crypto import CryptoError
from refuge.intake.actions.messages import do_requester_message
from refuge.intake.actions.submissions import do_submit_request
from refuge.intake.models import RequesterStatus
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.keyring.records import decrypt_text
from tests.personas import Persona, World

ANSWERS = {
    "what_happened": "Police came to the flat CANARY-NARRATIVE",
    "name": "Иван Петров",
    "phone": "+7 900 123 45 67",
    "document_number": "4510 123456",
    "urgency": "now",
}


def ring(persona: Persona) -> Keyring:
    return Keyring(persona.refresh().user, persona.private_key)


@pytest.fixture
def accepted(world: World) -> Case:
    submission = do_submit_request(organisation=world.north, answers=ANSWERS, urgency="now", language="ru")
    return do_accept_request(
        actor=world.ivan.user,
        keyring=ring(world.ivan),
        request=submission.request,
        team=[world.alice.user, world.bob.user],
        priority=Priority.EMERGENCY,
    )


def test_accepting_moves_the_request_into_a_case_for_the_team(world: World, accepted: Case) -> None:
    case = Case.objects.select_related("key", "request__key").get(pk=accepted.pk)
    assert case.stage == Stage.ACCEPTED
    assert case.due_on == case.opened_on + datetime.timedelta(days=7)
    assert case.request.status == RequesterStatus.ACCEPTED
    assert set(TeamMember.objects.filter(case=case).values_list("user__username", flat=True)) == {"alice", "bob"}
    # The team reads the case and the request; intake has let go of the request.
    summary = read_summary(case, ring(world.bob).secret_for(case.key))
    assert summary["what_happened"] == ANSWERS["what_happened"]
    assert ring(world.bob).secret_for(case.request.key)
    with pytest.raises(KeyNotHeld):
        ring(world.ivan).secret_for(case.request.key)
    with pytest.raises(KeyNotHeld):
        ring(world.bella).secret_for(case.key)
    # The requester's identity answers sit in the identity compartment, for the team.
    person = Person.objects.get(case=case)
    identity = Compartment.objects.select_related("key").get(person=person, kind=CompartmentKind.IDENTITY)
    assert read_compartment(identity, ring(world.bob))["legal_name"] == "Иван Петров"


def test_a_request_is_accepted_once(world: World, accepted: Case) -> None:
    with pytest.raises(UserError) as refused:
        do_accept_request(
            actor=world.alice.user,
            keyring=ring(world.alice),
            request=accepted.request,
            team=[world.alice.user],
            priority=Priority.NORMAL,
        )
    assert refused.value.code in {"already_accepted"} or isinstance(refused.value, UserError)
    assert Case.objects.count() == 1


def test_a_member_added_later_sees_the_case_but_not_the_compartment(world: World, accepted: Case) -> None:
    do_add_team_member(actor=world.alice.user, keyring=ring(world.alice), case=accepted, member=world.bella.user)
    case = Case.objects.select_related("key").get(pk=accepted.pk)
    assert read_summary(case, ring(world.bella).secret_for(case.key))["name"] == "Иван Петров"
    identity = Compartment.objects.select_related("key").get(person__case=case)
    with pytest.raises(KeyNotHeld):
        read_compartment(identity, ring(world.bella))
    do_grant_compartment(actor=world.bob.user, keyring=ring(world.bob), compartment=identity, member=world.bella.user)
    assert read_compartment(identity, ring(world.bella))["phone"] == ANSWERS["phone"]


def test_removing_a_member_rotates_what_they_could_read(world: World, accepted: Case) -> None:
    bob = ring(world.bob)
    old_case_secret = bob.secret_for(accepted.key)
    do_add_note(actor=world.bob.user, keyring=bob, case=accepted, body="Safe flat found NOTE-CANARY")
    removal = do_remove_team_member(
        actor=world.alice.user, keyring=ring(world.alice), case=accepted, member=world.bob.user
    )
    case = Case.objects.select_related("key", "request__key").get(pk=accepted.pk)
    assert case.key.version == 2 and not case.key.rotation_due
    assert case.request.key.version == 2
    assert len(removal.rotated) == 3 and not removal.pending  # case, request, identity compartment
    # Bob holds nothing now, and his copy of the old secret opens nothing current.
    with pytest.raises(KeyNotHeld):
        ring(world.bob).secret_for(case.key)
    note = case.notes.get()
    with pytest.raises(CryptoError):
        decrypt_text(note, "body", old_case_secret, case.key)
    assert decrypt_text(note, "body", ring(world.alice).secret_for(case.key), case.key).endswith("NOTE-CANARY")
    assert CaseEvent.objects.filter(case=case, kind="rotated").exists()


def test_the_last_member_cannot_leave_the_team(world: World, accepted: Case) -> None:
    do_remove_team_member(actor=world.alice.user, keyring=ring(world.alice), case=accepted, member=world.bob.user)
    with pytest.raises(UserError) as refused:
        do_remove_team_member(actor=world.alice.user, keyring=ring(world.alice), case=accepted, member=world.alice.user)
    assert refused.value.code == "last_member"


def test_two_edits_from_the_same_version_conflict(world: World, accepted: Case) -> None:
    version = accepted.version
    do_change_stage(
        actor=world.bob.user, keyring=ring(world.bob), case=accepted, stage=Stage.DOCUMENTS, version=version
    )
    stale = Case.objects.get(pk=accepted.pk)
    stale.version = version
    with pytest.raises(UserError) as refused:
        do_change_stage(
            actor=world.alice.user, keyring=ring(world.alice), case=stale, stage=Stage.SHELTERED, version=version
        )
    assert refused.value.code == "conflict"
    assert Case.objects.get(pk=accepted.pk).stage == Stage.DOCUMENTS


def test_stage_table_and_closing_reason(world: World, accepted: Case) -> None:
    bob = ring(world.bob)
    with pytest.raises(UserError):
        do_change_stage(actor=world.bob.user, keyring=bob, case=accepted, stage=Stage.ARRIVED, version=1)
    with pytest.raises(UserError) as refused:
        do_change_stage(actor=world.bob.user, keyring=bob, case=accepted, stage=Stage.CLOSED, version=1)
    assert refused.value.field == "closing_reason"
    do_change_stage(
        actor=world.bob.user, keyring=bob, case=accepted, stage=Stage.CLOSED, version=1, closing_reason="withdrew"
    )
    assert Case.objects.get(pk=accepted.pk).closing_reason == "withdrew"


def test_the_database_keeps_still_open_in_step_with_the_stage(world: World, accepted: Case) -> None:
    """`still_open` is computed by the database (the open-case indexes rely on it), never written by us."""
    bob = ring(world.bob)
    today = datetime.date.today()
    assert Case.objects.get(pk=accepted.pk).still_open is True
    assert accepted.pk in {c.pk for c in case_list(world.bob.user, CaseFilters(), today)}

    do_change_stage(
        actor=world.bob.user, keyring=bob, case=accepted, stage=Stage.CLOSED, version=1, closing_reason="withdrew"
    )

    closed = Case.objects.get(pk=accepted.pk)
    assert (closed.stage, closed.still_open, closed.is_open) == (Stage.CLOSED, False, False)
    assert accepted.pk not in {c.pk for c in case_list(world.bob.user, CaseFilters(), today)}
    assert accepted.pk in {c.pk for c in case_list(world.bob.user, CaseFilters(stage="all"), today)}
    assert Case.objects.filter(still_open=True, pk=accepted.pk).count() == 0


def test_passport_expiry_creates_one_task_that_follows_the_date(world: World, accepted: Case) -> None:
    bob = ring(world.bob)
    person = Person.objects.get(case=accepted)
    identity = Compartment.objects.get(person=person)
    content = read_compartment(identity, bob)
    data = {**content, "international_passport_number": "75 1234567", "international_passport_expiry": "2027-06-01"}
    do_save_compartment(
        actor=world.bob.user, keyring=bob, person=person, kind="identity", data=data, version=identity.version
    )
    task = Task.objects.get(case=accepted, source__endswith="international_passport_expiry")
    assert task.due_on == datetime.date(2026, 12, 3)
    assert "2027-06-01" in decrypt_text(task, "title", bob.secret_for(accepted.key), accepted.key)
    identity.refresh_from_db()
    data["international_passport_expiry"] = "2028-01-01"
    do_save_compartment(
        actor=world.bob.user, keyring=bob, person=person, kind="identity", data=data, version=identity.version
    )
    assert Task.objects.filter(case=accepted, source__endswith="international_passport_expiry").count() == 1
    assert Task.objects.get(case=accepted, source__endswith="expiry").due_on == datetime.date(2027, 7, 5)


def test_search_finds_a_case_by_transliterated_name_and_document_number(world: World, accepted: Case) -> None:
    today = datetime.date.today()
    assert list(case_list(world.bob.user, CaseFilters(q="Ivan Petrov"), today)) == [accepted]
    assert list(case_list(world.bob.user, CaseFilters(q="4510123456"), today)) == [accepted]
    pseudonym = Person.objects.get(case=accepted).pseudonym
    assert list(case_list(world.bob.user, CaseFilters(q=pseudonym.lower()), today)) == [accepted]
    # Bella is not on the team; Charlie is in another organisation.
    assert list(case_list(world.bella.user, CaseFilters(q="Ivan Petrov"), today)) == []
    assert list(case_list(world.charlie.user, CaseFilters(q="Ivan Petrov"), today)) == []
    # Coordinators list every case of their organisation.
    assert list(case_list(world.alice.user, CaseFilters(), today)) == [accepted]


def test_requester_messages_reach_the_team_after_acceptance(world: World, accepted: Case) -> None:
    bob = ring(world.bob)
    case = Case.objects.select_related("request__key").get(pk=accepted.pk)
    do_message_requester(actor=world.bob.user, keyring=bob, case=case, body="We have a place for you")
    do_requester_message(request=case.request, secret=bob.secret_for(case.request.key), body="Thank you")
    assert case.request.messages.count() == 2


def test_the_lead_is_chosen_on_acceptance_and_changed_by_the_team(world: World) -> None:
    submission = do_submit_request(organisation=world.north, answers=ANSWERS, urgency="now", language="ru")
    with pytest.raises(UserError) as refused:
        do_accept_request(
            actor=world.ivan.user,
            keyring=ring(world.ivan),
            request=submission.request,
            team=[world.alice.user],
            priority=Priority.URGENT,
            lead=world.bob.user,
        )
    assert refused.value.code == "lead_not_on_team" and refused.value.field == "lead"
    assert not Case.objects.exists()
    case = do_accept_request(
        actor=world.ivan.user,
        keyring=ring(world.ivan),
        request=submission.request,
        team=[world.alice.user, world.bob.user],
        priority=Priority.URGENT,
        lead=world.bob.user,
    )
    leads = TeamMember.objects.filter(case=case, lead=True)
    assert [row.user for row in leads] == [world.bob.user]
    # Only a member of the team changes the lead, and only to a member of the team.
    with pytest.raises(UserError) as refused:
        do_set_lead(actor=world.bella.user, keyring=ring(world.bella), case=case, member=world.alice.user)
    assert refused.value.code == "not_on_team"
    with pytest.raises(UserError) as refused:
        do_set_lead(actor=world.alice.user, keyring=ring(world.alice), case=case, member=world.bella.user)
    assert refused.value.code == "not_on_team" and refused.value.field == "member"
    do_set_lead(actor=world.bob.user, keyring=ring(world.bob), case=case, member=world.alice.user)
    assert [row.user for row in leads.all()] == [world.alice.user]
    assert CaseEvent.objects.filter(case=case, kind="lead").count() == 1


def test_travel_and_arrived_are_not_stages_a_member_chooses(world: World, accepted: Case) -> None:
    bob = ring(world.bob)
    do_change_stage(actor=world.bob.user, keyring=bob, case=accepted, stage=Stage.APPLYING, version=1)
    # Each is allowed by the table from where the case is, and refused because a record makes it.
    for before, stage in ((Stage.APPLYING, Stage.TRAVEL), (Stage.TRAVEL, Stage.ARRIVED)):
        with pytest.raises(UserError) as refused:
            do_change_stage(actor=world.bob.user, keyring=bob, case=accepted, stage=stage, version=accepted.version)
        assert (refused.value.code, refused.value.field) == ("recorded_stage", "stage")
        assert Case.objects.get(pk=accepted.pk).stage == before
        # What the departure record does (refuge/applications/travel.py).
        change_stage_on_record(actor=world.bob.user, keyring=bob, case=accepted, stage=stage)
    assert Case.objects.get(pk=accepted.pk).stage == Stage.ARRIVED
    assert allowed_by_hand(Stage.APPLYING) == [Stage.SHELTERED, Stage.DOCUMENTS, Stage.CLOSED]
    assert allowed_by_hand(Stage.TRAVEL) == [Stage.SHELTERED, Stage.APPLYING, Stage.CLOSED]
