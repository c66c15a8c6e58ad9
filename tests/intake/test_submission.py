"""A request is sealed at submission: intake and the requester can read it, nobody else."""

from __future__ import annotations

import pytest

from refuge.core.errors import UserError
from refuge.intake.access import access_by_receipt
from refuge.intake.actions.messages import do_reply, do_requester_message
from refuge.intake.actions.submissions import do_submit_request
from refuge.intake.models import HelpRequest, RequesterStatus, RequestIndex
from refuge.intake.queries import possible_duplicates, read_answers, read_messages
from refuge.keyring.keyring import KeyNotHeld, Keyring
from tests.personas import World

ANSWERS = {
    "what_happened": "Police came to my flat in Grozny",
    "where_now": "Dagestan",
    "name": "Юрий Иванов",
    "phone": "+7 916 123-45-67",
}


def _submit(world: World, answers: dict | None = None):  # type: ignore[no-untyped-def]
    return do_submit_request(organisation=world.north, answers=answers or ANSWERS, urgency="now", language="ru")


def test_intake_reads_a_new_request_and_other_roles_cannot(world: World) -> None:
    submission = _submit(world)
    request = HelpRequest.objects.get(pk=submission.request.pk)
    # Ivan (intake) and Alice (coordinator) hold the intake group key.
    for persona in (world.ivan, world.alice):
        secret = Keyring(persona.user, persona.private_key).secret_for(request.key)
        assert read_answers(request, secret)["what_happened"] == "Police came to my flat in Grozny"
    for persona in (world.bob, world.audrey, world.charlie):
        with pytest.raises(KeyNotHeld):
            Keyring(persona.user, persona.private_key).secret_for(request.key)


def test_the_receipt_opens_the_request_and_a_wrong_one_says_nothing_more(world: World) -> None:
    submission = _submit(world)
    access = access_by_receipt(submission.receipt.lower().replace("-", " "))
    assert access.request.pk == submission.request.pk
    assert read_answers(access.request, access.secret)["where_now"] == "Dagestan"
    wrong = "0000-0000-0000-0000-0000"
    with pytest.raises(UserError) as unknown:
        access_by_receipt(wrong)
    assert unknown.value.code == "receipt_not_found"
    with pytest.raises(UserError) as malformed:
        access_by_receipt("not a receipt")
    assert malformed.value.code == "bad_receipt_format"


def test_a_reply_reaches_the_requester_and_their_answer_reaches_intake(world: World) -> None:
    submission = _submit(world)
    ivan = Keyring(world.ivan.user, world.ivan.private_key)
    do_reply(
        actor=world.ivan.user,
        keyring=ivan,
        request=submission.request,
        body="We read your message. Are you safe tonight?",
    )
    access = access_by_receipt(submission.receipt)
    assert access.request.status == RequesterStatus.REPLIED
    do_requester_message(request=access.request, secret=access.secret, body="Yes, with a friend.")
    request = HelpRequest.objects.get(pk=submission.request.pk)
    texts = [shown.text for shown in read_messages(request, ivan.secret_for(request.key))]
    assert texts == ["We read your message. Are you safe tonight?", "Yes, with a friend."]
    assert request.awaiting_team


def test_the_same_person_in_another_spelling_is_flagged_as_a_possible_duplicate(world: World) -> None:
    first = _submit(world)
    second = _submit(world, {"what_happened": "again", "name": "Ivanov Yuriy", "phone": "8 (916) 1234567"})
    third = _submit(world, {"what_happened": "someone else", "name": "Sergei Petrov"})
    assert possible_duplicates(second.request) == [first.request]
    assert possible_duplicates(third.request) == []
    assert RequestIndex.objects.filter(request=second.request).count() == 2


def test_requests_are_received_to_the_hour_only(world: World) -> None:
    request = _submit(world).request
    assert request.received_at.minute == 0
    assert request.received_at.second == 0


def test_the_inbox_finds_duplicates_for_a_whole_page_in_a_few_queries(
    world: World, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    from refuge.intake.queries import duplicates_of_page, inbox

    first = _submit(world)
    second = _submit(world, {"what_happened": "again", "name": "Ivanov Yuriy"})
    others = [
        "Anna Lebedeva",
        "Boris Orlov",
        "Vera Kuznetsova",
        "Gleb Popov",
        "Daria Volkova",
        "Egor Morozov",
        "Zoya Novikova",
        "Ilya Fedorov",
        "Kira Mikhailova",
        "Lev Sokolov",
    ]
    for name in others:
        _submit(world, {"what_happened": "other", "name": name})
    page = list(inbox(world.north))
    with django_assert_max_num_queries(3):
        found = duplicates_of_page(page)
    assert [r.pk for r in found[second.request.pk]] == [first.request.pk]
    assert [r.pk for r in found[first.request.pk]] == [second.request.pk]
    assert sum(len(v) for v in found.values()) == 2
