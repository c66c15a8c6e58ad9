"""The coordinators' retention page: rules set (audited), the next 30 days' plan by reference, legal holds.

The clock is the real one: a rule of 0 days makes a case closed today due today, and one of
20 days makes it due within the 30 days the page shows.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from refuge.audit.models import AuditEntry
from refuge.cases.actions.details import do_change_stage
from refuge.cases.attach import do_attach_request
from refuge.cases.models import Case, ClosingReason, Stage
from refuge.intake.actions.submissions import do_submit_request
from refuge.intake.models import HelpRequest
from refuge.retention.actions import do_set_rule, shred_due
from refuge.retention.audit_events import OperationsEvent
from refuge.retention.models import LegalHold, RetentionRule, Subject
from refuge.retention.queries import due_items
from tests.personas import World
from tests.workspace.people_support import ANSWERS, open_case, ring

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
EMPTY_RULES = {subject.value: "" for subject in Subject}


def _closed_case(world: World) -> Case:
    case = open_case(world, team=[world.alice, world.bob])
    do_change_stage(
        actor=world.alice.user,
        keyring=ring(world.alice),
        case=case,
        stage=Stage.CLOSED,
        version=case.version,
        closing_reason=ClosingReason.WITHDREW,  # relocated needs an arrival recorded first
    )
    case.refresh_from_db()
    return case


def _rule_entries() -> int:
    return AuditEntry.objects.filter(code=OperationsEvent.RULE_SET).count()


def test_a_coordinator_sets_the_rules_and_each_change_is_audited(world: World, client_for) -> None:
    alice = client_for(world.alice)
    page = alice.get("/organisation/retention/")
    assert page.status_code == 200 and "Rules" in page.content.decode()
    before = _rule_entries()
    answer = alice.post("/organisation/retention/", {**EMPTY_RULES, "closed_case": "365", "evidence": "90"})
    assert answer.status_code == 302
    rules = dict(RetentionRule.objects.filter(organisation=world.north).values_list("subject", "days"))
    assert rules == {"closed_case": 365, "evidence": 90}
    assert _rule_entries() == before + 2
    # The same rules again change nothing and write nothing; an emptied field removes its rule.
    alice.post("/organisation/retention/", {**EMPTY_RULES, "closed_case": "365", "evidence": "90"})
    assert _rule_entries() == before + 2
    alice.post("/organisation/retention/", {**EMPTY_RULES, "closed_case": "365"})
    assert dict(RetentionRule.objects.filter(organisation=world.north).values_list("subject", "days")) == {
        "closed_case": 365
    }
    assert _rule_entries() == before + 3
    shown = alice.get("/organisation/retention/").content.decode()
    assert 'name="closed_case" value="365"' in shown


@pytest.mark.parametrize("days", ["-1", "3654", "a year", "1e3"])
def test_a_bad_number_of_days_is_refused_next_to_its_field_and_nothing_changes(
    world: World, client_for, days: str
) -> None:
    do_set_rule(actor=None, organisation=world.north, subject="closed_case", days=30)
    before = _rule_entries()
    answer = client_for(world.alice).post(
        "/organisation/retention/", {**EMPTY_RULES, "closed_case": "400", "declined_case": days}
    )
    assert answer.status_code == 400
    assert 'aria-invalid="true"' in re.search(r'<input[^>]*name="declined_case"[^>]*>', answer.content.decode()).group(
        0
    )
    assert dict(RetentionRule.objects.filter(organisation=world.north).values_list("subject", "days")) == {
        "closed_case": 30
    }
    assert _rule_entries() == before


def test_only_coordinators_reach_the_page(world: World, client_for) -> None:
    for persona in (world.bob, world.ivan, world.audrey, world.adam):
        assert client_for(persona).get("/organisation/retention/").status_code == 404
        assert (
            client_for(persona).post("/organisation/retention/", {**EMPTY_RULES, "closed_case": "1"}).status_code == 404
        )
    assert not RetentionRule.objects.exists()


def test_the_plan_names_due_cases_and_requests_by_reference_and_counts_them(world: World, client_for) -> None:
    case = _closed_case(world)
    request = do_submit_request(
        organisation=world.north, answers={**ANSWERS, "what_happened": "CANARY-PLAN"}, urgency="now", language="en"
    ).request
    do_set_rule(actor=None, organisation=world.north, subject="closed_case", days=20)
    do_set_rule(actor=None, organisation=world.north, subject="unused_receipt", days=10)
    page = client_for(world.alice).get("/organisation/retention/").content.decode()
    due = (TODAY + datetime.timedelta(days=20)).isoformat()
    assert f"case {case.reference}" in page and due in page
    assert f"request {request.reference}" in page
    # References and dates only: nothing a requester wrote.
    assert "CANARY" not in page and "Иван" not in page
    counts = dict(re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", page))
    assert counts[str(Subject.CLOSED_CASE.label)] == "1"
    assert counts[str(Subject.UNUSED_RECEIPT.label)] == "1"


def test_a_hold_from_the_plan_takes_the_case_off_it_until_lifted(world: World, client_for) -> None:
    case = _closed_case(world)
    do_set_rule(actor=None, organisation=world.north, subject="closed_case", days=0)
    alice = client_for(world.alice)
    assert [item.id for item in due_items(world.north, today=TODAY)] == [case.pk]
    answer = alice.post(f"/organisation/retention/cases/{case.pk}/hold/")
    assert answer.status_code == 302 and answer["Location"] == "/organisation/retention/"
    assert LegalHold.objects.filter(case=case, held_since=TODAY).exists()
    assert due_items(world.north, today=TODAY) == []
    assert AuditEntry.objects.filter(code=OperationsEvent.LEGAL_HOLD_SET, object_id=str(case.pk)).exists()
    page = alice.get("/organisation/retention/").content.decode()
    assert f"case {case.reference}" in page and "Lift the legal hold" in page
    alice.post(f"/organisation/retention/cases/{case.pk}/release/")
    assert not LegalHold.objects.filter(case=case).exists()
    assert AuditEntry.objects.filter(code=OperationsEvent.LEGAL_HOLD_LIFTED, object_id=str(case.pk)).exists()
    assert [item.id for item in due_items(world.north, today=TODAY)] == [case.pk]


def test_a_request_is_held_from_the_plan(world: World, client_for) -> None:
    request = do_submit_request(organisation=world.north, answers=ANSWERS, urgency="now", language="en").request
    answer = client_for(world.alice).post(f"/organisation/retention/requests/{request.pk}/hold/")
    assert answer.status_code == 302
    assert LegalHold.objects.filter(request=request).exists()


def test_the_case_page_shows_the_hold_to_a_coordinator_on_the_team_and_off_it(world: World, client_for) -> None:
    on_team = _closed_case(world)
    off_team = open_case(world, team=[world.bob])
    do_set_rule(actor=None, organisation=world.north, subject="closed_case", days=20)
    alice = client_for(world.alice)
    page = alice.get(f"/cases/{on_team.pk}/").content.decode()
    assert 'id="retention"' in page and '<a href="#retention">' in page
    due = (TODAY + datetime.timedelta(days=20)).isoformat()
    assert f"will be crypto-shredded on {due}" in page
    answer = alice.post(f"/organisation/retention/cases/{on_team.pk}/hold/", {"back": "case"})
    assert answer["Location"] == f"/cases/{on_team.pk}/#retention"
    assert "On legal hold since" in alice.get(f"/cases/{on_team.pk}/").content.decode()
    outline = alice.get(f"/cases/{off_team.pk}/").content.decode()
    assert "outline only" in outline
    assert 'id="retention"' in outline and "Put on legal hold" in outline
    alice.post(f"/organisation/retention/cases/{off_team.pk}/hold/", {"back": "case"})
    assert LegalHold.objects.filter(case=off_team).exists()


def test_a_caseworker_sees_no_retention_section_and_cannot_hold(world: World, client_for) -> None:
    case = _closed_case(world)
    bob = client_for(world.bob)
    assert 'id="retention"' not in bob.get(f"/cases/{case.pk}/").content.decode()
    assert bob.post(f"/organisation/retention/cases/{case.pk}/hold/", {"back": "case"}).status_code == 404
    assert not LegalHold.objects.exists()


def test_an_unknown_decision_is_the_missing_page(world: World, client_for) -> None:
    case = _closed_case(world)
    assert client_for(world.alice).post(f"/organisation/retention/cases/{case.pk}/forever/").status_code == 404
    assert not LegalHold.objects.exists()


def test_a_coordinator_holds_and_lifts_a_request_from_its_page(world: World, client_for) -> None:
    request = do_submit_request(organisation=world.north, answers=ANSWERS, urgency="now", language="en").request
    do_set_rule(actor=None, organisation=world.north, subject="unused_receipt", days=10)
    alice = client_for(world.alice)
    path = f"/requests/{request.pk}/"
    page = alice.get(path).content.decode()
    due = (request.last_activity_at.date() + datetime.timedelta(days=10)).isoformat()
    assert 'id="retention"' in page and f"will be crypto-shredded on {due}" in page
    answer = alice.post(f"/organisation/retention/requests/{request.pk}/hold/", {"back": "request"})
    assert answer.status_code == 302 and answer["Location"] == f"{path}#retention"
    assert LegalHold.objects.filter(request=request, held_since=TODAY).exists()
    assert AuditEntry.objects.filter(code=OperationsEvent.LEGAL_HOLD_SET, object_id=str(request.pk)).exists()
    assert due_items(world.north, today=TODAY, within_days=10) == []
    page = alice.get(path).content.decode()
    assert "On legal hold since" in page and "Lift the legal hold" in page
    answer = alice.post(f"/organisation/retention/requests/{request.pk}/release/", {"back": "request"})
    assert answer["Location"] == f"{path}#retention"
    assert not LegalHold.objects.filter(request=request).exists()
    assert [item.id for item in due_items(world.north, today=TODAY, within_days=10)] == [request.pk]


def test_intake_sees_no_retention_section_on_a_request_and_cannot_hold_it(world: World, client_for) -> None:
    request = do_submit_request(organisation=world.north, answers=ANSWERS, urgency="now", language="en").request
    ivan = client_for(world.ivan)
    page = ivan.get(f"/requests/{request.pk}/")
    assert page.status_code == 200 and 'id="retention"' not in page.content.decode()
    assert ivan.post(f"/organisation/retention/requests/{request.pk}/hold/", {"back": "request"}).status_code == 404
    assert not LegalHold.objects.exists()


def test_a_request_in_a_case_or_attached_to_one_is_kept_with_the_case(world: World, client_for) -> None:
    case = open_case(world, team=[world.alice, world.ivan])
    later = do_submit_request(organisation=world.north, answers=ANSWERS, urgency="now", language="en").request
    do_attach_request(actor=world.ivan.user, keyring=ring(world.ivan), case=case, request=later)
    do_set_rule(actor=None, organisation=world.north, subject="unused_receipt", days=0)
    # Neither is listed nor shredded while their case lives: the case's own rule decides.
    assert due_items(world.north, today=TODAY + datetime.timedelta(days=1)) == []
    report = shred_due(today=TODAY + datetime.timedelta(days=1))
    assert not report.by_subject and HelpRequest.objects.filter(pk=later.pk).exists()
    alice = client_for(world.alice)
    for request in (case.request, later):
        page = alice.get(f"/requests/{request.pk}/").content.decode()
        assert "is kept, held and shredded with its case" in page and "Put on legal hold" not in page
