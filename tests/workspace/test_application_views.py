"""Applications on a case: the advisor, starting one from it, the folder, appointments as tasks, the status history."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from refuge.applications.models import Application, Status, StatusChange
from refuge.audit.models import AuditEntry
from refuge.cases.models import Case, Task, TaskKind
from refuge.relocation.audit_events import RelocationEvent
from refuge.relocation.models import Pathway
from tests.personas import World
from tests.workspace.people_support import open_case, requester_of

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
INSIDE = {
    "advisor-outside_origin": "no",
    "advisor-international_passport": "yes",
    "advisor-family_tie": "no",
    "advisor-family_countries": "",
    "advisor-hrd_status": "unknown",
    "advisor-referral_partner": "unknown",
}


@pytest.fixture
def case(world: World) -> Case:
    return open_case(world)  # team: Alice and Bob


def _start(client: Client, case: Case, pathway: Pathway) -> Application:
    person = requester_of(case)
    response = client.post(
        f"/cases/{case.pk}/applications/new/",
        {"application-person": str(person.pk), "application-pathway": str(pathway.pk)},
    )
    application = Application.objects.get(case=case, pathway=pathway)
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/applications/{application.pk}/"
    return application


def _status(client: Client, application: Application, status: str, on: datetime.date, **extra: str) -> int:
    data = {"status-status": status, "status-on": on.isoformat(), **{f"status-{k}": v for k, v in extra.items()}}
    return client.post(f"/cases/{application.case_id}/applications/{application.pk}/status/", data).status_code


def test_the_advisor_leaves_out_pathways_for_people_outside_the_country_with_the_reason(
    world: World, client_for, case: Case
) -> None:
    alice = client_for(world.alice)
    person = requester_of(case)
    page = alice.post(f"/cases/{case.pk}/advisor/", {"advisor-person": str(person.pk), **INSIDE}).content.decode()
    ranked, _sep, excluded = page.partition("Left out, and why")
    assert "Lithuania: Humanitarian visa" in ranked
    assert "Canada: Government-Assisted Refugees" in excluded
    assert "Must be outside the country of origin" in excluded
    assert "Fewer than 5 decided: too few to judge" in ranked
    # What was answered is not in the address, and nothing is stored.
    assert Application.objects.count() == 0


def test_an_application_started_from_the_advisor_gets_the_pathways_checklist(
    world: World, client_for, case: Case
) -> None:
    alice = client_for(world.alice)
    lithuania = Pathway.objects.get(country="Lithuania")
    application = _start(alice, case, lithuania)
    assert application.status == Status.PREPARING and application.submitted_month is None
    page = alice.get(f"/cases/{case.pk}/applications/{application.pk}/").content.decode()
    assert "International passport (valid at least 6 months)" in page
    assert AuditEntry.objects.filter(code=RelocationEvent.APPLICATION_READ, object_id=str(application.pk)).exists()
    assert "Lithuania: Humanitarian visa" in alice.get(f"/cases/{case.pk}/").content.decode()


def test_an_application_is_started_on_its_own_page_linked_from_the_case(world: World, client_for, case: Case) -> None:
    alice = client_for(world.alice)
    start = f"/cases/{case.pk}/applications/new/"
    # The case page links to the start page and does not build the pathway list itself.
    case_page = alice.get(f"/cases/{case.pk}/").content.decode()
    assert f'href="{start}"' in case_page and "application-pathway" not in case_page
    page = alice.get(start)
    assert page.status_code == 200
    assert (
        "Lithuania: Humanitarian visa" in page.content.decode()
        and requester_of(case).pseudonym in page.content.decode()
    )
    # A pathway that is not offered: the page again, saying why, and nothing started.
    refused = alice.post(start, {"application-person": str(requester_of(case).pk), "application-pathway": "x"})
    assert refused.status_code == 400 and 'id="id_application-pathway"' in refused.content.decode()
    assert "aria-invalid" in refused.content.decode() and Application.objects.count() == 0
    application = _start(alice, case, Pathway.objects.get(country="Lithuania"))
    assert application.status == Status.PREPARING


def test_the_folder_is_saved_encrypted_and_a_stale_form_is_refused(world: World, client_for, case: Case) -> None:
    alice = client_for(world.alice)
    application = _start(alice, case, Pathway.objects.get(country="Lithuania"))
    url = f"/cases/{case.pk}/applications/{application.pk}/folder/"
    data = {
        "folder-embassy": "Embassy of Lithuania",
        "folder-city": "Moscow",
        "folder-references": "LT-2017-0042",
        "folder-fees_paid": "EUR 80",
        "folder-ready_0": "on",
        "folder-version": "1",
    }
    assert alice.post(url, data).status_code == 302
    application.refresh_from_db()
    assert b"LT-2017-0042" not in bytes(application.details) and b"Moscow" not in bytes(application.details)
    page = alice.get(f"/cases/{case.pk}/applications/{application.pk}/").content.decode()
    assert "LT-2017-0042" in page and "1 of 3 documents ready" in page
    assert alice.post(url, data).status_code == 409  # read at version 1, now at 2


def test_an_appointment_becomes_a_task_on_the_owners_home_page(world: World, client_for, case: Case) -> None:
    alice = client_for(world.alice)
    application = _start(alice, case, Pathway.objects.get(country="Lithuania"))
    on = TODAY + datetime.timedelta(days=3)
    response = alice.post(
        f"/cases/{case.pk}/applications/{application.pk}/appointments/",
        {
            "appointment-on": on.isoformat(),
            "appointment-what": "Fingerprints at the visa centre",
            "appointment-owner": str(world.bob.user.pk),
        },
    )
    assert response.status_code == 302
    task = Task.objects.get(case=case, kind=TaskKind.APPOINTMENT)
    assert task.due_on == on and task.owner_id == world.bob.user.pk
    assert "Appointment: Fingerprints at the visa centre" in client_for(world.bob).get("/").content.decode()


def test_status_changes_are_dated_attributed_and_give_the_days_to_decision(
    world: World, client_for, case: Case
) -> None:
    alice = client_for(world.alice)
    application = _start(alice, case, Pathway.objects.get(country="Lithuania"))
    submitted = TODAY - datetime.timedelta(days=40)
    assert _status(alice, application, "granted", TODAY) == 400  # not from "preparing"
    assert _status(alice, application, "submitted", submitted) == 302
    assert _status(alice, application, "refused", submitted - datetime.timedelta(days=1)) == 400
    assert _status(alice, application, "refused", TODAY - datetime.timedelta(days=12), refusal_reason="No ties") == 302
    application.refresh_from_db()
    assert application.status == Status.REFUSED
    assert application.submitted_month == submitted.replace(day=1)
    assert application.decision_days == 28
    steps = list(StatusChange.objects.filter(application=application).values_list("seq", "status", "actor__username"))
    assert steps == [(1, "preparing", "alice"), (2, "submitted", "alice"), (3, "refused", "alice")]
    page = alice.get(f"/cases/{case.pk}/applications/{application.pk}/").content.decode()
    assert "No ties" in page and submitted.isoformat() in page
    assert _status(alice, application, "submitted", TODAY) == 400  # a refusal can only be appealed


def test_a_granted_visa_raises_a_task_before_it_ends(world: World, client_for, case: Case) -> None:
    alice = client_for(world.alice)
    application = _start(alice, case, Pathway.objects.get(country="Latvia"))
    _status(alice, application, "submitted", TODAY - datetime.timedelta(days=10))
    ends = TODAY + datetime.timedelta(days=90)
    assert _status(alice, application, "granted", TODAY, visa_type="D", valid_until=ends.isoformat()) == 302
    task = Task.objects.get(case=case, due_on=ends - datetime.timedelta(days=30))
    assert task.owner_id == world.alice.user.pk


def test_applications_are_the_teams_only(world: World, client_for, case: Case) -> None:
    application = _start(client_for(world.alice), case, Pathway.objects.get(country="Lithuania"))
    assert client_for(world.charlie).get(f"/cases/{case.pk}/applications/{application.pk}/").status_code == 404
    assert client_for(world.bella).get(f"/cases/{case.pk}/applications/{application.pk}/").status_code == 404
    assert client_for(world.bella).post(f"/cases/{case.pk}/advisor/", INSIDE).status_code == 404


def test_the_case_page_lists_the_applications_once_there_are_some(world: World, client_for, case: Case) -> None:  # type: ignore[no-untyped-def]
    alice = client_for(world.alice)

    def panel() -> str:
        page = alice.get(f"/cases/{case.pk}/").content.decode()
        start = page.index('id="applications"')
        return page[start : page.index("</section>", start)]

    assert "No applications yet." in panel()
    application = _start(alice, case, Pathway.objects.get(country="Lithuania"))
    shown = panel()
    assert "No applications yet." not in shown and f'href="/cases/{case.pk}/applications/{application.pk}/"' in shown
    assert requester_of(case).pseudonym in shown and "Lithuania: " in shown
