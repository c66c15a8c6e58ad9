"""The caseworker's cases in the workspace: the list, one case, and every act on it.

Every access rule is a pair (the team member can; everyone else gets 404), and every
bad input gets an error next to its field with nothing written.
"""

from __future__ import annotations

import datetime
import io
import re
import uuid
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.cases.actions.base import add_event
from refuge.cases.actions.details import do_change_stage, do_edit_case, do_set_lost_contact
from refuge.cases.actions.documents import do_add_document
from refuge.cases.actions.expenses import do_add_expense
from refuge.cases.actions.messages import do_message_requester
from refuge.cases.actions.notes import do_add_note
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.actions.people import do_add_person
from refuge.cases.actions.tasks import do_add_task
from refuge.cases.actions.team import do_add_team_member
from refuge.cases.models import (
    Case,
    CaseDocument,
    CaseEvent,
    Expense,
    Note,
    Person,
    Priority,
    Stage,
    Task,
    TeamMember,
)
from refuge.intake.access import access_by_receipt
from refuge.intake.actions.messages import do_requester_message
from refuge.intake.actions.submissions import Submission, do_submit_request
from refuge.intake.models import RequestMessage
from refuge.intake.queries import read_messages
from refuge.intake.uploads import CleanUpload
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import HolderKind, Key, KeyWrap
from refuge.relocation.models import Pathway
from refuge.shelter.actions import ShelterDetails, do_create_shelter, do_place_person
from tests.personas import Persona, World, without_tokens

ANSWERS = {
    "what_happened": "Police came to the flat SUMMARY-CANARY",
    "name": "Иван Петров",
    "phone": "+7 900 123 45 67",
    "document_number": "4510 123456",
}


def ring(persona: Persona) -> Keyring:
    return Keyring(persona.refresh().user, persona.private_key)


def _open_case(world: World, team: list[Persona], *, priority: str = Priority.NORMAL, **answers: Any) -> Submission:
    submission = do_submit_request(
        organisation=world.north, answers={**ANSWERS, **answers}, urgency="now", language="en"
    )
    do_accept_request(
        actor=world.ivan.user,
        keyring=ring(world.ivan),
        request=submission.request,
        team=[persona.user for persona in team],
        priority=priority,
    )
    return submission


def _case(submission: Submission) -> Case:
    return Case.objects.select_related("key", "request__key").get(request=submission.request)


@pytest.fixture
def submission(world: World) -> Submission:
    """A request accepted by intake; Bob alone is on the case's team."""
    return _open_case(world, [world.bob], priority=Priority.URGENT)


@pytest.fixture
def case(submission: Submission) -> Case:
    return _case(submission)


def _url(case: Case, tail: str = "") -> str:
    return f"/cases/{case.pk}/{tail}"


def _reads(case: Case) -> int:
    return AuditEntry.objects.filter(code=AuditEvent.CASE_READ, object_id=str(case.pk)).count()


def _field_error(page: str, field_id: str, text: str = "") -> bool:
    match = re.search(rf'id="{re.escape(field_id)}_error".*?</div>', page, re.S)
    return match is not None and text in match.group(0)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- the list ----------------------------------------------------------------------------------


def test_the_team_and_coordinators_list_a_case_without_decrypting_it(world: World, client_for, case: Case) -> None:
    pseudonym = Person.objects.get(case=case).pseudonym
    for persona in (world.bob, world.alice):
        page = client_for(persona).get("/cases/").content.decode()
        assert case.reference in page
        assert pseudonym in page
        assert "Urgent" in page and "Accepted" in page
        assert "bob" in page
        assert "SUMMARY-CANARY" not in page and "Иван" not in page
    assert _reads(case) == 0


def test_other_teams_see_no_case_and_other_roles_no_list(world: World, client_for, case: Case) -> None:
    bella = client_for(world.bella).get("/cases/")
    assert bella.status_code == 200
    assert case.reference not in bella.content.decode() and "No cases found" in bella.content.decode()
    charlie = client_for(world.charlie).get("/cases/")
    assert case.reference not in charlie.content.decode()
    for persona in (world.audrey, world.adam):
        assert client_for(persona).get("/cases/").status_code == 404


def test_the_list_filters_by_stage_priority_alarm_overdue_and_mine(world: World, client_for, case: Case) -> None:
    other = _case(_open_case(world, [world.alice, world.bella], priority=Priority.EMERGENCY))
    bob = ring(world.bob)
    do_set_lost_contact(actor=world.bob.user, keyring=bob, case=case, lost=True)
    do_add_task(
        actor=world.alice.user,
        keyring=ring(world.alice),
        case=other,
        title="Call the lawyer",
        due_on=timezone.localdate() - datetime.timedelta(days=2),
        owner=None,
    )
    client = client_for(world.alice)

    def listed(**query: str) -> set[str]:
        response = client.get("/cases/", query)
        assert response.status_code == 200, response.content.decode()[:3000]
        return set(re.findall(r'class="case-reference" href="[^"]+">([^<]+)<', response.content.decode()))

    assert listed() == {case.reference, other.reference}
    assert listed(priority="emergency") == {other.reference}
    assert listed(lost_contact="on") == {case.reference}
    assert listed(overdue="on") == {other.reference}
    assert listed(mine="on") == {other.reference}
    assert listed(member=str(world.bob.user.pk)) == {case.reference}
    today = timezone.localdate().isoformat()
    assert listed(opened_from=today, opened_to=today) == {case.reference, other.reference}
    assert listed(opened_to="2020-01-01") == set()
    do_change_stage(
        actor=world.bob.user,
        keyring=bob,
        case=case,
        stage=Stage.CLOSED,
        version=case.version,
        closing_reason="withdrew",
    )
    assert listed() == {other.reference}
    assert listed(stage="closed") == {case.reference}
    assert listed(stage="all") == {case.reference, other.reference}


def test_the_list_filters_by_pathway_and_by_shelter_the_member_may_see(world: World, client_for, case: Case) -> None:
    pathway = Pathway.objects.order_by("pk").first()
    assert pathway is not None
    bob = ring(world.bob)
    do_edit_case(
        actor=world.bob.user,
        keyring=bob,
        case=case,
        version=case.version,
        priority=case.priority,
        pathway=pathway,
        budget_minor=None,
        currency="EUR",
        summary="x",
    )
    other = _case(_open_case(world, [world.bob]))
    shelter = do_create_shelter(
        actor=world.alice.user,
        details=ShelterDetails(code_name="Linden", capacity=4, city="Tbilisi", rules="", address="x"),
    )
    do_place_person(
        actor=world.bob.user,
        keyring=bob,
        person=Person.objects.get(case=other),
        shelter=shelter,
        starts_on=timezone.localdate(),
        planned_until=None,
    )
    client = client_for(world.bob)
    by_pathway = client.get("/cases/", {"pathway": pathway.pk}).content.decode()
    assert case.reference in by_pathway and other.reference not in by_pathway
    by_shelter = client.get("/cases/", {"shelter": str(shelter.pk)}).content.decode()
    assert other.reference in by_shelter and case.reference not in by_shelter
    # Bella has nobody in that shelter: for her it is not one of the choices.
    refused = client_for(world.bella).get("/cases/", {"shelter": str(shelter.pk)})
    assert refused.status_code == 400
    assert "Linden" not in refused.content.decode()


def test_search_finds_by_pseudonym_reference_and_exact_identity_only(world: World, client_for, case: Case) -> None:
    other = _case(_open_case(world, [world.bob], name="Someone Else", phone="", document_number=""))
    pseudonym = Person.objects.get(case=case).pseudonym
    client = client_for(world.bob)

    def found(q: str) -> bool:
        page = client.get("/cases/", {"q": q}).content.decode()
        assert other.reference not in page or q == other.reference
        return case.reference in page

    assert found(pseudonym)
    assert found(pseudonym.upper())
    assert found(case.reference.lower())
    assert found("Иван Петров")
    assert found("ivan petrov")
    assert found("+7 (900) 123-45-67")
    assert found("4510123456")
    # Blind indexes match whole values only: part of a name finds nothing.
    assert not found("Иван")
    page = client.get("/cases/").content.decode()
    assert "compared without being decrypted" in page


BAD_FILTERS: list[tuple[dict[str, str], str]] = [
    ({"stage": "bogus"}, "id_stage"),
    ({"priority": "EMERGENCY"}, "id_priority"),
    ({"member": "not-a-uuid"}, "id_member"),
    ({"member": "0"}, "id_member"),
    ({"shelter": str(uuid.uuid4())}, "id_shelter"),
    ({"pathway": "abc"}, "id_pathway"),
    ({"pathway": "99999999999999999999"}, "id_pathway"),
    ({"opened_from": "2024-13-01"}, "id_opened_from"),
    ({"opened_from": "0001-01-01"}, "id_opened_from"),
    ({"opened_from": "2025-02-01", "opened_to": "2025-01-01"}, "id_opened_to"),
    ({"q": "x" * 201}, "id_q"),
    ({"q": "a\x00b"}, "id_q"),
]


def test_bad_filters_are_refused_next_to_the_field(world: World, client_for, case: Case) -> None:
    client = client_for(world.alice)
    for query, field in BAD_FILTERS:
        response = client.get("/cases/", query)
        assert response.status_code == 400, query
        page = response.content.decode()
        assert _field_error(page, field), query
        assert case.reference not in page, query


def test_a_member_of_another_organisation_is_not_a_filter_choice(world: World, client_for, case: Case) -> None:
    response = client_for(world.alice).get("/cases/", {"member": str(world.charlie.user.pk)})
    assert response.status_code == 400
    assert _field_error(response.content.decode(), "id_member", "Choose one of the options in the list.")


def test_the_list_pages_by_fifty_and_keeps_the_filters(world: World, client_for, case: Case) -> None:
    team = TeamMember.objects.get(case=case)
    for number in range(50):
        copy = Case.objects.get(pk=case.pk)
        copy.pk, copy.request, copy.reference = uuid.uuid4(), None, f"C-P{number:04d}"
        copy.save(force_insert=True)
        TeamMember.objects.create(case=copy, user=team.user, lead=True, added_on=team.added_on)
    client = client_for(world.bob)
    first = client.get("/cases/", {"priority": "urgent"}).content.decode()
    assert "Page 1 of 2" in first and "51 cases" in first
    assert len(re.findall(r'class="case-reference"', first)) == 50
    assert "?priority=urgent&amp;page=2" in first
    second = client.get("/cases/", {"priority": "urgent", "page": "2"}).content.decode()
    assert len(re.findall(r'class="case-reference"', second)) == 1
    for page in ("999", "abc", "-1"):
        assert client.get("/cases/", {"page": page}).status_code == 200


# --- one case: who sees what --------------------------------------------------------------------


def test_the_team_reads_the_case_and_the_read_is_audited(world: World, client_for, case: Case) -> None:
    response = client_for(world.bob).get(_url(case))
    assert response.status_code == 200
    page = response.content.decode()
    assert "SUMMARY-CANARY" in page
    assert "Иван Петров" in page
    assert Person.objects.get(case=case).pseudonym in page
    assert f"Case opened from request {case.request.reference}." in page
    assert 'action="/cases/' in page
    assert _reads(case) == 1
    entry = AuditEntry.objects.get(code=AuditEvent.CASE_READ)
    assert entry.actor_id == world.bob.user.pk


def test_a_coordinator_off_the_team_sees_metadata_only(world: World, client_for, case: Case) -> None:
    client = client_for(world.alice)
    response = client.get(_url(case))
    assert response.status_code == 200
    page = response.content.decode()
    assert case.reference in page and "bob" in page
    assert Person.objects.get(case=case).pseudonym in page
    assert "readable only by members of its team" in page
    assert "SUMMARY-CANARY" not in page and "Иван" not in page
    assert _reads(case) == 0
    # She can act on nothing, and cannot even open the edit page.
    assert client.get(_url(case, "edit/")).status_code == 404
    assert client.post(_url(case, "notes/"), {"note-body": "hello"}).status_code == 404
    assert not Note.objects.exists()


def test_everyone_else_gets_the_same_404_as_for_a_missing_case(world: World, client_for, case: Case) -> None:
    task = do_add_task(actor=world.bob.user, keyring=ring(world.bob), case=case, title="t", due_on=None, owner=None)
    for persona in (world.bella, world.charlie, world.audrey, world.adam, world.ivan):
        client = client_for(persona)
        missing = client.get(f"/cases/{uuid.uuid4()}/")
        other = client.get(_url(case))
        assert missing.status_code == other.status_code == 404
        assert without_tokens(missing.content) == without_tokens(other.content)
        assert client.post(_url(case, "notes/"), {"note-body": "hello"}).status_code == 404
        assert client.post(_url(case, f"tasks/{task.pk}/done/")).status_code == 404
        assert client.post(_url(case, "stage/"), {"stage-stage": "closed"}).status_code == 404
        assert client.get(_url(case, f"team/{world.bob.user.pk}/remove/")).status_code == 404
    assert not Note.objects.exists()
    assert Task.objects.get(pk=task.pk).done_on is None
    assert _reads(case) == 0


def test_a_member_whose_keys_do_not_open_the_case_is_told_it_is_locked(world: World, client_for, case: Case) -> None:
    KeyWrap.objects.filter(key=case.key, holder_kind=HolderKind.USER, holder=world.bob.user).delete()
    client = client_for(world.bob)
    response = client.get(_url(case))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This case is locked for you" in page
    assert "SUMMARY-CANARY" not in page
    assert client.post(_url(case, "notes/"), {"note-body": "hello"}).status_code == 403
    assert not Note.objects.exists()


def test_a_case_altered_in_the_database_is_reported_not_half_shown(
    world: World, client_for, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    other = _case(_open_case(world, [world.bob], what_happened="someone else entirely"))
    Case.objects.filter(pk=case.pk).update(summary=Case.objects.get(pk=other.pk).summary)
    response = client_for(world.bob).get(_url(case))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This case could not be decrypted" in page
    assert "someone else entirely" not in page
    assert "may have been tampered with" in caplog.text


# --- notes, tasks, expenses -------------------------------------------------------------------------


def test_a_note_is_added_and_shown_to_the_team(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    response = client.post(_url(case, "notes/"), {"note-body": "Safe flat found <b>NOTE</b>"})
    assert response.status_code == 302 and response["Location"].endswith("#notes")
    page = client.get(response["Location"]).content.decode()
    assert "The note is added." in page
    assert "Safe flat found &lt;b&gt;NOTE&lt;/b&gt;" in page
    assert "A note was added." in page


def test_an_empty_note_is_refused(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    for body in ("", "  \n "):
        response = client.post(_url(case, "notes/"), {"note-body": body})
        assert response.status_code == 400
        assert _field_error(response.content.decode(), "id_note-body", "Write the note first.")
    assert not Note.objects.exists()


def test_a_too_long_note_is_refused_and_kept_as_typed(world: World, client_for, case: Case) -> None:
    body = "Длинная заметка. " * 1300  # over 20,000 characters
    response = client_for(world.bob).post(_url(case, "notes/"), {"note-body": body})
    assert response.status_code == 400
    page = response.content.decode()
    assert _field_error(page, "id_note-body", "at most 20,000 characters")
    assert body.strip() in page
    assert "Nothing was saved" in page and 'href="#notes"' in page
    assert not Note.objects.exists()


def test_tasks_are_added_for_team_members_and_marked_done(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    due = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = client.post(
        _url(case, "tasks/"),
        {
            "task-title": "Book the embassy slot",
            "task-kind": "appointment",
            "task-due_on": due,
            "task-owner": str(world.bob.user.pk),
        },
    )
    assert response.status_code == 302
    task = Task.objects.get(case=case)
    assert task.owner_id == world.bob.user.pk and task.due_on.isoformat() == due
    page = client.get(_url(case)).content.decode()
    assert "Book the embassy slot" in page
    assert f"Task added: “Book the embassy slot”, due {due}." in page
    assert client.post(_url(case, f"tasks/{task.pk}/done/")).status_code == 302
    assert Task.objects.get(pk=task.pk).done_on == timezone.localdate()
    again = client.post(_url(case, f"tasks/{task.pk}/done/"))
    assert again.status_code == 400
    assert "This task is already done." in again.content.decode()
    assert client.get(_url(case, f"tasks/{task.pk}/done/")).status_code == 405


BAD_TASKS: list[tuple[dict[str, str], str, str]] = [
    ({"task-title": ""}, "id_task-title", "Say what needs doing."),
    ({"task-title": "x" * 301}, "id_task-title", "at most 300 characters"),
    ({"task-title": "ok", "task-due_on": "2025-02-30"}, "id_task-due_on", "Enter a date as YYYY-MM-DD"),
    ({"task-title": "ok", "task-due_on": "tomorrow"}, "id_task-due_on", "Enter a date as YYYY-MM-DD"),
    ({"task-title": "ok", "task-due_on": "1999-12-31"}, "id_task-due_on", "Enter a date after 2000-01-01."),
    ({"task-title": "ok", "task-kind": "meeting"}, "id_task-kind", "Choose one of the options"),
    ({"task-title": "ok", "task-owner": "not-a-uuid"}, "id_task-owner", "Choose one of the options"),
]


def test_bad_tasks_are_refused_next_to_the_field_and_kept_as_typed(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    for data, field, message in BAD_TASKS:
        response = client.post(_url(case, "tasks/"), {"task-kind": "task", **data})
        assert response.status_code == 400, data
        page = response.content.decode()
        assert _field_error(page, field, message), data
        if data["task-title"] == "ok":
            assert 'name="task-title" value="ok"' in page
    assert not Task.objects.exists()


def test_a_task_goes_only_to_the_team_and_only_on_its_own_case(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    for owner in (world.bella.user.pk, world.charlie.user.pk):
        response = client.post(_url(case, "tasks/"), {"task-title": "x", "task-kind": "task", "task-owner": str(owner)})
        assert response.status_code == 400
        assert _field_error(response.content.decode(), "id_task-owner")
    assert not Task.objects.exists()
    other = _case(_open_case(world, [world.bob]))
    task = do_add_task(actor=world.bob.user, keyring=ring(world.bob), case=other, title="t", due_on=None, owner=None)
    assert client.post(_url(case, f"tasks/{task.pk}/done/")).status_code == 404
    assert client.post(_url(case, f"tasks/{uuid.uuid4()}/done/")).status_code == 404
    assert Task.objects.get(pk=task.pk).done_on is None


def test_expenses_add_up_per_category_and_currency_against_the_budget(world: World, client_for, case: Case) -> None:
    do_edit_case(
        actor=world.bob.user,
        keyring=ring(world.bob),
        case=case,
        version=case.version,
        priority=case.priority,
        pathway=None,
        budget_minor=10_000,
        currency="EUR",
        summary="x",
    )
    client = client_for(world.bob)
    today = timezone.localdate().isoformat()
    typed = (("travel", "60", "EUR"), ("food", "30,25", "EUR"), ("travel", "25.50", "EUR"), ("food", "1 234,50", "RUB"))
    for category, amount, currency in typed:
        data = {
            "expense-category": category,
            "expense-amount": amount,
            "expense-currency": currency,
            "expense-spent_on": today,
            "expense-note": "bus",
        }
        assert client.post(_url(case, "expenses/"), data).status_code == 302
    assert sorted(Expense.objects.values_list("amount_minor", "currency")) == [
        (2550, "EUR"),
        (3025, "EUR"),
        (6000, "EUR"),
        (123450, "RUB"),
    ]
    page = client.get(_url(case)).content.decode()
    assert re.search(r"<dt>Travel</dt><dd[^>]*>85.50 EUR</dd>", page)
    assert re.search(r"<dt>Food</dt><dd[^>]*>30.25 EUR</dd>", page)
    assert "115.75 EUR" in page
    # Roubles are totalled apart, never converted nor counted against a budget in euros.
    assert re.search(r"<dt>Food</dt><dd[^>]*>1,234.50 RUB</dd>", page)
    assert "Over budget by 15.75 EUR" in page
    assert "Expense recorded: 25.50 EUR for travel." in page
    client.cookies["__Host-refuge-lang"] = "ru"
    russian = client.get(_url(case)).content.decode()
    assert "1\u00a0234,50 RUB" in russian and "115,75 EUR" in russian


BAD_EXPENSES: list[tuple[dict[str, str], str, str]] = [
    ({"expense-amount": "abc"}, "id_expense-amount", "Enter an amount such as 1234.50 or 1 234,50."),
    ({"expense-amount": "12.5055"}, "id_expense-amount", "At most 2 digits after the decimal separator."),
    ({"expense-amount": "12.505"}, "id_expense-amount", "Is this thousands or a fraction?"),
    ({"expense-amount": "1,234"}, "id_expense-amount", "Is this thousands or a fraction?"),
    ({"expense-amount": "1.2.3"}, "id_expense-amount", "Enter an amount such as 1234.50 or 1 234,50."),
    ({"expense-amount": "0"}, "id_expense-amount", "between 0.01 and 10,000,000"),
    ({"expense-amount": "0,001"}, "id_expense-amount", "At most 2 digits after the decimal separator."),
    ({"expense-amount": "-5"}, "id_expense-amount", "Enter an amount such as 1234.50 or 1 234,50."),
    ({"expense-amount": "99999999999999999999999"}, "id_expense-amount", "between 0.01 and 10,000,000"),
    ({"expense-amount": "10 000 000,01"}, "id_expense-amount", "between 0.01 and 10,000,000"),
    ({"expense-amount": "１２"}, "id_expense-amount", "Enter an amount such as 1234.50 or 1 234,50."),
    ({"expense-amount": ""}, "id_expense-amount", "Enter the amount."),
    ({"expense-currency": "XYZ"}, "id_expense-currency", "Choose one of the options"),
    ({"expense-category": "bribes"}, "id_expense-category", "Choose one of the options"),
    ({"expense-spent_on": "2999-01-01"}, "id_expense-spent_on", "cannot be in the future"),
    ({"expense-spent_on": "31.12.2024"}, "id_expense-spent_on", "Enter a date as YYYY-MM-DD"),
    ({"expense-note": "x" * 301}, "id_expense-note", "at most 300 characters"),
]


def test_bad_expenses_are_refused_next_to_the_field(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    valid = {
        "expense-category": "food",
        "expense-amount": "10",
        "expense-currency": "RUB",
        "expense-spent_on": timezone.localdate().isoformat(),
    }
    for data, field, message in BAD_EXPENSES:
        response = client.post(_url(case, "expenses/"), {**valid, **data})
        assert response.status_code == 400, data
        page = response.content.decode()
        assert _field_error(page, field, message), data
        # What was typed comes back, in a text box that can show it (not type="number").
        amount = {**valid, **data}["expense-amount"]
        assert f'name="expense-amount" value="{amount}"' in page or not amount, data
    assert not Expense.objects.exists()


def test_a_bad_amount_is_explained_in_russian(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    client.cookies["__Host-refuge-lang"] = "ru"
    data = {"expense-category": "food", "expense-currency": "RUB", "expense-spent_on": timezone.localdate().isoformat()}
    for typed, message in (
        ("abc", "Введите сумму, например 1234.50 или 1 234,50."),
        ("1,234", "Это тысячи или дробь?"),
    ):
        response = client.post(_url(case, "expenses/"), {**data, "expense-amount": typed})
        assert response.status_code == 400 and _field_error(response.content.decode(), "id_expense-amount", message)
    assert client.post(_url(case, "expenses/"), {**data, "expense-amount": "1 234,50"}).status_code == 302
    assert Expense.objects.get().amount_minor == 123450


# --- stage, lost contact, editing ----------------------------------------------------------------


def test_the_stage_moves_only_along_the_table(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    page = client.get(_url(case)).content.decode()
    stage_select = re.search(r'<select name="stage-stage".*?</select>', page, re.S)
    assert stage_select is not None
    assert 'value="documents"' in stage_select.group(0) and 'value="arrived"' not in stage_select.group(0)
    response = client.post(_url(case, "stage/"), {"stage-stage": "documents", "stage-version": case.version})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).stage == Stage.DOCUMENTS
    assert "Stage changed from Accepted to Documents." in client.get(_url(case)).content.decode()


BAD_STAGES: list[tuple[dict[str, str], str, str]] = [
    ({"stage-stage": "arrived"}, "id_stage-stage", "cannot move from this stage"),
    ({"stage-stage": "nowhere"}, "id_stage-stage", "Choose one of the options"),
    ({"stage-stage": ""}, "id_stage-stage", "Choose one of the options"),
    ({"stage-stage": "closed"}, "id_stage-closing_reason", "Choose why the case is closed."),
    ({"stage-stage": "closed", "stage-closing_reason": "lost"}, "id_stage-closing_reason", "Choose one"),
]


def test_a_bad_stage_change_is_refused_next_to_the_field(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    for data, field, message in BAD_STAGES:
        response = client.post(_url(case, "stage/"), {"stage-version": case.version, **data})
        assert response.status_code == 400, data
        assert _field_error(response.content.decode(), field, message), data
    for version in ("", "abc", "-1", "99999999999999"):
        response = client.post(_url(case, "stage/"), {"stage-stage": "documents", "stage-version": version})
        assert response.status_code == 400, version
        assert "This form is incomplete." in response.content.decode()
    assert Case.objects.get(pk=case.pk).stage == Stage.ACCEPTED
    assert not CaseEvent.objects.filter(case=case, kind="stage").exists()


def test_a_stale_stage_form_is_a_conflict_that_shows_the_current_case(world: World, client_for, case: Case) -> None:
    stale = case.version
    do_change_stage(actor=world.bob.user, keyring=ring(world.bob), case=case, stage=Stage.SHELTERED, version=stale)
    response = client_for(world.bob).post(_url(case, "stage/"), {"stage-stage": "documents", "stage-version": stale})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this case while you were editing it." in page
    assert "The case is at the stage “Sheltered”." in page
    assert f'name="stage-version" value="{case.version}"' in page
    assert Case.objects.get(pk=case.pk).stage == Stage.SHELTERED


def test_the_lost_contact_alarm_is_raised_and_cleared(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    assert client.post(_url(case, "lost-contact/"), {"contact-lost": "yes"}).status_code == 302
    assert Case.objects.get(pk=case.pk).lost_contact_since == timezone.localdate()
    page = client.get(_url(case)).content.decode()
    assert "Contact lost since" in page and "The lost-contact alarm was raised." in page
    assert "badge--alarm" in client.get("/cases/").content.decode()
    assert client.post(_url(case, "lost-contact/"), {"contact-lost": "no"}).status_code == 302
    assert Case.objects.get(pk=case.pk).lost_contact_since is None
    bad = client.post(_url(case, "lost-contact/"), {"contact-lost": "maybe"})
    assert bad.status_code == 400 and "This action is not allowed." in bad.content.decode()
    assert Case.objects.get(pk=case.pk).lost_contact_since is None


def test_editing_keeps_the_requesters_answers_unless_replaced(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    page = client.get(_url(case, "edit/")).content.decode()
    assert "SUMMARY-CANARY" in page and "Leave this empty to keep it" in page
    assert _reads(case) == 1
    data = {"version": case.version, "priority": "emergency", "budget": "1 500,50", "currency": "USD", "summary": ""}
    response = client.post(_url(case, "edit/"), data)
    assert response.status_code == 302
    saved = Case.objects.get(pk=case.pk)
    assert saved.priority == Priority.EMERGENCY and saved.budget_minor == 150050 and saved.currency == "USD"
    assert saved.due_on == timezone.localdate() + datetime.timedelta(days=7)
    page = client.get(_url(case)).content.decode()
    assert "SUMMARY-CANARY" in page and "What happened" in page
    data = {**data, "version": saved.version, "summary": "Our own summary, line one\nline two"}
    assert client.post(_url(case, "edit/"), data).status_code == 302
    page = client.get(_url(case)).content.decode()
    assert "Our own summary, line one\nline two" in page and "SUMMARY-CANARY" not in page


BAD_EDITS: list[tuple[dict[str, str], str, str]] = [
    ({"priority": "whenever"}, "id_priority", "Choose one of the options"),
    ({"budget": "lots"}, "id_budget", "Enter an amount such as 1234.50 or 1 234,50."),
    ({"budget": "-1"}, "id_budget", "Enter an amount such as 1234.50 or 1 234,50."),
    ({"budget": "10000001"}, "id_budget", "between 0 and 10,000,000"),
    ({"budget": "10 000 000,01"}, "id_budget", "between 0 and 10,000,000"),
    ({"budget": "1500.5055"}, "id_budget", "At most 2 digits after the decimal separator."),
    ({"budget": "1,500"}, "id_budget", "Is this thousands or a fraction?"),
    ({"currency": "XBT"}, "id_currency", "Choose one of the options"),
    ({"pathway": "999999"}, "id_pathway", "Choose one of the options"),
    ({"summary": "я" * 50_001}, "id_summary", "at most 50,000 characters"),
]


def test_bad_edits_are_refused_next_to_the_field_and_kept_as_typed(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    valid = {"version": case.version, "priority": "urgent", "currency": "EUR", "summary": "kept as typed"}
    for data, field, message in BAD_EDITS:
        response = client.post(_url(case, "edit/"), {**valid, **data})
        assert response.status_code == 400, field
        page = response.content.decode()
        assert _field_error(page, field, message), field
        if "summary" not in data:
            assert "kept as typed</textarea>" in page
    saved = Case.objects.get(pk=case.pk)
    assert saved.version == case.version and saved.budget_minor is None


def test_a_long_russian_summary_fits_in_one_request(world: World, client_for, case: Case) -> None:
    # URL-encoded, 50,000 Cyrillic letters are 300 kB, over the request limit; the form is multipart.
    client = client_for(world.bob)
    assert 'enctype="multipart/form-data"' in client.get(_url(case, "edit/")).content.decode()
    summary = "я" * 50_000
    data = {"version": str(case.version), "priority": "urgent", "currency": "EUR", "summary": summary}
    assert client.post(_url(case, "edit/"), data).status_code == 302  # the test client sends multipart


def test_a_stale_edit_is_a_conflict_that_keeps_what_was_typed(world: World, client_for, case: Case) -> None:
    stale = case.version
    do_change_stage(actor=world.bob.user, keyring=ring(world.bob), case=case, stage=Stage.DOCUMENTS, version=stale)
    data = {"version": stale, "priority": "normal", "currency": "EUR", "summary": "My careful rewrite"}
    response = client_for(world.bob).post(_url(case, "edit/"), data)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this case while you were editing it." in page
    assert "My careful rewrite" in page
    assert f'name="version" value="{case.version}"' in page
    saved = Case.objects.get(pk=case.pk)
    assert saved.priority == Priority.URGENT and saved.stage == Stage.DOCUMENTS


# --- the team ------------------------------------------------------------------------------------


def test_a_member_added_to_the_team_reads_the_case_and_loses_it_when_removed(
    world: World, client_for, case: Case
) -> None:
    bob, bella = client_for(world.bob), client_for(world.bella)
    assert bella.get(_url(case)).status_code == 404
    response = bob.post(_url(case, "team/"), {"team-member": str(world.bella.user.pk)})
    assert response.status_code == 302
    assert "SUMMARY-CANARY" in bella.get(_url(case)).content.decode()
    confirm = bob.get(_url(case, f"team/{world.bella.user.pk}/remove/"))
    assert confirm.status_code == 200 and "Remove bella from the team?" in confirm.content.decode()
    assert TeamMember.objects.filter(case=case, user=world.bella.user).exists()
    response = bob.post(_url(case, f"team/{world.bella.user.pk}/remove/"))
    assert response.status_code == 302
    assert not TeamMember.objects.filter(case=case, user=world.bella.user).exists()
    assert bella.get(_url(case)).status_code == 404
    assert bella.post(_url(case, "notes/"), {"note-body": "still here?"}).status_code == 404
    page = bob.get(_url(case)).content.decode()
    assert "bella was removed from the team." in page
    assert "key of the case was rotated" in page or "keys of the case were rotated" in page


def test_the_team_changes_its_lead(world: World, client_for, case: Case) -> None:
    do_add_team_member(actor=world.bob.user, keyring=ring(world.bob), case=case, member=world.bella.user)
    bob = client_for(world.bob)
    page = bob.get(_url(case)).content.decode()
    assert "Make bella the lead" in page and "Lead the case" not in page  # Bob leads already
    response = bob.post(_url(case, f"team/{world.bella.user.pk}/lead/"))
    assert response.status_code == 302 and response["Location"].endswith("#team")
    assert list(TeamMember.objects.filter(case=case, lead=True).values_list("user__username", flat=True)) == ["bella"]
    page = bob.get(_url(case)).content.decode()
    assert "bella leads the case now." in page  # the message, and the timeline
    assert "Lead the case" in page and "Make bella the lead" not in page
    assert AuditEntry.objects.filter(code=AuditEvent.TEAM_LEAD_CHANGED, object_id=str(case.pk)).count() == 1
    # Again: nothing changes, nothing more is written.
    assert bob.post(_url(case, f"team/{world.bella.user.pk}/lead/")).status_code == 302
    assert AuditEntry.objects.filter(code=AuditEvent.TEAM_LEAD_CHANGED, object_id=str(case.pk)).count() == 1
    # Someone not on the team, or no one at all: 404, and the lead stays.
    for who in (world.alice.user.pk, uuid.uuid4()):
        assert bob.post(_url(case, f"team/{who}/lead/")).status_code == 404
    assert bob.get(_url(case, f"team/{world.bella.user.pk}/lead/")).status_code == 405
    assert TeamMember.objects.get(case=case, lead=True).user == world.bella.user


def test_only_colleagues_who_may_hold_cases_can_join_a_team(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    for candidate in (world.charlie.user.pk, world.audrey.user.pk, world.bob.user.pk, uuid.uuid4(), "<script>"):
        response = client.post(_url(case, "team/"), {"team-member": str(candidate)})
        assert response.status_code == 400, candidate
        assert _field_error(response.content.decode(), "id_team-member", "Choose one of the options"), candidate
    assert list(TeamMember.objects.filter(case=case).values_list("user__username", flat=True)) == ["bob"]


def test_the_last_member_cannot_leave(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    page = client.get(_url(case)).content.decode()
    assert "Leave the team" not in page
    response = client.post(_url(case, f"team/{world.bob.user.pk}/remove/"))
    assert response.status_code == 400
    assert "A case needs at least one member on its team." in response.content.decode()
    assert TeamMember.objects.filter(case=case).count() == 1
    assert client.get(_url(case, f"team/{uuid.uuid4()}/remove/")).status_code == 404


def test_a_member_who_leaves_loses_the_case_and_the_rest_rotate_its_keys(world: World, client_for, case: Case) -> None:
    do_add_team_member(actor=world.bob.user, keyring=ring(world.bob), case=case, member=world.bella.user)
    bella = client_for(world.bella)
    assert "Leave the team" in bella.get(_url(case)).content.decode()
    assert (
        "Leave the team of this case?" in bella.get(_url(case, f"team/{world.bella.user.pk}/remove/")).content.decode()
    )
    response = bella.post(_url(case, f"team/{world.bella.user.pk}/remove/"))
    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert f"You have left the team of case {case.reference}." in bella.get("/cases/").content.decode()
    assert bella.get(_url(case)).status_code == 404
    # She made no new key on her way out: Bob rotates what she held.
    assert Key.objects.get(pk=case.key_id).rotation_due
    bob = client_for(world.bob)
    assert "Rotate the pending keys" in bob.get(_url(case)).content.decode()
    assert bob.post(_url(case, "rotate/")).status_code == 302
    assert not Key.objects.filter(pk__in=[case.key_id, case.request.key_id], rotation_due=True).exists()
    assert "SUMMARY-CANARY" in bob.get(_url(case)).content.decode()


def test_removing_a_member_says_which_keys_wait_for_someone_else(world: World, client_for, case: Case) -> None:
    # Bob alone holds the requester's identity compartment; Bella takes him off the team.
    do_add_team_member(actor=world.bob.user, keyring=ring(world.bob), case=case, member=world.bella.user)
    bella = client_for(world.bella)
    pseudonym = Person.objects.get(case=case).pseudonym
    asking = bella.get(_url(case, f"team/{world.bob.user.pk}/remove/")).content.decode()
    assert "Only they can open these parts of the file:" in asking
    assert f"<li>Legal identity — {pseudonym}</li>" in asking
    assert "only the organisation's recovery key can" in asking
    # Bella holds no compartment alone: leaving herself warns of nothing.
    assert "parts of the file" not in bella.get(_url(case, f"team/{world.bella.user.pk}/remove/")).content.decode()
    response = bella.post(_url(case, f"team/{world.bob.user.pk}/remove/"))
    assert response.status_code == 302
    page = bella.get(response["Location"]).content.decode()
    assert "bob is no longer on the team." in page
    assert "1 key they held is not yours to open" in page
    assert "Rotate the pending keys" in page
    after = bella.get(bella.post(_url(case, "rotate/"))["Location"]).content.decode()
    assert "No key could be rotated by you" in after


def test_pending_keys_are_offered_for_rotation_and_rotated(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    assert "Rotate the pending keys" not in client.get(_url(case)).content.decode()
    Key.objects.filter(pk=case.key_id).update(rotation_due=True)
    assert "Rotate the pending keys" in client.get(_url(case)).content.decode()
    response = client.post(_url(case, "rotate/"))
    assert response.status_code == 302
    key = Key.objects.get(pk=case.key_id)
    assert not key.rotation_due and key.version == 2
    page = client.get(response["Location"]).content.decode()
    assert "1 key was rotated." in page and "SUMMARY-CANARY" in page


# --- documents and the conversation ----------------------------------------------------------------


def test_a_document_is_uploaded_stripped_and_downloaded_with_safe_headers(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    png = io.BytesIO(_png())
    png.name = "Ivan passport.png"
    response = client.post(_url(case, "documents/"), {"document-file": png})
    assert response.status_code == 302
    document = CaseDocument.objects.get(case=case)
    page = client.get(_url(case)).content.decode()
    assert f'href="/cases/{case.pk}/documents/{document.pk}/">Ivan passport.png</a>' in page
    download = client.get(_url(case, f"documents/{document.pk}/"))
    assert download.status_code == 200
    assert download.content.startswith(b"\x89PNG")
    assert download["Content-Type"] == "image/png"
    assert "Ivan" not in download["Content-Disposition"] and case.reference in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "no-store"
    assert "sandbox" in download["Content-Security-Policy"]
    assert AuditEntry.objects.filter(code=AuditEvent.DOCUMENT_READ, object_id=str(case.pk)).count() == 1
    assert client.get(_url(case, f"documents/{uuid.uuid4()}/")).status_code == 404
    assert client_for(world.alice).get(_url(case, f"documents/{document.pk}/")).status_code == 404


def test_a_bad_document_is_refused_next_to_the_field(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    for content, message in (
        (b"MZ\x90\x00 not a document", "We cannot accept"),
        (b"", "is empty"),
        (None, "Choose a file to upload."),
    ):
        data: dict[str, Any] = {}
        if content is not None:
            upload = io.BytesIO(content)
            upload.name = "tool.exe"
            data["document-file"] = upload
        response = client.post(_url(case, "documents/"), data)
        assert response.status_code == 400, message
        assert _field_error(response.content.decode(), "id_document-file", message), message
    assert not CaseDocument.objects.exists()


def test_the_team_talks_with_the_requester_from_the_case(world: World, client_for, submission: Submission) -> None:
    case = _case(submission)
    access = access_by_receipt(submission.receipt)
    do_requester_message(
        request=access.request,
        secret=access.secret,
        body="Are you there?",
        uploads=[CleanUpload(kind="png", data=_png(), name="photo.png")],
    )
    client = client_for(world.bob)
    page = client.get(_url(case)).content.decode()
    assert "Are you there?" in page
    stored = case.request.files.get()
    assert f'href="/cases/{case.pk}/messages/files/{stored.pk}/">photo.png</a>' in page
    assert client.get(_url(case, f"messages/files/{stored.pk}/")).content.startswith(b"\x89PNG")
    response = client.post(_url(case, "messages/"), {"message-body": "Yes. We have a place for you."})
    assert response.status_code == 302
    again = access_by_receipt(submission.receipt)
    assert read_messages(again.request, again.secret)[-1].text == "Yes. We have a place for you."
    empty = client.post(_url(case, "messages/"), {"message-body": " "})
    assert empty.status_code == 400
    assert _field_error(empty.content.decode(), "id_message-body", "Write a message first.")
    long = client.post(_url(case, "messages/"), {"message-body": "x" * 10_001})
    assert long.status_code == 400
    assert _field_error(long.content.decode(), "id_message-body", "at most 10,000 characters")
    assert RequestMessage.objects.filter(request=case.request).count() == 2


def test_the_case_page_reads_as_many_rows_of_the_database_however_long_the_case(
    world: World, client_for, submission: Submission
) -> None:
    """No query per note, task, message or timeline entry: a long case costs what a short one does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case, keyring, client = _case(submission), ring(world.bob), client_for(world.bob)
    access = access_by_receipt(submission.receipt)

    def add_one_of_each(number: int) -> None:
        do_add_note(actor=world.bob.user, keyring=keyring, case=case, body=f"Note {number}")
        do_add_task(
            actor=world.bob.user, keyring=keyring, case=case, title=f"Task {number}", due_on=None, owner=world.bob.user
        )
        do_requester_message(request=access.request, secret=access.secret, body=f"Question {number}")
        do_message_requester(actor=world.bob.user, keyring=keyring, case=case, body=f"Answer {number}")

    def queries() -> int:
        client.get(_url(case))  # the session and caches settle first
        with CaptureQueriesContext(connection) as captured:
            assert "Answer" in client.get(_url(case)).content.decode()
        return len(captured.captured_queries)

    add_one_of_each(0)
    short = queries()
    for number in range(1, 6):
        add_one_of_each(number)
    assert queries() == short


def test_hostile_posts_get_a_clear_answer_never_a_500(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    form = "application/x-www-form-urlencoded"
    for tail in ("notes/", "tasks/", "expenses/", "stage/", "team/", "messages/", "lost-contact/", "edit/"):
        assert client.post(_url(case, tail), b"note-body=%FF%FE", content_type=form).status_code in {302, 400}
        assert client.post(_url(case, tail), b"x=" + b"a" * 400_000, content_type=form).status_code == 400
    for tail in ("notes/", "tasks/", "expenses/", "stage/", "team/", "messages/", "rotate/", "documents/"):
        assert client.get(_url(case, tail)).status_code == 405
    assert Note.objects.count() <= 1
    assert not CaseEvent.objects.filter(case=case, kind__in=["task", "expense", "stage"]).exists()


def test_the_case_pages_render_in_russian(world: World, client_for, case: Case) -> None:
    client = client_for(world.bob)
    for path in ("/cases/", _url(case), _url(case, "edit/")):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="ru")
        assert response.status_code == 200
        assert 'lang="ru"' in response.content.decode()


def test_the_timeline_tells_what_happened_in_sentences(world: World, client_for, case: Case) -> None:
    bob = ring(world.bob)
    pathway = Pathway.objects.order_by("pk").first()
    assert pathway is not None

    def edit(**changes: Any) -> None:
        current = Case.objects.get(pk=case.pk)
        fields = {
            "priority": current.priority,
            "pathway": None,
            "budget_minor": None,
            "currency": "EUR",
            "summary": "s",
        }
        do_edit_case(actor=world.bob.user, keyring=bob, case=case, version=current.version, **fields | changes)

    edit(pathway=pathway, budget_minor=90050)
    edit()
    edit(priority=Priority.EMERGENCY)
    person = do_add_person(actor=world.bob.user, keyring=bob, case=case, role="partner")
    do_add_expense(
        actor=world.bob.user,
        keyring=bob,
        case=case,
        category="visa_fees",
        amount_minor=7550,
        currency="GEL",
        spent_on=timezone.localdate(),
    )
    # Recorded before amounts had cents and their own currency: whole units of the case's currency.
    add_event(case, bob.secret_for(case.key), "expense", world.bob.user, {"category": "food", "amount": 40})
    # A budget set before cases 0011: whole units too.
    add_event(case, bob.secret_for(case.key), "edited", world.bob.user, {"budget": [700, "USD"]})
    current = Case.objects.get(pk=case.pk)
    do_change_stage(
        actor=world.bob.user,
        keyring=bob,
        case=case,
        stage=Stage.CLOSED,
        version=current.version,
        closing_reason="referred",
    )
    # A detail the page does not know is shown as stored, never a 500.
    add_event(case, bob.secret_for(case.key), "stage", world.bob.user, {"from": "limbo", "to": 7})
    page = client_for(world.bob).get(_url(case)).content.decode()
    for sentence in (
        f"Pathway set to {pathway.short_name}.",
        "Budget set to 900.50 EUR.",
        "Budget set to 700.00 USD.",
        "Pathway removed. Budget removed.",
        "Priority changed from Urgent to Emergency; the due date moved with it.",
        f"{person.pseudonym} was added to the case (partner).",
        "Expense recorded: 75.50 GEL for visa fees.",
        "Expense recorded: 40 EUR for food.",
        "Case closed: Referred elsewhere.",
        "Stage changed from limbo to 7.",
    ):
        assert sentence in page, sentence


def test_files_of_the_conversation_and_documents_are_reached_only_through_their_case(
    world: World, client_for, submission: Submission, caplog: pytest.LogCaptureFixture
) -> None:
    case = _case(submission)
    other = _case(_open_case(world, [world.bob]))
    access = access_by_receipt(submission.receipt)
    do_requester_message(
        request=access.request,
        secret=access.secret,
        body="",
        uploads=[CleanUpload(kind="png", data=_png(), name="a.png")],
    )
    stored = case.request.files.get()
    upload = CleanUpload(kind="png", data=_png(), name="b.png")
    document = do_add_document(actor=world.bob.user, keyring=ring(world.bob), case=case, upload=upload)
    client = client_for(world.bob)
    assert client.get(_url(other, f"messages/files/{stored.pk}/")).status_code == 404
    assert client.get(_url(other, f"documents/{document.pk}/")).status_code == 404
    assert client.get(_url(case, f"messages/files/{uuid.uuid4()}/")).status_code == 404
    # A document whose ciphertext was swapped for another's does not open: said, not sent.
    second = do_add_document(actor=world.bob.user, keyring=ring(world.bob), case=case, upload=upload)
    CaseDocument.objects.filter(pk=document.pk).update(data=CaseDocument.objects.get(pk=second.pk).data)
    response = client.get(_url(case, f"documents/{document.pk}/"))
    assert response.status_code == 302
    assert "could not be decrypted" in client.get(response["Location"]).content.decode()
    assert "may have been tampered with" in caplog.text
