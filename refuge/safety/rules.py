"""A schedule's rule and the arithmetic of when a check-in is due (pure: no database, no keys).

Two kinds of rule: every N hours (a check-in starts the next N hours), or fixed local times
in a time zone ("09:00 and 21:00, Europe/Moscow"). Both have a start and may have an end
("until the flight lands"): no check-in is due after the end. The rule is stored encrypted
(it tells where a person is, by its time zone, and when they travel, by its end); only the
next due time is in clear.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MAX_TIMES = 6
MAX_EVERY_HOURS = 24 * 7


@dataclass(frozen=True)
class Rule:
    """What a caseworker set: an interval or local times, a start, an end."""

    every_hours: int | None
    times: tuple[time, ...]
    zone: str
    starts_at: datetime
    ends_at: datetime | None
    has_word: bool

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "every_hours": self.every_hours,
                "times": [slot.strftime("%H:%M") for slot in self.times],
                "zone": self.zone,
                "starts_at": self.starts_at.isoformat(),
                "ends_at": self.ends_at.isoformat() if self.ends_at else None,
                "has_word": self.has_word,
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Rule:
        raw = json.loads(data)
        return cls(
            every_hours=raw["every_hours"],
            times=tuple(time.fromisoformat(slot) for slot in raw["times"]),
            zone=raw["zone"],
            starts_at=datetime.fromisoformat(raw["starts_at"]),
            ends_at=datetime.fromisoformat(raw["ends_at"]) if raw["ends_at"] else None,
            has_word=bool(raw["has_word"]),
        )


def known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return name in available_timezones() or name == "UTC"


def _within(rule: Rule, moment: datetime | None) -> datetime | None:
    if moment is None or (rule.ends_at is not None and moment > rule.ends_at):
        return None
    return moment


def _slots_after(rule: Rule, moment: datetime, count: int) -> list[datetime]:
    """The next `count` local times strictly after `moment`, in UTC."""
    zone = ZoneInfo(rule.zone)
    day = moment.astimezone(zone).date() - timedelta(days=1)
    found: list[datetime] = []
    while len(found) < count:
        for slot in sorted(rule.times):
            at = datetime.combine(day, slot, tzinfo=zone).astimezone(UTC)
            if at > moment:
                found.append(at)
        day += timedelta(days=1)
    return found[:count]


def first_due(rule: Rule, now: datetime) -> datetime | None:
    """The first check-in owed after the rule is set at `now`."""
    start = max(rule.starts_at, now)
    if rule.every_hours is not None:
        # A start in the future is the first check-in; a start now asks for one an interval later.
        due = rule.starts_at if rule.starts_at > now else now + timedelta(hours=rule.every_hours)
        return _within(rule, due)
    return _within(rule, _slots_after(rule, start - timedelta(microseconds=1), 1)[0])


def due_after_check_in(rule: Rule, at: datetime) -> datetime | None:
    """The check-in owed next after one made at `at`."""
    if at < rule.starts_at:
        return first_due(rule, at)
    if rule.every_hours is not None:
        return _within(rule, at + timedelta(hours=rule.every_hours))
    # A check-in a little early counts for the coming time: the next one owed is the first
    # time nearer to its own slot than to this check-in's (more than half its gap away).
    slots = _slots_after(rule, at, len(rule.times) + 1)
    previous = _slots_after(rule, at - timedelta(days=2), 2 * len(rule.times) + 2)
    for slot in slots:
        before = max((p for p in previous if p < slot), default=slot - timedelta(days=1))
        if slot - at > (slot - before) / 2:
            return _within(rule, slot)
    return _within(rule, slots[-1])
