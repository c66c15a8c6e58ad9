"""Requester portal tests: personas, and per-process budgets reset so tests do not share them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from refuge.intake import access
from refuge.intake.receipt_brake import ReceiptBrake
from refuge.requester.limits import submissions
from tests.personas import client_for, world  # noqa: F401


@pytest.fixture(autouse=True)
def fresh_budgets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh receipt brake and submission budget for every test."""
    monkeypatch.setattr(access, "_brake", ReceiptBrake())
    submissions.reset()
    yield
    submissions.reset()
