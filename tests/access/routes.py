"""Every route of the URL configuration, found by walking its resolvers recursively."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern


@dataclass(frozen=True)
class Route:
    """One endpoint: its view name ("workspace:intake_request") and the arguments its address takes."""

    name: str
    path: str
    args: frozenset[str]


def _arg_names(pattern: object) -> set[str]:
    if isinstance(pattern, RoutePattern):
        return set(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return set(pattern.regex.groupindex)
    return set()


def _walk(patterns: Sequence[URLPattern | URLResolver], prefix: str, namespace: str, args: set[str]) -> Iterator[Route]:
    for entry in patterns:
        path = prefix + str(entry.pattern)
        here = args | _arg_names(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, path, inner, here)
        else:
            # An unnamed route cannot be reversed, nor listed by name: it is known by its path.
            name = f"{namespace}{entry.name}" if entry.name else f"<unnamed {path}>"
            yield Route(name=name, path=path, args=frozenset(here))


def url_routes(patterns: Sequence[URLPattern | URLResolver] | None = None) -> list[Route]:
    """Every route of refuge.urls (or of the patterns given), includes followed to the end."""
    return list(_walk(get_resolver().url_patterns if patterns is None else patterns, "/", "", set()))
