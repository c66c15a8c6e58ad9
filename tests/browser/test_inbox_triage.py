"""Intake triages the inbox in a real browser, JavaScript off, in English and Russian (issue #16, items 8 and 14).

An intake member ticks a flood's requests and declines them with one form, merges a request
written twice after a lost receipt, links two requests, and attaches a new request to a case
whose team they are on, then finds it on the case and answers its requester there. Every page
visited, with its forms and their refusals, goes through axe-core and the Nu HTML Checker
(conftest.check_pages). Fields and buttons are found by their ids and form addresses, so one
test reads both languages; what it checks is what was stored and what the pages show.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from refuge.cases.actions.opening import do_accept_request
from refuge.cases.models import Case, Priority
from refuge.intake.actions.submissions import Submission, do_submit_request
from refuge.intake.models import HelpRequest, MergedRequest, RequesterStatus, RequestLink, RequestMessage
from refuge.keyring.keyring import Keyring
from tests.personas import Persona, World, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _submit(world: World, story: str, urgency: str = "weeks") -> Submission:  # noqa: F811
    return do_submit_request(organisation=world.north, answers={"what_happened": story}, urgency=urgency, language="ru")


def _log_in(page: Page, base: str, persona: Persona) -> None:
    # By the fields' ids: the labels are in the page's language.
    page.goto(f"{base}/login/")
    page.locator("#id_organisation").fill(persona.org_slug)
    page.locator("#id_username").fill(persona.user.username)
    page.locator("#id_password").fill(persona.password)
    page.locator("#id_code").fill(persona.code())
    page.locator("form.form button[type=submit]").first.click()
    page.wait_for_load_state()


def _send(page: Page, action: str) -> None:
    """Press the submit button of the form posting to `action`, and wait for the page it leads to."""
    page.locator(f'form[action="{action}"] button[type=submit]').first.click()
    page.wait_for_load_state()


def _status(submission: Submission) -> str:
    return HelpRequest.objects.get(pk=submission.request.pk).status


@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
def test_intake_declines_a_flood_merges_links_and_attaches_without_javascript(
    live_server,
    new_page,
    world: World,  # noqa: F811
    locale: str,
) -> None:
    ivan = world.ivan
    opened = _submit(world, "They took my phone at the checkpoint.")
    do_accept_request(
        actor=ivan.user,
        keyring=Keyring(ivan.refresh().user, ivan.private_key),
        request=opened.request,
        team=[ivan.user, world.bob.user],
        priority=Priority.URGENT,
    )
    case = Case.objects.get(request=opened.request)
    flood = [_submit(world, f"Free money for everyone, click the link {n}", urgency="now") for n in range(3)]
    lost = _submit(world, "Мы в подвале у друзей, нужен адвокат.")
    again = _submit(world, "Это снова я, потерял код. Мы в подвале у друзей.")
    later = _submit(world, "I wrote before and my case is open: they came back last night.")
    base = live_server.url

    page = new_page(java_script_enabled=False, locale=locale)
    _log_in(page, base, ivan)
    page.goto(f"{base}/requests/?show=list")
    assert page.locator("html").get_attribute("lang") == locale[:2]

    # Bulk decline: nothing ticked is refused next to the list and declines nothing.
    page.locator("#bulk-list-confirm").check()
    _send(page, "/requests/decline/")
    assert all(_status(one) == RequesterStatus.RECEIVED for one in flood)
    # The flood ticked, a message of the team's own, confirmed: all three declined at once.
    page.goto(f"{base}/requests/?show=list")
    for one in flood:
        page.locator(f"#decline-{one.request.pk}").check()
    page.locator("#bulk-list-message").fill("We cannot help with this request.")
    page.locator("#bulk-list-confirm").check()
    _send(page, "/requests/decline/")
    assert [_status(one) for one in flood] == [RequesterStatus.DECLINED] * 3
    for one in flood:
        expect(page.get_by_role("link", name=one.request.reference, exact=True)).to_have_count(0)
        reply = RequestMessage.objects.get(request=one.request, from_requester=False)
        assert reply.author_id == ivan.user.pk
    for kept in (lost, again, later):
        expect(page.get_by_role("link", name=kept.request.reference, exact=True)).to_be_visible()

    # Merge: the request written again goes into the first one; merging it into itself is refused.
    page.get_by_role("link", name=again.request.reference, exact=True).click()
    merge = f"/requests/{again.request.pk}/merge/"
    page.locator("#id_merge_reference").fill(again.request.reference)
    _send(page, merge)
    expect(page.locator("#id_merge_reference")).to_have_attribute("aria-invalid", "true")
    assert not MergedRequest.objects.filter(request=again.request).exists()
    page.locator("#id_merge_reference").fill(lost.request.reference)
    page.locator(f'form[action="{merge}"] input[name=direction][value=into_other]').check()
    _send(page, merge)
    assert MergedRequest.objects.get(request=again.request).into_id == lost.request.pk
    expect(page.locator(".alert").get_by_role("link", name=lost.request.reference, exact=True)).to_be_visible()
    # The one kept shows the merged request's story on its own page.
    page.goto(f"{base}/requests/{lost.request.pk}/")
    expect(page.get_by_text("Это снова я, потерял код.")).to_be_visible()

    # Link: the kept request and the later one, named by its reference.
    link = f"/requests/{lost.request.pk}/link/"
    page.locator(f'form[action="{link}"] input[name=reference]').fill(later.request.reference)
    _send(page, link)
    assert RequestLink.objects.filter(organisation=world.north).count() == 1
    expect(page.get_by_role("link", name=later.request.reference, exact=True).first).to_be_visible()

    # Attach: a case whose team Ivan is on, named by its reference; a case that is not there is refused first.
    page.goto(f"{base}/requests/{later.request.pk}/")
    attach = f"/requests/{later.request.pk}/attach/"
    page.locator(f'form[action="{attach}"] input[name=case]').fill("C-XXXXXX")
    _send(page, attach)
    assert _status(later) == RequesterStatus.RECEIVED
    page.locator(f'form[action="{attach}"] input[name=case]').first.fill(case.reference)
    _send(page, attach)
    assert _status(later) == RequesterStatus.ACCEPTED
    assert MergedRequest.objects.get(request=later.request).into_id == opened.request.pk

    # On the case: the attached request's story, and an answer to its requester from there.
    page.goto(f"{base}/cases/{case.pk}/")
    attached = page.locator("#attached")
    expect(attached).to_contain_text(later.request.reference)
    expect(attached.get_by_text("they came back last night.")).to_be_visible()
    page.locator(f"#attached-body-{later.request.pk}").fill("We read it. Call us tonight.")
    _send(page, f"/cases/{case.pk}/attached/reply/")
    assert RequestMessage.objects.filter(request=later.request, from_requester=False).count() == 1
    expect(page.locator("#attached").get_by_text("We read it. Call us tonight.")).to_be_visible()
