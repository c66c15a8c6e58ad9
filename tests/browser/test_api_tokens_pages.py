"""The API tokens pages in a real browser, JavaScript off: make a token (shown once), see it listed, revoke it.

The page checks (axe-core and vnu, tests/browser/pagechecks.py) judge every page visited here."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from refuge.accounts.models import ApiToken
from tests.browser.test_day_of_work import _log_in, _shot
from tests.personas import World, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_makes_lists_and_revokes_a_token(live_server, new_page, world: World) -> None:  # noqa: F811
    page: Page = new_page(java_script_enabled=False)
    base = live_server.url
    _log_in(page, base, world.ivan)
    page.goto(base + "/account/")
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()
    page.get_by_role("link", name="Make or revoke API tokens").click()
    page.get_by_label("Name").fill("referral bridge")
    page.get_by_label("Send referrals to intake").check()
    page.get_by_role("button", name="Make the token").click()
    expect(page.get_by_role("heading", name="Your new API token")).to_be_visible()
    secret = page.locator("code").inner_text()
    assert secret.startswith("refuge_")
    _shot(page, "workspace-api-token-made-en")
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("cell", name="referral bridge")).to_be_visible()
    assert secret not in page.content()
    _shot(page, "workspace-api-tokens-en")
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("The token is revoked: it no longer works.")).to_be_visible()
    assert ApiToken.objects.get(member=world.ivan.user).revoked_at is not None
