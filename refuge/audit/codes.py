"""The audit event space: which app owns which codes, declared by each app in its own module.

A code is what the hash chain covers (`chain.entry_payload` encodes it as a plain
integer), so a code, once written, keeps its number and its meaning forever.

- Codes below 1000 are the first numbering, `AuditEvent` in refuge/audit/events.py:
  a hundred per area (1xx accounts, 2xx keys, 3xx organisation, 4xx intake, 5xx
  cases, 6xx shelter, 9xx the audit log itself). An area may append in its own
  hundred until it is full; 7xx and 8xx are closed.
- Every other app owns a block of a thousand: block B holds codes B000 to B999.
  The app declares its events in its own module, `refuge/<app>/audit_events.py`,
  as an `AppEvent` enum under `@events_of(app, block=B)`. The audit app imports
  every installed app's `audit_events` module at start (`AuditConfig.ready`), so a
  new app adds its file and edits no hub. A block or code claimed twice, a code
  outside its block, or two names for one code stop Refuge at start (and so the
  whole test run) with `ImproperlyConfigured`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

__all__ = ["AppEvent", "EventRegistry", "RegisteredEvent", "events_of", "registry"]

BLOCK_SIZE = 1000
# The first numbering's hundreds and the app that owns each (docs/audit.md).
FIRST_NUMBERING = {1: "accounts", 2: "keyring", 3: "accounts", 4: "intake", 5: "cases", 6: "shelter", 9: "audit"}


class AppEvent(IntEnum):
    """Base of an app's own event enum; members are its codes, inside its block."""


E = TypeVar("E", bound=IntEnum)


@dataclass(frozen=True)
class RegisteredEvent:
    """One code: its number, its name, and the app that declared it."""

    code: int
    name: str
    app: str
    event: IntEnum


class EventRegistry:
    """Every code of this installation's apps, each claimed once."""

    def __init__(self) -> None:
        self._blocks: dict[int, str] = {}
        self._codes: dict[int, RegisteredEvent] = {}
        self._enums: set[type[IntEnum]] = set()

    def declare(self, enum: type[E], *, app: str, block: int) -> type[E]:
        """Claim block `block` for `app` and register every member of `enum` in it."""
        if not isinstance(block, int) or isinstance(block, bool) or block < 1:
            raise ImproperlyConfigured(
                f"audit events of {app}: the block must be a whole number from 1 (got {block!r})"
            )
        first = block * BLOCK_SIZE
        self._claim_block(block, app)
        self._register(
            enum,
            app,
            lambda code: first <= code < first + BLOCK_SIZE,
            f"block {block} ({first}-{first + BLOCK_SIZE - 1})",
        )
        return enum

    def declare_first_numbering(self, enum: type[E]) -> type[E]:
        """Register the first numbering (codes below 1000), each hundred owned by its area's app."""

        def owner(code: int) -> str:
            return FIRST_NUMBERING.get(code // 100, "") if 0 < code < BLOCK_SIZE else ""

        self._claim_block(0, "the first numbering")
        if enum in self._enums:
            return enum
        self._check_unique(enum)
        for event in enum:
            app = owner(int(event))
            if not app:
                raise ImproperlyConfigured(
                    f"audit event {event.name} = {int(event)} is outside the first numbering's open hundreds "
                    "(docs/audit.md): a new app takes a block of its own"
                )
            self._add(event, app)
        self._enums.add(enum)
        return enum

    def lookup(self, code: int) -> RegisteredEvent | None:
        """The registered event with this code, if any."""
        return self._codes.get(int(code))

    def check(self, event: IntEnum) -> int:
        """The code to store for `event`; ValueError if it is not a registered event."""
        registered = self._codes.get(int(event))
        if registered is None or registered.event is not event:
            raise ValueError(f"{event!r} is not a registered audit event (docs/audit.md)")
        return registered.code

    def blocks(self) -> dict[int, str]:
        """Block number → owning app (block 0 is the first numbering)."""
        return dict(self._blocks)

    def __iter__(self) -> Iterator[RegisteredEvent]:
        return iter(sorted(self._codes.values(), key=lambda event: event.code))

    def _claim_block(self, block: int, app: str) -> None:
        owner = self._blocks.get(block)
        if owner is not None and owner != app:
            raise ImproperlyConfigured(f"audit block {block} is claimed by both {owner} and {app}: give {app} another")
        self._blocks[block] = app

    def _register(self, enum: type[IntEnum], app: str, inside: Callable[[int], bool], where: str) -> None:
        if enum in self._enums:
            return
        self._check_unique(enum)
        for event in enum:
            if not inside(int(event)):
                raise ImproperlyConfigured(f"audit event {event.name} = {int(event)} of {app} is outside its {where}")
        for event in enum:
            self._add(event, app)
        self._enums.add(enum)

    def _check_unique(self, enum: type[IntEnum]) -> None:
        # An IntEnum quietly makes a second name for a repeated value an alias.
        aliases = [name for name, member in enum.__members__.items() if member.name != name]
        if aliases:
            raise ImproperlyConfigured(f"audit events {', '.join(aliases)} of {enum.__name__} repeat another's code")

    def _add(self, event: IntEnum, app: str) -> None:
        code = int(event)
        existing = self._codes.get(code)
        if existing is not None:
            raise ImproperlyConfigured(
                f"audit code {code} is declared twice: {existing.app}.{existing.name} and {app}.{event.name}"
            )
        self._codes[code] = RegisteredEvent(code, event.name, app, event)


registry = EventRegistry()


def events_of(app: str, *, block: int) -> Callable[[type[E]], type[E]]:
    """Class decorator: `app`'s audit events, every code inside block `block` (B000 to B999)."""

    def declare(enum: type[E]) -> type[E]:
        return registry.declare(enum, app=app, block=block)

    return declare
