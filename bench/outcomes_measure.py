"""DESIGN.md §7: outcome statistics over 100,000 applications in under 1 s; the advisor under 150 ms p95.

Run by `bench/run.py outcomes` (bench/outcomes.py: SQLite, and PostgreSQL with `--postgres`), which
writes its section of BENCHMARKS.md; or by hand with pytest (it borrows the test harness for a fresh
database; add REFUGE_TEST_DATABASE=postgres for PostgreSQL):

    .venv/bin/pytest bench/outcomes_measure.py -s -p no:randomly

With REFUGE_BENCH_OUTPUT=FILE it also writes every sample (seconds) to FILE as JSON, for bench/outcomes.py;
with REFUGE_BENCH_PROFILE=1 it prints where the time of the outcomes and the advisor goes (cProfile), and
the plan of every query they send (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL).

One organisation with 100,000 applications over 2,000 cases (a fifth of them arrived) and the 15 shared pathways
(written in bulk: statuses, months and days to decision as the actions write them, the
encrypted folder as random bytes, since neither measurement decrypts it), and a second
organisation with 5,000 more that must not be counted. The rows are committed and the planner's
statistics gathered as a running installation has them (SQLite: the full ANALYZE `refuge serve` runs
at start; PostgreSQL: VACUUM ANALYZE, as autovacuum does after inserts). It times `outcomes()` for the
coordinator (every application) and for a caseworker on 40 cases, and the advisor's work for
one person (the organisation's history per pathway, then `advise`), and prints a table. It
asserts the counts, not the times: a benchmark reports a miss, it does not fail a build.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import statistics
import time
import uuid
from pathlib import Path

import pytest

from refuge.accounts.models import Role
from refuge.applications.advisor import Candidate, Facts, advise
from refuge.applications.models import Application, Journey, Status
from refuge.applications.outcomes import Filters, outcomes
from refuge.applications.queries import history_by_pathway
from refuge.applications.tally import recount
from refuge.cases.models import Case, Person, TeamMember
from refuge.relocation.models import Pathway
from tests.personas import client_for, make_member  # noqa: F401  (the fixture `world` comes from tests.personas)
from tests.personas import world as world
from tests.workspace.people_support import open_case

# Committed, not in a test transaction: PostgreSQL can then vacuum them, as it would in use.
pytestmark = pytest.mark.django_db(transaction=True)
APPLICATIONS = int(os.environ.get("REFUGE_BENCH_APPLICATIONS", "100000"))
ADVISOR_RUNS = int(os.environ.get("REFUGE_BENCH_ADVISOR_RUNS", "100"))
OUTCOME_RUNS = int(os.environ.get("REFUGE_BENCH_OUTCOME_RUNS", "10"))
CASES = 2000
STATUSES = (
    [Status.GRANTED] * 3 + [Status.REFUSED] * 3 + [Status.WITHDRAWN, Status.SUBMITTED, Status.INTERVIEW, Status.APPEAL]
)


def _cases(template: Case, count: int) -> list[Case]:
    rows = [
        Case(
            organisation_id=template.organisation_id,
            reference=f"B-{index:06d}"[:12],
            key_id=template.key_id,
            priority=template.priority,
            stage="applying",
            opened_on=template.opened_on,
            due_on=template.due_on,
            stage_changed_on=template.stage_changed_on,
            last_activity_on=template.last_activity_on,
            summary=b"\0" * 64,
        )
        for index in range(count)
    ]
    return Case.objects.bulk_create(rows, batch_size=1000)


def _applications(org_id: uuid.UUID, cases: list[Case], person: Person, count: int, rng: random.Random) -> None:
    pathways = list(Pathway.objects.values_list("pk", flat=True))
    key_id = cases[0].key_id
    batch = []
    for index in range(count):
        status = rng.choice(STATUSES)
        decided = status in (Status.GRANTED, Status.REFUSED, Status.WITHDRAWN)
        month = datetime.date(2020 + index % 6, 1 + index % 12, 1)
        batch.append(
            Application(
                organisation_id=org_id,
                case=cases[index % len(cases)],
                person=person,
                pathway_id=rng.choice(pathways),
                key_id=key_id,
                status=status,
                submitted_month=month,
                decided_month=month if decided else None,
                decision_days=rng.randint(5, 400) if decided else None,
                details=os.urandom(200),
            )
        )
        if len(batch) == 5000:
            Application.objects.bulk_create(batch)
            batch = []
    Application.objects.bulk_create(batch)


def _arrivals(cases: list[Case], rng: random.Random) -> None:
    Journey.objects.bulk_create(
        Journey(
            case=case,
            key_id=case.key_id,
            departed_month=datetime.date(2025, 1, 1),
            arrived_month=datetime.date(2025, 2, 1),
            days_to_arrival=rng.randint(30, 600),
            details=os.urandom(100),
        )
        for case in cases
    )


def _timed(function, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def test_outcomes_and_the_advisor_over_100000_applications(world) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(12)
    template = open_case(world)
    person = Person.objects.filter(case=template).first()
    assert person is not None
    cases = _cases(template, CASES)
    _applications(world.north.pk, cases, person, APPLICATIONS, rng)
    # Another organisation's applications: never counted.
    south_case = _cases_of_south(world)
    _applications(world.south.pk, [south_case], Person.objects.filter(case=south_case).get(), 5000, rng)
    recount(world.north.pk)  # the advisor's decision counts, as the migration counts applications already stored
    recount(world.south.pk)
    _arrivals(cases[::5], rng)  # a fifth of the cases arrived: the days from first request to arrival
    caseworker = make_member(world.north, "benchworker", Role.CASEWORKER).user
    TeamMember.objects.bulk_create(
        [TeamMember(case=case, user=caseworker, added_on=case.opened_on) for case in cases[:40]]
    )
    coordinator = world.alice.refresh().user

    _planner_statistics()
    rows = outcomes(coordinator, Filters())
    assert sum(row.submitted for row in rows) == APPLICATIONS
    coordinator_ms = _timed(lambda: outcomes(coordinator, Filters()), OUTCOME_RUNS)
    caseworker_ms = _timed(lambda: outcomes(caseworker, Filters()), OUTCOME_RUNS)
    candidates = [
        Candidate(p.pk, p.country, p.short_name, tuple(p.hard_requirements), tuple(p.checklist), p.processing_days)
        for p in Pathway.objects.all()
    ]
    facts = Facts(outside_origin=False, international_passport=True, family_tie=False)
    advisor_ms = _timed(lambda: advise(candidates, facts, history_by_pathway(world.north.pk)), ADVISOR_RUNS)
    if os.environ.get("REFUGE_BENCH_PROFILE"):
        _profile("outcomes, coordinator", lambda: outcomes(coordinator, Filters()), 3)
        _profile("outcomes, caseworker", lambda: outcomes(caseworker, Filters()), 3)
        _profile("advisor", lambda: advise(candidates, facts, history_by_pathway(world.north.pk)), 20)
    p95 = sorted(advisor_ms)[int(0.95 * len(advisor_ms)) - 1]
    vendor = __import__("django.db", fromlist=["connection"]).connection.vendor
    output = os.environ.get("REFUGE_BENCH_OUTPUT")
    if output:
        samples = {"coordinator": coordinator_ms, "caseworker": caseworker_ms, "advisor": advisor_ms}
        written = {name: [ms / 1000 for ms in times] for name, times in samples.items()}
        Path(output).write_text(json.dumps(written | {"vendor": vendor, "applications": APPLICATIONS}))
    print(
        f"\n| measurement ({vendor}, {APPLICATIONS:,} applications) | median ms | max ms | target |\n|---|---|---|---|\n"
        f"| outcomes, coordinator (every application) | {statistics.median(coordinator_ms):.0f} | {max(coordinator_ms):.0f} | < 1000 |\n"
        f"| outcomes, caseworker on 40 of 2,000 cases | {statistics.median(caseworker_ms):.0f} | {max(caseworker_ms):.0f} | < 1000 |\n"
        f"| advisor (history + ranking), p95 {p95:.0f} ms | {statistics.median(advisor_ms):.0f} | {max(advisor_ms):.0f} | p95 < 150 |"
    )


def _cases_of_south(world):  # type: ignore[no-untyped-def]
    from refuge.cases.actions.opening import do_accept_request
    from refuge.intake.actions.submissions import do_submit_request
    from tests.workspace.people_support import ring

    request = do_submit_request(
        organisation=world.south, answers={"what_happened": "x"}, urgency="now", language="en"
    ).request
    charlie = world.charlie
    return do_accept_request(
        actor=charlie.user,
        keyring=ring(charlie),
        request=request,
        team=[charlie.user],
        lead=charlie.user,
        priority="normal",
    )


def _planner_statistics() -> None:
    from django.db import connection

    from refuge.ops.db_maintenance import refresh_planner_statistics

    if connection.vendor == "sqlite":
        refresh_planner_statistics()
    else:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _profile(what: str, function, runs: int) -> None:  # type: ignore[no-untyped-def]
    """Where the time goes (cProfile over `runs` calls), then the plan of each query one call sends."""
    import cProfile
    import pstats

    from django.db import connection

    profiler = cProfile.Profile()
    profiler.runcall(lambda: [function() for _ in range(runs)])
    print(f"\n===== {what}: {runs} calls under cProfile")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(14)
    sent: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        function()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    for sql, params in sent:
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql, params)
            plan = cursor.fetchall()
        lines = (
            [f"{row[0]} {row[1]} {row[3]}" for row in plan]
            if connection.vendor == "sqlite"
            else [row[0] for row in plan]
        )
        print(f"\n--- {sql[:400]}\n" + "\n".join(lines))
