"""Accepting a request in the workspace: the case opens for the chosen team, intake lets go."""

from __future__ import annotations

import re
import uuid

import pytest

from refuge.cases.models import Case, Priority, TeamMember
from refuge.intake.models import HelpRequest, RequesterStatus
from tests.personas import World
from tests.workspace.people_support import submit


@pytest.fixture
def request_(world: World) -> HelpRequest:
    return submit(world)


def _url(help_request: HelpRequest) -> str:
    return f"/requests/{help_request.pk}/accept/"


def test_the_request_page_offers_to_accept_it(world: World, client_for, request_: HelpRequest) -> None:
    page = client_for(world.ivan).get(f"/requests/{request_.pk}/").content.decode()
    assert f'href="{_url(request_)}"' in page and "Accept and open a case" in page


def test_the_form_lists_the_people_who_can_be_on_a_team(world: World, client_for, request_: HelpRequest) -> None:
    page = client_for(world.ivan).get(_url(request_)).content.decode()
    for name in ("alice", "bob", "bella", "ivan"):
        assert f"{name} (" in page
    for name in ("audrey", "adam", "charlie"):
        assert f"{name} (" not in page
    assert "safe within about 7 days" in page and "about 6 weeks" in page and "about 12 months" in page


def test_intake_accepts_a_request_for_a_team_and_loses_it_from_the_inbox(
    world: World, client_for, request_: HelpRequest
) -> None:
    ivan = client_for(world.ivan)
    data = {"priority": Priority.EMERGENCY, "team": [str(world.bob.user.pk), str(world.bella.user.pk)]}
    response = ivan.post(_url(request_), data)
    # Ivan is not on the team: back to the requests, not to a case he cannot open.
    assert response.status_code == 302 and response["Location"] == "/requests/"
    case = Case.objects.get(request=request_)
    assert case.priority == Priority.EMERGENCY
    assert set(TeamMember.objects.filter(case=case).values_list("user__username", flat=True)) == {"bob", "bella"}
    # The first chosen in the list's order (caseworkers first, then by name) leads.
    assert TeamMember.objects.get(case=case, lead=True).user == world.bella.user
    request_.refresh_from_db()
    assert request_.status == RequesterStatus.ACCEPTED
    inbox = ivan.get("/requests/").content.decode()
    assert f"The case {case.reference} is open." in inbox
    assert request_.reference not in inbox
    person = case.people.get()
    assert client_for(world.bob).get(f"/cases/{case.pk}/people/{person.pk}/").status_code == 200
    assert client_for(world.ivan).get(f"/cases/{case.pk}/people/{person.pk}/").status_code == 404


def test_intake_chooses_who_leads_the_case(world: World, client_for, request_: HelpRequest) -> None:
    page = client_for(world.ivan).get(_url(request_)).content.decode()
    assert "Who leads the case" in page and "The first one ticked in the team" in page
    team = [str(world.bob.user.pk), str(world.bella.user.pk)]
    response = client_for(world.ivan).post(_url(request_), {"priority": "urgent", "team": team, "lead": team[0]})
    assert response.status_code == 302
    case = Case.objects.get(request=request_)
    assert list(TeamMember.objects.filter(case=case, lead=True).values_list("user__username", flat=True)) == ["bob"]


def test_a_lead_who_is_not_ticked_in_the_team_is_refused(world: World, client_for, request_: HelpRequest) -> None:
    data = {"priority": "urgent", "team": [str(world.bella.user.pk)], "lead": str(world.bob.user.pk)}
    response = client_for(world.ivan).post(_url(request_), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The lead must be on the team: tick them in the team too." in page
    assert not Case.objects.exists()
    # What was chosen is still chosen.
    assert re.search(rf'<input type="checkbox" name="team" value="{world.bella.user.pk}"[^>]* checked>', page)


def test_accepting_onto_ones_own_team_opens_the_case(world: World, client_for, request_: HelpRequest) -> None:
    response = client_for(world.alice).post(_url(request_), {"priority": "urgent", "team": [str(world.alice.user.pk)]})
    case = Case.objects.get(request=request_)
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"priority": "urgent"}, "Choose at least one member for the team."),
        ({"priority": "urgent", "team": ["not-a-uuid"]}, "This person cannot be on a case team."),
        ({"priority": "urgent", "team": [str(uuid.uuid4())]}, "This person cannot be on a case team."),
        ({"priority": "soon", "team": ["BOB"]}, "Choose a priority."),
        ({"team": ["BOB"]}, "Choose a priority."),
        ({"priority": "urgent", "team": ["AUDREY"]}, "This person cannot be on a case team."),
        ({"priority": "urgent", "team": ["CHARLIE"]}, "This person cannot be on a case team."),
        ({"priority": "urgent", "team": ["BOB"], "lead": "CHARLIE"}, "This person cannot be on a case team."),
        ({"priority": "urgent", "team": ["BOB"], "lead": "not-a-uuid"}, "This person cannot be on a case team."),
    ],
)
def test_bad_accept_input_is_refused_and_opens_no_case(
    world: World, client_for, request_: HelpRequest, data: dict[str, object], message: str
) -> None:
    ids = {"BOB": world.bob.user.pk, "AUDREY": world.audrey.user.pk, "CHARLIE": world.charlie.user.pk}
    if "team" in data:
        data = {**data, "team": [str(ids.get(value, value)) for value in data["team"]]}  # type: ignore[attr-defined]
    if "lead" in data:
        data = {**data, "lead": str(ids.get(str(data["lead"]), data["lead"]))}
    response = client_for(world.ivan).post(_url(request_), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Case.objects.exists()
    request_.refresh_from_db()
    assert request_.status != RequesterStatus.ACCEPTED


def test_a_request_is_accepted_only_once(world: World, client_for, request_: HelpRequest) -> None:
    data = {"priority": "normal", "team": [str(world.bob.user.pk)]}
    assert client_for(world.alice).post(_url(request_), data).status_code == 302
    again = client_for(world.alice).post(_url(request_), data)
    assert again.status_code == 400 and "already been accepted" in again.content.decode()
    assert Case.objects.count() == 1


def test_only_intake_and_coordinators_of_the_organisation_accept(
    world: World, client_for, request_: HelpRequest
) -> None:
    data = {"priority": "normal", "team": [str(world.bob.user.pk)]}
    for persona in (world.bob, world.audrey, world.adam, world.charlie):
        client = client_for(persona)
        assert client.get(_url(request_)).status_code == 404
        assert client.post(_url(request_), data).status_code == 404
    assert client_for(world.ivan).get(f"/requests/{uuid.uuid4()}/accept/").status_code == 404
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("urgency", "priority"),
    [("now", Priority.EMERGENCY), ("weeks", Priority.URGENT), ("later", Priority.NORMAL)],
)
def test_the_priority_offered_first_follows_the_requesters_urgency(
    world: World, client_for, request_: HelpRequest, urgency: str, priority: str
) -> None:
    HelpRequest.objects.filter(pk=request_.pk).update(urgency=urgency)
    page = client_for(world.ivan).get(_url(request_)).content.decode()
    checked = re.findall(r'<input type="radio" name="priority" value="(\w+)"[^>]* checked>', page)
    assert checked == [priority]
