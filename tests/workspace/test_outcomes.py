"""The outcomes page and its CSV: counts and days computed by hand, per viewer, never another organisation's."""

from __future__ import annotations

import csv
import datetime
import io

import pytest

from refuge.applications import travel
from refuge.applications.actions import do_change_status, do_start_application
from refuge.applications.details import Decision
from refuge.applications.models import Application
from refuge.applications.outcomes import Filters, outcomes, percentile
from refuge.cases.models import Case
from refuge.relocation.models import Pathway
from tests.personas import Persona, World
from tests.workspace.people_support import open_case, requester_of, ring

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def _days(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def _application(persona: Persona, case: Case, country: str, *steps: tuple[str, int]) -> Application:
    user = persona.refresh().user
    application = do_start_application(
        actor=user,
        keyring=ring(persona),
        case=case,
        person=requester_of(case),
        pathway=Pathway.objects.get(country=country),
    )
    for status, ago in steps:
        do_change_status(
            actor=user,
            keyring=ring(persona),
            application=application,
            status=status,
            on=_days(ago),
            decision=Decision(),
        )
    return application


@pytest.fixture
def history(world: World) -> dict[str, Case]:
    ours = open_case(world)  # Alice and Bob
    bellas = open_case(world, team=[world.bella])
    _application(world.bob, ours, "Lithuania", ("submitted", 40), ("refused", 12))  # 28 days
    _application(world.bob, ours, "Latvia", ("submitted", 30), ("granted", 10))  # 20 days
    _application(world.bella, bellas, "Lithuania", ("submitted", 50), ("granted", 10))  # 40 days
    _application(world.bella, bellas, "Lithuania")  # preparing: not submitted, not counted
    _application(world.bella, bellas, "Lithuania", ("submitted", 5))  # pending
    Case.objects.filter(pk=ours.pk).update(opened_on=_days(62))  # first request 60 days before the arrival
    ours.refresh_from_db()
    bob = ring(world.bob)
    travel.do_add_travel_leg(
        actor=world.bob.user, keyring=bob, case=ours, leg=travel.Leg(_days(3).isoformat(), "Nalchik", "Riga")
    )
    checks = travel.Departure(_days(3).isoformat(), True, True, True, True)
    travel.do_record_departure(actor=world.bob.user, keyring=bob, case=ours, departure=checks)
    travel.do_record_arrival(
        actor=world.bob.user, keyring=bob, case=ours, arrival=travel.Arrival(_days(2).isoformat()), owner=None
    )
    theirs = open_case_of_south(world)
    _application(world.charlie, theirs, "Lithuania", ("submitted", 9), ("granted", 1))
    return {"ours": ours, "bellas": bellas}


def open_case_of_south(world: World) -> Case:
    from refuge.cases.actions.opening import do_accept_request
    from refuge.intake.actions.submissions import do_submit_request

    request = do_submit_request(
        organisation=world.south, answers={"what_happened": "x"}, urgency="now", language="en"
    ).request
    return do_accept_request(
        actor=world.charlie.user,
        keyring=ring(world.charlie),
        request=request,
        team=[world.charlie.user],
        lead=world.charlie.user,
        priority="normal",
    )


def _table(rows: list) -> dict[str, tuple]:  # type: ignore[type-arg]
    return {
        row.country: (
            row.submitted,
            row.granted,
            row.refused,
            row.withdrawn,
            row.pending,
            row.to_decision.median,
            row.to_decision.p90,
            row.to_arrival.values,
        )
        for row in rows
    }


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([28, 40], 0.9) == 40
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile([], 0.5) is None


def test_a_coordinator_counts_the_organisations_cases_and_no_other_organisations(
    world: World, history: dict[str, Case]
) -> None:
    table = _table(outcomes(world.alice.refresh().user, Filters()))
    # Lithuania: 28 and 40 days (median 34, p90 40), one pending; south's grant is not counted.
    assert table == {"Latvia": (1, 1, 0, 0, 0, 20.0, 20.0, [60]), "Lithuania": (3, 1, 1, 0, 1, 34.0, 40.0, [])}


def test_a_caseworker_counts_only_the_cases_they_are_on(world: World, history: dict[str, Case]) -> None:
    table = _table(outcomes(world.bob.refresh().user, Filters()))
    assert table == {"Latvia": (1, 1, 0, 0, 0, 20.0, 20.0, [60]), "Lithuania": (1, 0, 1, 0, 0, 28.0, 28.0, [])}


def test_filters_by_team_member_and_period(world: World, history: dict[str, Case]) -> None:
    alice = world.alice.refresh().user
    assert _table(outcomes(alice, Filters(member=world.bella.user))) == {"Lithuania": (2, 1, 0, 0, 1, 40.0, 40.0, [])}
    next_month = (TODAY.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    assert outcomes(alice, Filters(since=next_month)) == []
    assert len(outcomes(alice, Filters(since=_days(60), until=TODAY))) == 2


def test_the_page_and_its_csv_show_the_same_numbers(world: World, client_for, history: dict[str, Case]) -> None:
    alice = client_for(world.alice)
    page = alice.get("/outcomes/").content.decode()
    assert "<svg" in page and "too few to judge" in page and "34 / 40" in page
    exported = list(csv.DictReader(io.StringIO(alice.get("/outcomes/outcomes.csv").content.decode())))
    lithuania = next(row for row in exported if row["destination"] == "Lithuania")
    assert (lithuania["submitted"], lithuania["granted"], lithuania["refused"], lithuania["pending"]) == (
        "3",
        "1",
        "1",
        "1",
    )
    assert (lithuania["median_days_to_decision"], lithuania["p90_days_to_decision"], lithuania["small_sample"]) == (
        "34",
        "40",
        "yes",
    )
    latvia = next(row for row in exported if row["destination"] == "Latvia")
    assert latvia["median_days_request_to_arrival"] == "60"
    bobs = list(csv.DictReader(io.StringIO(client_for(world.bob).get("/outcomes/outcomes.csv").content.decode())))
    assert [(row["destination"], row["submitted"]) for row in bobs] == [("Latvia", "1"), ("Lithuania", "1")]


def test_a_bad_filter_is_refused_with_a_message(world: World, client_for) -> None:
    response = client_for(world.alice).get("/outcomes/", {"since": "31.12.2025"})
    assert response.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in response.content.decode()


def test_a_member_on_no_case_counts_nothing(world: World) -> None:
    assert outcomes(world.bella.refresh().user, Filters()) == []
