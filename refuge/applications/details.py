"""The encrypted part of an application (`Application.details`, JSON), and its status table.

Read it as the caseworker's folder for one application: where it is filed (embassy, city,
reference numbers), when (exact dates), what it cost, which documents are ready (each may
name a case document), the appointments, and the decision's details.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from refuge.applications.models import Status

# From each status, the statuses an application may move to (a refusal may be appealed;
# an interview may be followed by another).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PREPARING: frozenset({Status.SUBMITTED, Status.WITHDRAWN}),
    Status.SUBMITTED: frozenset({Status.INTERVIEW, Status.GRANTED, Status.REFUSED, Status.WITHDRAWN}),
    Status.INTERVIEW: frozenset({Status.INTERVIEW, Status.GRANTED, Status.REFUSED, Status.WITHDRAWN}),
    Status.REFUSED: frozenset({Status.APPEAL}),
    Status.APPEAL: frozenset({Status.GRANTED, Status.REFUSED, Status.WITHDRAWN}),
    Status.GRANTED: frozenset(),
    Status.WITHDRAWN: frozenset(),
}


def allowed_next(status: str) -> list[str]:
    targets = TRANSITIONS.get(status, frozenset())
    return [value for value in Status.values if value in targets]


@dataclass
class ChecklistItem:
    item: str
    ready: bool = False
    document: str = ""  # the id of a case document that holds it, if any


@dataclass
class Appointment:
    on: str  # YYYY-MM-DD
    what: str


@dataclass
class Decision:
    visa_type: str = ""
    valid_from: str = ""
    valid_until: str = ""
    conditions: str = ""
    refusal_reason: str = ""


@dataclass
class Details:
    embassy: str = ""
    city: str = ""
    references: str = ""
    fees_paid: str = ""
    submitted_on: str = ""
    checklist: list[ChecklistItem] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    decision: Decision = field(default_factory=Decision)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Details:
        data: dict[str, Any] = json.loads(text)
        return cls(
            embassy=data.get("embassy", ""),
            city=data.get("city", ""),
            references=data.get("references", ""),
            fees_paid=data.get("fees_paid", ""),
            submitted_on=data.get("submitted_on", ""),
            checklist=[ChecklistItem(**item) for item in data.get("checklist", [])],
            appointments=[Appointment(**item) for item in data.get("appointments", [])],
            decision=Decision(**data.get("decision", {})),
        )

    @property
    def submitted(self) -> datetime.date | None:
        return datetime.date.fromisoformat(self.submitted_on) if self.submitted_on else None

    @property
    def ready_count(self) -> int:
        return sum(1 for item in self.checklist if item.ready)
