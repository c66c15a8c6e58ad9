"""A request's short reference is drawn again when it is taken: a collision never costs a submission."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client

from refuge.intake.access import access_by_receipt
from refuge.intake.actions import submissions as actions
from refuge.intake.actions.submissions import REFERENCE_DRAWS, do_submit_request
from refuge.intake.models import HelpRequest
from refuge.intake.queries import read_answers
from refuge.keyring.models import Key
from tests.personas import World
from tests.requester.helpers import receipt_in, send_request

ANSWERS = {"what_happened": "Police came to my flat", "where_now": "Dagestan"}


def _submit(world: World):  # type: ignore[no-untyped-def]
    return do_submit_request(organisation=world.north, answers=ANSWERS, urgency="now", language="ru")


def _draws(monkeypatch: pytest.MonkeyPatch, references: list[str]) -> None:
    drawn: Iterator[str] = iter(references)
    monkeypatch.setattr(actions, "_new_reference", lambda: next(drawn))


def test_a_taken_reference_is_drawn_again_and_the_request_is_stored(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _submit(world)
    taken = first.request.reference
    _draws(monkeypatch, [taken, taken, "R-FRESH1"])

    second = _submit(world)

    stored = HelpRequest.objects.get(pk=second.request.pk)
    assert stored.reference == second.request.reference == "R-FRESH1"
    assert HelpRequest.objects.get(pk=first.request.pk).reference == taken
    opened = access_by_receipt(second.receipt)
    assert opened.request.pk == stored.pk
    assert read_answers(opened.request, opened.secret)["where_now"] == "Dagestan"


def test_a_portal_submission_whose_reference_is_taken_gets_its_receipt(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = _submit(world).request.reference
    _draws(monkeypatch, [taken, "R-FRESH2"])

    response = send_request(Client())

    assert response.status_code == 200
    assert receipt_in(response.content.decode())
    assert HelpRequest.objects.filter(reference="R-FRESH2").count() == 1


def test_when_every_draw_is_taken_nothing_of_the_request_is_written(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = _submit(world).request.reference
    before = (HelpRequest.objects.count(), Key.objects.count())
    _draws(monkeypatch, [taken] * (REFERENCE_DRAWS + 1))

    with pytest.raises(RuntimeError), transaction.atomic():
        _submit(world)

    assert (HelpRequest.objects.count(), Key.objects.count()) == before
