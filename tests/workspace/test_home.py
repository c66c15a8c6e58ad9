"""The home page: what needs each member today, and nothing of other teams' cases."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from refuge.cases.actions.details import do_set_lost_contact
from refuge.cases.actions.tasks import do_add_task
from refuge.cases.models import Case, Priority, TaskKind
from refuge.intake.actions.messages import do_requester_message
from tests.personas import World
from tests.workspace.people_support import new_shelter, open_case, place, requester_of, ring

TODAY = datetime.date.today()


def _days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def _task(world: World, case: Case, title: str, due_on: datetime.date, kind: str = TaskKind.TASK) -> None:
    do_add_task(
        actor=world.bob.user,
        keyring=ring(world.bob),
        case=case,
        title=title,
        due_on=due_on,
        owner=world.bob.user,
        kind=kind,
    )


def test_nothing_to_do_says_so(world: World, client_for) -> None:
    for persona in (world.bob, world.ivan, world.alice, world.audrey, world.adam):
        page = client_for(persona).get("/").content.decode()
        assert "Nothing needs you right now" in page, persona.user.username


def test_emergency_cases_for_the_team_and_the_coordinator(world: World, client_for) -> None:
    emergency = open_case(world, team=[world.bob], priority=Priority.EMERGENCY)
    normal = open_case(world, team=[world.bob], priority=Priority.NORMAL)
    bob = client_for(world.bob).get("/").content.decode()
    assert "Emergency cases of your teams" in bob
    assert f'href="/cases/{emergency.pk}/">{emergency.reference}</a>' in bob
    assert normal.reference not in bob
    # Alice coordinates: every emergency case of the organisation, team or not.
    alice = client_for(world.alice).get("/").content.decode()
    assert "Emergency cases of the organisation" in alice and emergency.reference in alice
    # Bella is on neither team; Charlie is in another organisation.
    for persona in (world.bella, world.charlie):
        assert emergency.reference not in client_for(persona).get("/").content.decode()


def test_my_tasks_overdue_and_this_week_with_their_titles(world: World, client_for) -> None:
    case = open_case(world)
    _task(world, case, "Call the embassy CANARY-OVERDUE", _days(-2))
    _task(world, case, "Buy the tickets CANARY-SOON", _days(3))
    _task(world, case, "Renew the visa CANARY-LATER", _days(30))
    do_add_task(
        actor=world.alice.user,
        keyring=ring(world.alice),
        case=case,
        title="Alice's own CANARY-ALICE",
        due_on=_days(1),
        owner=world.alice.user,
    )
    page = client_for(world.bob).get("/").content.decode()
    assert "CANARY-OVERDUE" in page and "CANARY-SOON" in page
    assert "CANARY-LATER" not in page and "CANARY-ALICE" not in page
    assert page.index("CANARY-OVERDUE") < page.index("CANARY-SOON")
    assert "Overdue" in page
    assert "CANARY-ALICE" in client_for(world.alice).get("/").content.decode()
    assert "CANARY" not in client_for(world.bella).get("/").content.decode()


def test_a_task_whose_title_cannot_be_opened_is_still_listed(world: World, client_for) -> None:
    case = open_case(world)
    _task(world, case, "CANARY-TAMPERED", _days(1))
    case.tasks.update(title=b"\x00" * 60)
    response = client_for(world.bob).get("/")
    assert response.status_code == 200
    assert "The title could not be opened" in response.content.decode()


def test_upcoming_appointments_of_the_member(world: World, client_for) -> None:
    case = open_case(world)
    _task(world, case, "Embassy interview CANARY-APPOINTMENT", _days(5), kind=TaskKind.APPOINTMENT)
    _task(world, case, "Far away CANARY-FAR", _days(40), kind=TaskKind.APPOINTMENT)
    page = client_for(world.bob).get("/").content.decode()
    assert "Your appointments in the next two weeks" in page and "CANARY-APPOINTMENT" in page
    assert "CANARY-FAR" not in page
    # Alice is on the team but does not go; Bella is not on the team.
    for persona in (world.alice, world.bella):
        assert "CANARY-APPOINTMENT" not in client_for(persona).get("/").content.decode()


def test_unanswered_messages_for_the_team_and_open_requests_for_intake(world: World, client_for) -> None:
    case = open_case(world, team=[world.bob])
    do_requester_message(request=case.request, secret=ring(world.bob).secret_for(case.request.key), body="Help")
    page = client_for(world.bob).get("/").content.decode()
    assert "Waiting for your reply" in page and case.reference in page
    assert case.reference not in client_for(world.bella).get("/").content.decode()
    from tests.workspace.people_support import submit

    submit(world)
    ivan = client_for(world.ivan).get("/").content.decode()
    assert "1 open request is waiting for a reply" in ivan and 'href="/requests/"' in ivan
    assert "1 open request is waiting for a reply" not in client_for(world.bob).get("/").content.decode()


def test_lost_contact_alarms(world: World, client_for) -> None:
    case = open_case(world, team=[world.bob])
    do_set_lost_contact(actor=world.bob.user, keyring=ring(world.bob), case=case, lost=True)
    for persona in (world.bob, world.alice):
        page = client_for(persona).get("/").content.decode()
        assert "Contact lost" in page and case.reference in page
    assert case.reference not in client_for(world.bella).get("/").content.decode()


def test_stays_past_their_planned_date(world: World, client_for) -> None:
    case = open_case(world, team=[world.bob])
    shelter = new_shelter(world)
    person = requester_of(case)
    place(world.bob, person, shelter, starts_on=_days(-20), planned_until=_days(-1))
    bob = client_for(world.bob).get("/").content.decode()
    assert "Stays past their planned date" in bob
    assert f'href="/cases/{case.pk}/people/{person.pk}/">{person.pseudonym}</a>' in bob
    alice = client_for(world.alice).get("/").content.decode()
    assert person.pseudonym in alice and f'href="/shelters/{shelter.pk}/"' in alice
    assert person.pseudonym not in client_for(world.bella).get("/").content.decode()


def test_the_home_page_costs_the_same_with_more_cases(world: World, client_for) -> None:
    """Bounded lists, one query each: a member with 25 cases costs what a member with 2 does."""

    def queries() -> int:
        client = client_for(world.bob)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    for _ in range(2):
        open_case(world, team=[world.bob], priority=Priority.EMERGENCY)
    few = queries()
    for _ in range(23):
        open_case(world, team=[world.bob], priority=Priority.EMERGENCY)
    assert queries() == few


def test_the_cases_link_is_for_the_roles_that_work_on_cases(world: World, client_for) -> None:
    for persona in (world.alice, world.bob, world.ivan):
        assert 'href="/cases/"' in client_for(persona).get("/").content.decode()
    for persona in (world.audrey, world.adam):
        assert 'href="/cases/"' not in client_for(persona).get("/").content.decode()


def test_the_auditors_home_links_to_the_audit_pages_and_promises_no_requests(world: World, client_for) -> None:
    page = client_for(world.audrey).get("/").content.decode()
    for path in ("/audit/", "/audit/verify/", "/audit/statistics/"):
        assert f'href="{path}"' in page
    assert "New requests" not in page
    assert "overdue tasks" not in page
