"""Every file the requester sent is on the case: with the request form, and in later messages.

The files stay under the request's key (the team is given it when the case opens, and
whoever joins the team later too); outsiders get the same 404 as for a missing file.
"""

from __future__ import annotations

import io

from PIL import Image

from refuge.cases.actions.opening import do_accept_request
from refuge.cases.actions.team import do_add_team_member
from refuge.cases.models import Case, Priority
from refuge.intake.access import access_by_receipt
from refuge.intake.actions.messages import do_requester_message
from refuge.intake.actions.submissions import Submission, do_submit_request
from refuge.intake.uploads import CleanUpload
from refuge.keyring.keyring import Keyring
from tests.personas import Persona, World


def ring(persona: Persona) -> Keyring:
    return Keyring(persona.refresh().user, persona.private_key)


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _accepted_with_a_file(world: World) -> tuple[Submission, Case]:
    submission = do_submit_request(
        organisation=world.north,
        answers={"what_happened": "They took my passport"},
        urgency="now",
        language="en",
        uploads=[CleanUpload(kind="png", data=_png((200, 30, 30)), name="passport-page.png")],
    )
    do_accept_request(
        actor=world.ivan.user,
        keyring=ring(world.ivan),
        request=submission.request,
        team=[world.bob.user],
        priority=Priority.URGENT,
    )
    return submission, Case.objects.select_related("key", "request__key").get(request=submission.request)


def test_files_sent_with_the_request_are_among_the_case_documents(world: World, client_for) -> None:
    _submission, case = _accepted_with_a_file(world)
    stored = case.request.files.get()
    bob = client_for(world.bob)
    page = bob.get(f"/cases/{case.pk}/").content.decode()
    assert "No documents yet." not in page
    assert "Files the requester sent" in page and "with the request" in page
    link = f'href="/cases/{case.pk}/messages/files/{stored.pk}/">passport-page.png</a>'
    assert link in page
    download = bob.get(f"/cases/{case.pk}/messages/files/{stored.pk}/")
    assert download.status_code == 200 and download.content == _png((200, 30, 30))


def test_files_of_later_messages_join_them(world: World, client_for) -> None:
    submission, case = _accepted_with_a_file(world)
    access = access_by_receipt(submission.receipt)
    do_requester_message(
        request=access.request,
        secret=access.secret,
        body="The other page",
        uploads=[CleanUpload(kind="png", data=_png((30, 200, 30)), name="second-page.png")],
    )
    later = case.request.files.get(message__isnull=False)
    page = client_for(world.bob).get(f"/cases/{case.pk}/").content.decode()
    documents = page[page.index('id="documents"') :]
    assert "passport-page.png" in documents and "second-page.png" in documents
    assert "in a message" in documents
    assert f'/cases/{case.pk}/messages/files/{later.pk}/"' in documents


def test_a_member_who_joins_the_team_later_opens_them_and_outsiders_get_404(world: World, client_for) -> None:
    _submission, case = _accepted_with_a_file(world)
    stored = case.request.files.get()
    url = f"/cases/{case.pk}/messages/files/{stored.pk}/"
    # Bella (same organisation, not on the team) and Charlie (another organisation): 404.
    assert client_for(world.bella).get(url).status_code == 404
    assert client_for(world.charlie).get(url).status_code == 404
    # Ivan accepted the request, and intake let go of it with the case.
    assert client_for(world.ivan).get(url).status_code == 404
    do_add_team_member(actor=world.bob.user, keyring=ring(world.bob), case=case, member=world.bella.user)
    bella = client_for(world.bella)
    assert "passport-page.png" in bella.get(f"/cases/{case.pk}/").content.decode()
    assert bella.get(url).content == _png((200, 30, 30))
