"""The retention page and a case's legal hold in a real browser, JavaScript off.

A coordinator sets a rule, sees a closed case in the next 30 days' plan, puts it on legal
hold from the case page and lifts it from the retention page; and holds a request from its
page in the inbox and lifts it there. The page checks (axe-core and
vnu, tests/browser/pagechecks.py) judge every page visited here, in both languages.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from refuge.cases.actions.details import do_change_stage
from refuge.cases.models import ClosingReason, Stage
from refuge.intake.actions.submissions import do_submit_request
from refuge.retention.actions import do_set_rule
from refuge.retention.models import LegalHold, RetentionRule
from tests.browser.test_day_of_work import _log_in, _shot
from tests.personas import World, world  # noqa: F401
from tests.workspace.people_support import ANSWERS, open_case, ring

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_sets_a_rule_and_holds_a_case_due_for_shredding(
    live_server,
    new_page,
    world: World,  # noqa: F811
) -> None:
    case = open_case(world, team=[world.alice, world.bob])
    do_change_stage(
        actor=world.alice.user,
        keyring=ring(world.alice),
        case=case,
        stage=Stage.CLOSED,
        version=case.version,
        closing_reason=ClosingReason.WITHDREW,  # relocated needs an arrival recorded first
    )
    page: Page = new_page(java_script_enabled=False)
    base = live_server.url
    _log_in(page, base, world.alice)
    page.goto(base + "/organisation/")
    page.get_by_role("link", name="Retention rules and legal holds").click()
    expect(page.get_by_text("Nothing is due in this time.")).to_be_visible()
    page.get_by_label("Closed cases (from the day they were closed)").fill("20")
    page.get_by_role("button", name="Save the rules").click()
    expect(page.get_by_text("The retention rules are saved.")).to_be_visible()
    assert RetentionRule.objects.get(organisation=world.north).days == 20
    expect(page.get_by_role("cell", name=f"case {case.reference}")).to_be_visible()
    _shot(page, "workspace-retention-en")
    page.goto(f"{base}/cases/{case.pk}/#retention")
    page.get_by_role("button", name="Put on legal hold").click()
    expect(page.get_by_text("On legal hold since")).to_be_visible()
    assert LegalHold.objects.filter(case=case).exists()
    page.get_by_role("link", name="The organisation's retention rules").click()
    expect(page.get_by_role("link", name=f"case {case.reference}")).to_be_visible()
    page.get_by_role("button", name=re.compile(rf"^Lift the legal hold\W+{case.reference}$")).click()
    expect(page.get_by_text("the retention rules apply to it again")).to_be_visible()
    assert not LegalHold.objects.filter(case=case).exists()


def test_a_coordinator_holds_a_request_from_its_page_and_lifts_it_there(
    live_server,
    new_page,
    world: World,  # noqa: F811
) -> None:
    request = do_submit_request(organisation=world.north, answers=ANSWERS, urgency="now", language="en").request
    do_set_rule(actor=None, organisation=world.north, subject="unused_receipt", days=10)
    page: Page = new_page(java_script_enabled=False)
    base = live_server.url
    _log_in(page, base, world.alice)
    page.goto(f"{base}/requests/{request.pk}/")
    expect(page.get_by_text("will be crypto-shredded on")).to_be_visible()
    page.get_by_role("button", name="Put on legal hold").click()
    expect(page.get_by_text("On legal hold since")).to_be_visible()
    assert page.url.endswith(f"/requests/{request.pk}/#retention")
    assert LegalHold.objects.filter(request=request).exists()
    page.get_by_role("button", name="Lift the legal hold").click()
    expect(page.get_by_text("the retention rules apply to it again")).to_be_visible()
    assert not LegalHold.objects.filter(request=request).exists()
