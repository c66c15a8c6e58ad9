"""The pathway advisor: which pathways a person can use, and which have worked for the organisation.

It advises; people decide. For one person it
1. leaves out every pathway whose hard requirements the person's situation contradicts, and
   says which requirement (`Excluded.reasons`);
2. orders the rest by the organisation's own history on each pathway — the lower bound of
   the Wilson score interval (95 %) of its grant rate, so that one lucky grant does not
   outrank a long record (then its upper bound: no record beats a record of refusals),
   then the median days from submission to decision it saw — and
   then by the catalogue's typical days, fewer unknown requirements, and name;
3. lists what is missing for each: requirements the case does not answer yet, documents of
   the pathway's checklist not ready in any of the person's applications.

Pure functions over plain values: tests/applications/test_advisor.py computes the expected
orders by hand.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from refuge.relocation.requirements import Requirement

Z_95 = 1.959963984540054
# Fewer decided applications than this and the grant rate is shown with a warning.
SMALL_SAMPLE = 5


@dataclass(frozen=True)
class Facts:
    """What the case says about the person, each True, False or None (not known)."""

    outside_origin: bool | None = None
    international_passport: bool | None = None
    family_tie: bool | None = None
    # Where the family ties are, when known ("" entries ignored); empty: anywhere the tie is asked.
    family_countries: frozenset[str] = frozenset()
    hrd_status: bool | None = None
    referral_partner: bool | None = None

    def answer(self, requirement: str, country: str) -> bool | None:
        if requirement == Requirement.FAMILY_TIE and self.family_tie and self.family_countries:
            return country.casefold() in {name.casefold() for name in self.family_countries}
        value: bool | None = getattr(self, requirement)
        return value


@dataclass(frozen=True)
class History:
    """The organisation's decided applications on one pathway."""

    granted: int = 0
    refused: int = 0
    days: tuple[int, ...] = ()  # days from submission to decision, of those that have them
    # The same as (days, how many applications took them), sorted by days: what the database
    # counts (queries.history_by_pathway), so 100,000 applications are never a list of 100,000.
    day_counts: tuple[tuple[int, int], ...] = ()

    @property
    def decided(self) -> int:
        return self.granted + self.refused

    @property
    def rate(self) -> float | None:
        return self.granted / self.decided if self.decided else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.granted, self.decided)

    @property
    def interval_percent(self) -> tuple[int, int]:
        low, high = self.interval
        return (round(low * 100), round(high * 100))

    @property
    def median_days(self) -> float | None:
        if self.day_counts:
            return weighted_median(self.day_counts)
        return statistics.median(self.days) if self.days else None

    @property
    def small_sample(self) -> bool:
        return self.decided < SMALL_SAMPLE


def weighted_median(counts: Sequence[tuple[int, int]]) -> float:
    """The median of values given as (value, how many times) sorted by value, as statistics.median gives it."""
    total = sum(times for _value, times in counts)
    wanted = (total - 1) // 2, total // 2  # the middle position, or the two middle ones
    found: list[int] = []
    seen = 0
    for value, times in counts:
        while len(found) < 2 and seen <= wanted[len(found)] < seen + times:
            found.append(value)
        seen += times
        if len(found) == 2:
            break
    return found[0] if found[0] == found[1] else (found[0] + found[1]) / 2


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion; (0, 1) when nothing was tried."""
    if trials == 0:
        return (0.0, 1.0)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator))


@dataclass(frozen=True)
class Candidate:
    """A pathway as the advisor needs it (from the catalogue)."""

    id: int
    country: str
    name: str
    requirements: tuple[str, ...]
    checklist: tuple[str, ...] = ()
    processing_days: int | None = None


@dataclass(frozen=True)
class Ranked:
    pathway: Candidate
    history: History
    unknown: tuple[str, ...]  # requirements the case does not answer
    to_prepare: tuple[str, ...]  # checklist documents not ready in any of the person's applications


@dataclass(frozen=True)
class Excluded:
    pathway: Candidate
    reasons: tuple[str, ...]  # the requirements the person's situation contradicts


@dataclass(frozen=True)
class Advice:
    ranked: list[Ranked] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)


def _none_last(value: float | None) -> tuple[int, float]:
    return (1, 0.0) if value is None else (0, value)


def rank_key(item: Ranked) -> tuple[object, ...]:
    low, high = item.history.interval
    return (
        -low,
        # Equal lower bounds (e.g. nothing decided, or only refusals): the less is known against
        # a pathway, the higher it stays.
        -high,
        _none_last(item.history.median_days),
        _none_last(item.pathway.processing_days),
        len(item.unknown),
        item.pathway.country,
        item.pathway.name,
    )


def advise(
    candidates: Iterable[Candidate],
    facts: Facts,
    history: Mapping[int, History],
    ready: Iterable[str] = (),
) -> Advice:
    """Exclude, then order; `ready` are the checklist documents already ready for this person."""
    done = {item.casefold() for item in ready}
    advice = Advice()
    for pathway in candidates:
        answers = {code: facts.answer(code, pathway.country) for code in pathway.requirements}
        contradicted = tuple(code for code, answer in answers.items() if answer is False)
        if contradicted:
            advice.excluded.append(Excluded(pathway, contradicted))
            continue
        unknown = tuple(code for code, answer in answers.items() if answer is None)
        to_prepare = tuple(item for item in pathway.checklist if item.casefold() not in done)
        advice.ranked.append(Ranked(pathway, history.get(pathway.id, History()), unknown, to_prepare))
    advice.ranked.sort(key=rank_key)
    advice.excluded.sort(key=lambda item: (item.pathway.country, item.pathway.name))
    return advice


def order_of(advice: Advice) -> Sequence[int]:
    return [item.pathway.id for item in advice.ranked]
