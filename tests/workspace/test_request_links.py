"""Linking requests (a lost receipt's two requests) and the duplicate hint for a request in a case."""

from __future__ import annotations

import pytest

from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.cases.models import Case, Priority
from refuge.intake.actions.submissions import Submission, do_submit_request
from refuge.intake.models import HelpRequest, RequestLink
from tests.personas import World

ANSWERS = {"what_happened": "Lost my receipt", "name": "Юрий Иванов", "phone": "+7 916 123-45-67"}


def _submit(world: World, organisation=None, **answers: str) -> HelpRequest:  # type: ignore[no-untyped-def]
    submission: Submission = do_submit_request(
        organisation=organisation or world.north, answers={**ANSWERS, **answers}, urgency="weeks", language="en"
    )
    return submission.request


def _entries(code: AuditEvent, request: HelpRequest) -> int:
    return AuditEntry.objects.filter(code=code, object_type="request", object_id=str(request.pk)).count()


def test_a_link_made_on_either_request_shows_on_both_and_is_removed_from_either(world: World, client_for) -> None:
    old = _submit(world)
    new = _submit(world, what_happened="I wrote before but lost the receipt")
    ivan = client_for(world.ivan)
    response = ivan.post(f"/requests/{new.pk}/link/", {"reference": old.reference.lower()})
    assert response.status_code == 302
    assert RequestLink.objects.count() == 1
    for here, there in ((new, old), (old, new)):
        page = ivan.get(f"/requests/{here.pk}/").content.decode()
        assert "Linked requests" in page
        assert f'href="/requests/{there.pk}/">{there.reference}</a>' in page
        assert f"Remove the link to {there.reference}" in page
        assert _entries(AuditEvent.REQUESTS_LINKED, here) == 1
    # Removed from the other side (the coordinator, this time): gone from both.
    alice = client_for(world.alice)
    assert alice.post(f"/requests/{old.pk}/unlink/", {"other": str(new.pk)}).status_code == 302
    assert RequestLink.objects.count() == 0
    for here, there in ((new, old), (old, new)):
        page = alice.get(f"/requests/{here.pk}/").content.decode()
        assert f"Remove the link to {there.reference}" not in page
        assert "No linked requests." in page
        assert _entries(AuditEvent.REQUESTS_UNLINKED, here) == 1
    # Linking again from the first side works: the pair is one link whichever way it was made.
    assert alice.post(f"/requests/{old.pk}/link/", {"reference": new.reference}).status_code == 302
    assert RequestLink.objects.count() == 1


@pytest.mark.parametrize(
    ("reference", "error"),
    [
        ("", "Enter the other request&#x27;s reference."),
        ("R-ZZZZZZ", "No request of your organisation has this reference."),
        ("x" * 13, "at most 12 characters"),
    ],
)
def test_a_bad_reference_is_answered_on_the_form(world: World, client_for, reference: str, error: str) -> None:
    request = _submit(world)
    response = client_for(world.ivan).post(f"/requests/{request.pk}/link/", {"reference": reference})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert RequestLink.objects.count() == 0


def test_itself_twice_and_not_linked_are_refused_without_writing(world: World, client_for) -> None:
    one, two = _submit(world), _submit(world)
    ivan = client_for(world.ivan)
    response = ivan.post(f"/requests/{one.pk}/link/", {"reference": one.reference})
    assert response.status_code == 400 and "cannot be linked to itself" in response.content.decode()
    assert ivan.post(f"/requests/{one.pk}/link/", {"reference": two.reference}).status_code == 302
    response = ivan.post(f"/requests/{two.pk}/link/", {"reference": one.reference})
    assert response.status_code == 400 and "already linked" in response.content.decode()
    assert RequestLink.objects.count() == 1
    ivan.post(f"/requests/{one.pk}/unlink/", {"other": str(two.pk)})
    response = ivan.post(f"/requests/{one.pk}/unlink/", {"other": str(two.pk)})
    assert response.status_code == 400 and "are not linked" in response.content.decode()
    assert _entries(AuditEvent.REQUESTS_UNLINKED, one) == 1


def test_another_organisations_request_cannot_be_linked_or_reached(world: World, client_for) -> None:
    ours = _submit(world)
    theirs = _submit(world, organisation=world.south)
    before = AuditEntry.objects.count()
    ivan = client_for(world.ivan)
    # By reference: not found among ours, said on the form; nothing written.
    response = ivan.post(f"/requests/{ours.pk}/link/", {"reference": theirs.reference})
    assert response.status_code == 400
    assert "No request of your organisation has this reference." in response.content.decode()
    # By id: 404, as for any request of another organisation.
    assert ivan.post(f"/requests/{ours.pk}/unlink/", {"other": str(theirs.pk)}).status_code == 404
    assert ivan.post(f"/requests/{theirs.pk}/link/", {"reference": ours.reference}).status_code == 404
    charlie = client_for(world.charlie)
    assert charlie.post(f"/requests/{theirs.pk}/link/", {"reference": ours.reference}).status_code == 400
    assert charlie.post(f"/requests/{ours.pk}/link/", {"reference": theirs.reference}).status_code == 404
    # Roles without the intake key: 404.
    for persona in (world.bob, world.audrey, world.adam):
        client = client_for(persona)
        assert client.post(f"/requests/{ours.pk}/link/", {"reference": ours.reference}).status_code == 404
        assert client.post(f"/requests/{ours.pk}/unlink/", {"other": str(ours.pk)}).status_code == 404
    assert RequestLink.objects.count() == 0
    # Reading the request pages above audited reads only; no link was ever recorded.
    assert not AuditEntry.objects.filter(
        code__in=[AuditEvent.REQUESTS_LINKED, AuditEvent.REQUESTS_UNLINKED], seq__gt=0
    ).exists()
    assert AuditEntry.objects.count() >= before


def _accept(world: World, client_for, request: HelpRequest, team: list) -> Case:  # type: ignore[type-arg]
    response = client_for(world.ivan).post(
        f"/requests/{request.pk}/accept/",
        {"priority": Priority.NORMAL, "team": [str(p.user.pk) for p in team], "lead": str(team[0].user.pk)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Case.objects.get(request=request)


def test_the_duplicate_hint_says_a_request_is_in_a_case_and_links_it_for_those_who_may_see_it(
    world: World, client_for
) -> None:
    accepted = _submit(world)
    case = _accept(world, client_for, accepted, [world.alice])
    new = _submit(world, what_happened="I lost my receipt")
    case_link = f'href="/cases/{case.pk}/">{case.reference}</a>'
    # The coordinator on the team: the case named and linked, on the request page and in the inbox.
    alice = client_for(world.alice)
    page = alice.get(f"/requests/{new.pk}/").content.decode()
    assert "Possibly the same person" in page
    assert f"Already accepted into case <a {case_link}" in page
    assert f"in case <a {case_link}" in alice.get("/requests/").content.decode()
    # Intake, not on the team: told it is in a case, never which.
    ivan = client_for(world.ivan)
    for page in (ivan.get(f"/requests/{new.pk}/").content.decode(), ivan.get("/requests/").content.decode()):
        assert accepted.reference in page
        assert case.reference not in page and f"/cases/{case.pk}/" not in page
    assert "Already accepted into a case you are not on" in ivan.get(f"/requests/{new.pk}/").content.decode()
    assert "(in a case)" in ivan.get("/requests/").content.decode()
    # The accepted request's own page says it is in a case, not "the intake key was not given to you".
    page = ivan.get(f"/requests/{accepted.pk}/").content.decode()
    assert "This request is in a case" in page and "You cannot read requests yet" not in page
    assert case.reference not in page
    page = alice.get(f"/requests/{accepted.pk}/").content.decode()
    assert f"It was accepted into case <a {case_link}" in page
