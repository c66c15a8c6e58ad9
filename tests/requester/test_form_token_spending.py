"""Spending a form token: one INSERT decides, and old rows are purged now and then, not every time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from refuge.core.errors import UserError
from refuge.intake.actions.common import this_hour
from refuge.requester import actions
from refuge.requester.form_tokens import FORM_TOKEN_HOURS
from refuge.requester.models import UsedFormNonce

pytestmark = pytest.mark.django_db


def _spend(digest: str) -> None:
    with transaction.atomic():
        actions._spend_form_token(digest, actions.ALREADY_SENT_REQUEST)


def test_a_token_is_spent_once_and_a_second_copy_is_refused_without_breaking_the_transaction() -> None:
    _spend("a" * 64)
    with transaction.atomic():
        with pytest.raises(UserError) as refused:
            actions._spend_form_token("a" * 64, actions.ALREADY_SENT_REQUEST)
        # The refusal left the transaction usable (no failed INSERT to roll back).
        assert UsedFormNonce.objects.filter(digest="a" * 64).count() == 1
    assert refused.value.code == "form_already_sent"


def test_rows_too_old_to_matter_are_purged_when_the_purge_is_due(monkeypatch: pytest.MonkeyPatch) -> None:
    old = this_hour() - timedelta(hours=FORM_TOKEN_HOURS + 2)
    UsedFormNonce.objects.create(digest="o" * 64, used_at=old)

    monkeypatch.setattr(actions, "_next_purge", float("inf"))
    _spend("b" * 64)
    assert UsedFormNonce.objects.filter(digest="o" * 64).exists()  # not due: no DELETE on this submission

    monkeypatch.setattr(actions, "_next_purge", 0.0)
    _spend("c" * 64)
    assert not UsedFormNonce.objects.filter(digest="o" * 64).exists()
    assert UsedFormNonce.objects.filter(digest__in=["b" * 64, "c" * 64]).count() == 2
    assert actions._next_purge > 0.0  # the next one is PURGE_EVERY_SECONDS away
