""" "Leave quickly" in a real browser: Back after it shows the receipt form, not the request."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from playwright.sync_api import Route

from refuge.intake.actions.messages import do_reply
from refuge.intake.models import HelpRequest
from refuge.keyring.keyring import Keyring
from tests.personas import World, world  # noqa: F401
from tests.requester.helpers import receipt_in, send_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXIT = "https://weather.example/today"
REPLY = "Stay where you are tonight; we call at nine."


@pytest.mark.parametrize("java_script_enabled", [False, True])
def test_after_leave_quickly_back_does_not_show_the_request(
    live_server,
    new_page,
    world: World,  # noqa: F811
    java_script_enabled: bool,
) -> None:
    receipt = receipt_in(send_request(Client()).content.decode())
    request = HelpRequest.objects.get()
    do_reply(
        actor=world.ivan.user, keyring=Keyring(world.ivan.user, world.ivan.private_key), request=request, body=REPLY
    )

    page = new_page(java_script_enabled=java_script_enabled)

    # The ordinary site is answered here: the test machine has no network.
    def neutral_site(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body="<title>Weather</title><p>Sunny</p>")

    page.route(f"{EXIT}*", neutral_site)
    with override_settings(REFUGE_QUICK_EXIT_URL=EXIT):
        page.goto(f"{live_server.url}/r/status/")
        page.get_by_label("Your receipt").fill(receipt)
        page.get_by_role("button", name="Open my request").click()
        assert page.get_by_text(REPLY).is_visible()

        page.get_by_role("link", name="Leave quickly").click()
        page.wait_for_url(EXIT)
        assert page.get_by_text("Sunny").is_visible()
        assert "__Host-refuge-portal" not in {cookie["name"] for cookie in page.context.cookies()}

        page.go_back()
        page.wait_for_url(f"{live_server.url}/r/request/")
        # The page was asked for again (not restored), and without a session it wants the receipt.
        assert page.get_by_label("Your receipt").is_visible()
        assert page.get_by_text(REPLY).count() == 0
        assert REPLY not in page.content()
