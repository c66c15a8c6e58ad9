"""Scheduled jobs: the registry a domain app adds its periodic work to.

A domain app registers a job by name when Django starts (in its AppConfig.ready):

    from refuge.core.jobs import register

    @register("notices", every=lambda: settings.REFUGE_NOTIFY_MIN_INTERVAL_SECONDS)
    def send_notices() -> str:
        ...
        return "2 notices sent"

The scheduler app (refuge/scheduler/) runs each job once across every process and
server sharing the database, at most once per interval, and again after a restart.
This module only holds the list, so that registering needs no import from above the
domain layer.

A job's contract:
- **Idempotent.** A runner that dies in the middle of a job (kill -9, power loss) leaves
  its lease behind; when the lease expires another runner runs the job again. Running a
  job twice in a row must be harmless: work from the database, mark what is done in the
  same transaction as doing it (or accept a repeat, as a mail may be).
- **Done within its lease.** A job still running when its lease ends may be started a
  second time by another runner.
- **Returns a short result** for `refuge jobs` ("3 notices sent"): counts only, never a
  name, an address or content — the result is stored in clear.
- **Raises on failure**: the runner records the error's type (not its message, which can
  quote data) and tries again at the next interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

JobFunction = Callable[[], str]
Seconds = float | Callable[[], float]

# A lease longer than any job's run: mail to a hung server times out after 10 s per mailbox.
DEFAULT_LEASE_SECONDS = 300.0


@dataclass(frozen=True)
class Job:
    """A job: its name (the key of its database row), how often it runs, and for how long a runner holds it."""

    name: str
    function: JobFunction
    every: Seconds
    lease: float = DEFAULT_LEASE_SECONDS

    def interval(self) -> float:
        """Seconds between the end of one run and the start of the next (read again each time: settings may change)."""
        return float(self.every() if callable(self.every) else self.every)


_registry: dict[str, Job] = {}


def register(
    name: str, *, every: Seconds, lease: float = DEFAULT_LEASE_SECONDS
) -> Callable[[JobFunction], JobFunction]:
    """Register an idempotent job to run once across all processes every `every` seconds."""
    if not name or len(name) > 50:
        raise ValueError("a job name is 1 to 50 characters")
    if lease <= 0:
        raise ValueError("a job's lease must be positive")

    def decorate(function: JobFunction) -> JobFunction:
        known = _registry.get(name)
        # The same function imported twice is fine; two functions under one name are a mistake.
        if known is not None and _origin(known.function) != _origin(function):
            raise ValueError(f"two jobs are named {name!r}")
        _registry[name] = Job(name=name, function=function, every=every, lease=lease)
        return function

    return decorate


def _origin(function: JobFunction) -> tuple[str, str]:
    return function.__module__, function.__qualname__


def registered() -> list[Job]:
    """Every registered job, by name."""
    return [_registry[name] for name in sorted(_registry)]


def job_named(name: str) -> Job | None:
    return _registry.get(name)
