"""Safety test set-up: an accepted case whose requester holds a receipt, and a clock tests move."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from refuge.cases.actions.opening import do_accept_request
from refuge.cases.models import Case
from refuge.intake.access import RequesterAccess, access_by_receipt
from refuge.intake.actions.submissions import do_submit_request
from refuge.keyring.keyring import Keyring
from refuge.safety import clock
from refuge.safety.actions.schedules import ScheduleInput, do_set_schedule
from refuge.safety.models import CheckInSchedule
from tests.personas import Persona, World

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
WORD = "Sunflower"
CANARY_MESSAGE = "CANARY-CHECKIN-MESSAGE all calm at the flat"


class Clock:
    """A controllable clock: `refuge.safety.clock.now` reads it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock(START)
    monkeypatch.setattr(clock, "now", moved)
    return moved


def ring(persona: Persona) -> Keyring:
    return Keyring(persona.refresh().user, persona.private_key)


@dataclass
class Requester:
    case: Case
    receipt: str

    def access(self) -> RequesterAccess:
        return access_by_receipt(self.receipt)


def accepted_case(world: World, team: list[Persona] | None = None) -> Requester:
    """A request sent through intake and accepted for Alice and Bob; the requester keeps the receipt."""
    submission = do_submit_request(
        organisation=world.north, answers={"what_happened": "Police came"}, urgency="now", language="en"
    )
    members = team if team is not None else [world.alice, world.bob]
    case = do_accept_request(
        actor=world.ivan.user,
        keyring=ring(world.ivan),
        request=submission.request,
        team=[persona.user for persona in members],
        priority="normal",
    )
    return Requester(Case.objects.select_related("key", "request__key").get(pk=case.pk), submission.receipt)


def schedule_input(**overrides: Any) -> ScheduleInput:
    values: dict[str, Any] = {
        "every_hours": 6,
        "times": (),
        "zone": "Europe/Moscow",
        "grace_minutes": 30,
        "starts_at": None,
        "ends_at": None,
        "duress_word": WORD,
    }
    values.update(overrides)
    if values["times"]:
        values["times"] = tuple(time.fromisoformat(t) if isinstance(t, str) else t for t in values["times"])
    return ScheduleInput(**values)


def set_schedule(world: World, requester: Requester, **overrides: Any) -> CheckInSchedule:
    return do_set_schedule(
        actor=world.bob.refresh().user, keyring=ring(world.bob), case=requester.case, data=schedule_input(**overrides)
    )
