"""Consent asked on the requester's portal page: they see the purpose and the fields, and answer yes or no."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from refuge.cases.actions.opening import do_accept_request
from refuge.cases.models import Case, Person
from refuge.core.errors import UserError
from refuge.disclosures.models import ConsentQuestion, Packet
from refuge.disclosures.packets import do_approve_packet
from refuge.disclosures.portal import do_ask_consent
from refuge.intake.actions.submissions import do_submit_request
from tests.disclosures.support import add_partner, age_key, consent, prepare
from tests.personas import World
from tests.requester.helpers import open_request
from tests.workspace.people_support import ANSWERS, ring


def _case_with_receipt(world: World) -> tuple[Case, Person, str]:
    submission = do_submit_request(organisation=world.north, answers=ANSWERS, urgency="now", language="en")
    case = do_accept_request(
        actor=world.ivan.user,
        keyring=ring(world.ivan),
        request=submission.request,
        team=[world.alice.user, world.bob.user],
        priority="urgent",
    )
    case = Case.objects.select_related("key", "request__key").get(pk=case.pk)
    return case, Person.objects.get(case=case, role="requester"), submission.receipt


def _ask(world: World, tmp_path: Path) -> tuple[Packet, str]:
    case, person, receipt = _case_with_receipt(world)
    packet = prepare(world, case, person, add_partner(world, age_key(tmp_path).recipient))
    do_ask_consent(actor=world.bob.refresh().user, keyring=ring(world.bob), packet=packet)
    return packet, receipt


def test_the_requester_sees_the_question_without_javascript_and_a_yes_lets_the_packet_be_approved(
    world: World, tmp_path: Path
) -> None:
    packet, receipt = _ask(world, tmp_path)
    requester = Client()
    open_request(requester, receipt)
    page = requester.get(reverse("requester:request")).content.decode()
    assert "The team asks for your consent" in page
    assert "Resettlement referral" in page and "Legal name (as in the passport)" in page
    assert "ngo-toronto" not in page, "the partner's code name is the organisation's, not the requester's"
    assert "<script" not in page
    question = ConsentQuestion.objects.get(packet=packet)
    answered = requester.post(reverse("requester:consent"), {"question": question.pk, "answer": "yes"})
    assert answered.status_code == 302 and answered["Location"] == reverse("requester:request_answered")
    assert "Thank you" in requester.get(answered["Location"]).content.decode()
    assert Packet.objects.get(pk=packet.pk).consent_recorded
    produced = do_approve_packet(
        actor=world.alice.refresh().user,
        keyring=ring(world.alice),
        packet=Packet.objects.select_related("key", "partner__key", "case").get(pk=packet.pk),
        expires_in_days=3,
        download_limit=1,
    )
    assert produced.token


def test_a_no_leaves_the_packet_unapprovable_and_a_second_answer_is_refused(world: World, tmp_path: Path) -> None:
    packet, receipt = _ask(world, tmp_path)
    requester = Client()
    open_request(requester, receipt)
    question = ConsentQuestion.objects.get(packet=packet)
    requester.post(reverse("requester:consent"), {"question": question.pk, "answer": "no"})
    again = requester.post(reverse("requester:consent"), {"question": question.pk, "answer": "yes"})
    assert again.status_code == 400 and "no longer open" in again.content.decode()
    assert not Packet.objects.get(pk=packet.pk).consent_recorded
    assert ConsentQuestion.objects.get(pk=question.pk).agreed is False
    with pytest.raises(UserError) as refused:
        do_approve_packet(
            actor=world.alice.refresh().user,
            keyring=ring(world.alice),
            packet=Packet.objects.select_related("key", "partner__key", "case").get(pk=packet.pk),
            expires_in_days=3,
            download_limit=1,
        )
    assert refused.value.code == "no_consent"


def test_another_requesters_question_and_nonsense_answers_change_nothing(world: World, tmp_path: Path) -> None:
    packet, _receipt = _ask(world, tmp_path)
    _other_case, _other_person, other_receipt = _case_with_receipt(world)
    stranger = Client()
    open_request(stranger, other_receipt)
    question = ConsentQuestion.objects.get(packet=packet)
    for data in (
        {"question": question.pk, "answer": "yes"},
        {"question": "not-an-id", "answer": "yes"},
        {"question": question.pk, "answer": "maybe"},
        {},
    ):
        assert stranger.post(reverse("requester:consent"), data).status_code == 400
    assert ConsentQuestion.objects.get(pk=question.pk).answered_on is None
    assert not Packet.objects.get(pk=packet.pk).consent_recorded
    assert Client().post(reverse("requester:consent"), {"question": question.pk, "answer": "yes"}).status_code == 302
    assert ConsentQuestion.objects.get(pk=question.pk).answered_on is None


def test_after_a_yes_on_the_portal_the_coordinator_reviews_and_approves_the_packet_on_its_page(
    world: World, client_for, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    packet, receipt = _ask(world, tmp_path)
    requester = Client()
    open_request(requester, receipt)
    question = ConsentQuestion.objects.get(packet=packet)
    requester.post(reverse("requester:consent"), {"question": question.pk, "answer": "yes"})
    alice = client_for(world.alice)
    review = alice.get(reverse("workspace:packet_review", args=[packet.pk]))
    assert review.status_code == 200
    assert "The requester agreed on their portal page" in review.content.decode()
    approved = alice.post(
        reverse("workspace:packet_approve", args=[packet.pk]), {"expires_in_days": 7, "download_limit": 1}
    )
    assert approved.status_code == 200 and 'id="packet-link"' in approved.content.decode()
    assert Packet.objects.get(pk=packet.pk).approved_by_id == world.alice.user.pk


def _approve(world: World, packet: Packet) -> None:
    do_approve_packet(
        actor=world.alice.refresh().user,
        keyring=ring(world.alice),
        packet=Packet.objects.select_related("key", "partner__key", "case").get(pk=packet.pk),
        expires_in_days=3,
        download_limit=1,
    )


def test_the_requesters_no_on_the_portal_cannot_be_overridden_by_consent_recorded_by_hand(
    world: World, client_for, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    packet, receipt = _ask(world, tmp_path)
    requester = Client()
    open_request(requester, receipt)
    question = ConsentQuestion.objects.get(packet=packet)
    requester.post(reverse("requester:consent"), {"question": question.pk, "answer": "no"})
    # The team types "in person, yes" on the packet page after the requester said no on theirs.
    answer = client_for(world.bob).post(
        reverse("workspace:packet_consent", args=[packet.case_id, packet.pk]),
        {
            "consent-who": "The requester",
            "consent-given_on": timezone.localdate().isoformat(),
            "consent-way": "in_person",
            "consent-consent_purpose": "Resettlement referral",
        },
    )
    assert answer.status_code == 400 and "The requester said no on their portal page" in answer.content.decode()
    assert not Packet.objects.get(pk=packet.pk).consent_recorded
    with pytest.raises(UserError) as refused:
        _approve(world, packet)
    assert refused.value.code == "no_consent"


def test_a_no_on_the_portal_after_consent_recorded_by_hand_leaves_the_packet_unapprovable(
    world: World, tmp_path: Path
) -> None:
    packet, receipt = _ask(world, tmp_path)
    consent(world, packet)  # the team recorded a "yes by phone" while the question waited on the portal
    requester = Client()
    open_request(requester, receipt)
    question = ConsentQuestion.objects.get(packet=packet)
    assert requester.post(reverse("requester:consent"), {"question": question.pk, "answer": "no"}).status_code == 302
    assert not Packet.objects.get(pk=packet.pk).consent_recorded, "the person's own answer is the last word"
    with pytest.raises(UserError) as refused:
        _approve(world, packet)
    assert refused.value.code == "no_consent"
