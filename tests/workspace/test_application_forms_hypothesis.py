"""Property tests of the application, advisor and travel forms: arbitrary input, never a 5xx or a partial write.

The rules of tests/workspace/test_forms_hypothesis.py, over the routes of
refuge/workspace/views/applications.py (start, folder, status, appointment, advisor) and
views/travel.py (a leg, the departure, the arrival, closing as relocated).
A refused post leaves the applications, their history, the case's tasks, events and the
audit log (reads aside) as they were.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refuge.applications.models import Application, Journey, StatusChange, TravelLeg
from refuge.audit.models import AuditEntry
from refuge.cases.models import Case, CaseEvent, Task
from refuge.relocation.audit_events import RelocationEvent
from refuge.relocation.models import Pathway
from tests.personas import World
from tests.workspace.people_support import open_case, requester_of
from tests.workspace.test_forms_hypothesis import (
    FUZZ,
    READS,
    _version,
    date,
    flag,
    form_body,
    mostly,
    note,
    one_of_ids,
    pick,
    text,
    version,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
ANSWERS = ["yes", "no", "unknown"]


def _snapshot() -> dict[str, Any]:
    reads = [int(code) for code in READS] + [int(RelocationEvent.APPLICATION_READ), int(RelocationEvent.TRAVEL_READ)]
    return {
        "applications": [
            (a.pk, a.status, a.version, bytes(a.details), a.submitted_month, a.decision_days)
            for a in Application.objects.order_by("pk")
        ],
        "history": list(StatusChange.objects.order_by("pk").values_list("pk", "seq", "status")),
        "tasks": list(Task.objects.order_by("pk").values_list("pk", "due_on", "kind")),
        "events": CaseEvent.objects.count(),
        "legs": [(leg.pk, bytes(leg.details)) for leg in TravelLeg.objects.order_by("pk")],
        "journeys": [(j.pk, bytes(j.details), j.arrived_month) for j in Journey.objects.order_by("pk")],
        "stages": list(Case.objects.order_by("pk").values_list("pk", "stage", "version")),
        "audit": list(AuditEntry.objects.exclude(code__in=reads).order_by("seq").values_list("seq", "code")),
    }


def test_application_forms_refuse_arbitrary_input_without_a_5xx_or_a_partial_write(world: World, client_for) -> None:
    alice = client_for(world.alice)
    case = open_case(world)
    other = open_case(world, team=[world.bob])  # Alice is not on its team: 404
    person = requester_of(case)
    lithuania = Pathway.objects.get(country="Lithuania")
    alice.post(
        f"/cases/{case.pk}/applications/new/",
        {"application-person": str(person.pk), "application-pathway": str(lithuania.pk)},
    )
    application = Application.objects.get(case=case)
    people = lambda: [person.pk, requester_of(other).pk]  # noqa: E731
    pathways = lambda: [p.pk for p in Pathway.objects.all()[:6]]  # noqa: E731
    members = lambda: [world.alice.user.pk, world.bob.user.pk, world.charlie.user.pk]  # noqa: E731
    base = f"/cases/{case.pk}/applications/{application.pk}/"

    @FUZZ
    @given(st.data())
    def post(data: st.DataObject) -> None:
        routes = ["start", "folder", "status", "appointment", "advisor", "leg", "departure", "arrival", "close"]
        route = data.draw(st.sampled_from(routes), label="route")
        target = data.draw(mostly(st.sampled_from([str(case.pk)] * 5 + [str(other.pk)])), label="case")
        if route == "start":
            path = f"/cases/{target}/applications/new/"
            fields = [one_of_ids("application-person", people), one_of_ids("application-pathway", pathways)]
        elif route == "folder":
            path = base + "folder/"
            fields = [
                text("folder-embassy"),
                text("folder-city"),
                text("folder-references"),
                text("folder-fees_paid"),
                flag("folder-ready_0"),
                pick("folder-document_0", [""], ["x"]),
                version("folder-version", _version(Application, pk=application.pk)),
            ]
        elif route == "status":
            path = base + "status/"
            statuses = ["submitted", "interview", "granted", "refused", "withdrawn", "appeal", "preparing"]
            fields = [
                pick("status-status", statuses, ["closed"]),
                date("status-on"),
                text("status-note"),
                text("status-visa_type"),
                date("status-valid_from"),
                date("status-valid_until"),
                text("status-refusal_reason"),
            ]
        elif route == "appointment":
            path = base + "appointments/"
            fields = [date("appointment-on"), text("appointment-what"), one_of_ids("appointment-owner", members)]
        elif route == "leg":
            path = f"/cases/{target}/travel/legs/"
            fields = [date("leg-departs_on"), text("leg-origin"), text("leg-destination"), text("leg-transit")]
            fields += [text("leg-exit_risk"), text("leg-accompanied_by"), text("leg-tickets")]
        elif route == "departure":
            path = f"/cases/{target}/travel/departure/"
            fields = [date("departure-departed_on")]
            fields += [
                flag(f"departure-{name}")
                for name in ("passport_valid", "visa_valid", "exit_risk_reviewed", "shelter_ended")
            ]
        elif route == "arrival":
            path = f"/cases/{target}/travel/arrival/"
            fields = [date("arrival-arrived_on"), text("arrival-first_address"), one_of_ids("arrival-owner", members)]
        elif route == "close":
            path, fields = f"/cases/{target}/travel/close/", []
        else:
            path = f"/cases/{target}/advisor/"
            fields = [one_of_ids("advisor-person", people), text("advisor-family_countries")]
            fields += [
                pick(f"advisor-{name}", ANSWERS, ["maybe"])
                for name in ("outside_origin", "international_passport", "family_tie", "hrd_status", "referral_partner")
            ]
        content, content_type, pairs = data.draw(form_body(fields))
        note(f"POST {path}: {[(n, str(v)[:80]) for n, v in pairs]}")
        before = _snapshot()
        response = alice.post(path, data=content, content_type=content_type)
        assert 200 <= response.status_code < 500, response.status_code
        if response.status_code >= 400 or route == "advisor":
            assert _snapshot() == before, f"{path} answered {response.status_code} but wrote"

    post()
