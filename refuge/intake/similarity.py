"""Requests that look alike, grouped in memory from text the member has just decrypted.

A scripted flood repeats itself: the same story with a few words changed, the same
name or phone. Intake groups open requests by word shingles of what the requester
wrote (MinHash signatures, banded so that only likely pairs are compared, each pair
then confirmed by its exact Jaccard similarity) and by the blind-index duplicate hints.
Nothing computed here is stored: no signature, shingle or group outlives the page
(docs/threat-model.md, "Grouping similar requests"), so a seized database holds no
more about which requests look alike than the blind indexes already did.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T", bound=Hashable)

# Three-word shingles: a story and its copy with a name swapped still share most of them.
SHINGLE_WORDS = 3
# Two stories whose shingle sets overlap this much are "alike".
SIMILARITY = 0.5
# 32 MinHash values in 16 bands of 2: a pair at 0.5 similarity meets in some band with
# probability 1 - (1 - 0.5²)¹⁶ ≈ 0.99; every candidate pair is checked exactly afterwards.
_PERMUTATIONS = 32
_ROWS_PER_BAND = 2
_PRIME = (1 << 61) - 1
_REPRESENTATIVES = 50
_WORD = re.compile(r"\w+", re.UNICODE)
# Fixed (a, b) pairs: signatures need only be comparable within one page view.
_COEFFICIENTS = [
    (
        int.from_bytes(hashlib.blake2b(f"a{i}".encode(), digest_size=8).digest(), "big") % (_PRIME - 1) + 1,
        int.from_bytes(hashlib.blake2b(f"b{i}".encode(), digest_size=8).digest(), "big") % _PRIME,
    )
    for i in range(_PERMUTATIONS)
]


def shingles(text: str) -> frozenset[int]:
    """The text's runs of SHINGLE_WORDS words (case-folded, punctuation ignored), hashed to 64 bits."""
    words = _WORD.findall(text.casefold())
    if len(words) < SHINGLE_WORDS:
        runs = [" ".join(words)] if words else []
    else:
        runs = [" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)]
    return frozenset(int.from_bytes(hashlib.blake2b(run.encode(), digest_size=8).digest(), "big") for run in runs)


def jaccard(first: frozenset[int], second: frozenset[int]) -> float:
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


def _signature(shingled: frozenset[int]) -> tuple[int, ...]:
    return tuple(min((a * value + b) % _PRIME for value in shingled) for a, b in _COEFFICIENTS)


class _Groups:
    """Union-find over the items."""

    def __init__(self, items: Iterable[T]) -> None:
        self.parent: dict[Hashable, Hashable] = {item: item for item in items}

    def root(self, item: Hashable) -> Hashable:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, first: Hashable, second: Hashable) -> None:
        self.parent[self.root(first)] = self.root(second)


def group_alike(
    texts: dict[T, str], same_person: Iterable[tuple[T, T]] = (), order: Sequence[T] | None = None
) -> list[list[T]]:
    """Items whose texts look alike, or that share a blind index (`same_person`), in groups.

    Groups are joined transitively (a~b and b~c put a, b, c together). Each group keeps
    the items in `order` (default: the order of `texts`); groups come largest first.
    """
    order = list(texts) if order is None else [item for item in order if item in texts]
    groups = _Groups(order)
    shingled = {item: shingles(texts[item]) for item in order}
    buckets: dict[tuple[int, tuple[int, ...]], list[T]] = {}
    for item in order:
        if not shingled[item]:
            continue
        signature = _signature(shingled[item])
        for band in range(0, _PERMUTATIONS, _ROWS_PER_BAND):
            buckets.setdefault((band, signature[band : band + _ROWS_PER_BAND]), []).append(item)
    for members in buckets.values():
        # Each item is compared with one representative per group already in its bucket
        # (at most _REPRESENTATIVES): a flood of a thousand copies costs a thousand checks.
        representatives: list[T] = []
        for item in members:
            for representative in representatives:
                if groups.root(representative) == groups.root(item):
                    break
                if jaccard(shingled[representative], shingled[item]) >= SIMILARITY:
                    groups.join(representative, item)
                    break
            else:
                if len(representatives) < _REPRESENTATIVES:
                    representatives.append(item)
    for first, second in same_person:
        if first in groups.parent and second in groups.parent:
            groups.join(first, second)
    collected: dict[Hashable, list[T]] = {}
    for item in order:
        collected.setdefault(groups.root(item), []).append(item)
    position = {item: place for place, item in enumerate(order)}
    return sorted(collected.values(), key=lambda group: (-len(group), position[group[0]]))
