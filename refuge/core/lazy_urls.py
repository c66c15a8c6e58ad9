"""A part of the URLconf whose module is imported by the first request that reaches it.

`path("api/v1/", include("refuge.api.main"))` imports the module when the URLconf loads; an
included module given by name is imported by Django as soon as any address of the site is
reversed (every page reverses some), and by the system checks `refuge serve` runs in the
process its workers are forked from. The JSON API (django-ninja, pydantic and its endpoints,
11 MiB of a worker's memory) was so loaded by every worker, even one that never answers an
API call. `lazy_include` keeps the module's place, prefix and namespace in the tree, and
imports it only when one of its own addresses is resolved or reversed; until then the rest
of the tree resolves and reverses without it. Walking the patterns (Django's URL checks)
imports it: `refuge serve` runs every system check but those (refuge/ops/management/commands/serve.py).

It relies on how Django 5.2's `URLResolver` resolves and populates (`url_patterns`,
`_populate`, and the `reverse_dict`, `namespace_dict` and `app_dict` properties that call
it): tests/core/test_startup.py fails if an upgrade changes that.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLResolver
from django.urls.resolvers import RoutePattern


class LazyURLResolver(URLResolver):
    """A namespaced include whose module is imported by its own lookups only."""

    def _imported(self) -> bool:
        return "url_patterns" in self.__dict__  # Django's cached_property, set by the import

    def _import(self) -> None:
        self.url_patterns  # noqa: B018  (imports the module: Django's cached_property)

    def _populate(self) -> None:
        # Called by the parent resolver when any address of the site is reversed: the parent
        # needs only this include's prefix and namespace, read from this object. Its own
        # lookups below import and populate it.
        if self._imported():
            super()._populate()

    @property
    def reverse_dict(self) -> Any:
        self._import()
        return super().reverse_dict

    @property
    def namespace_dict(self) -> Any:
        self._import()
        return super().namespace_dict

    @property
    def app_dict(self) -> Any:
        self._import()
        return super().app_dict


def lazy_include(route: str, module: str, namespace: str) -> LazyURLResolver:
    """As `path(route, include((module, namespace), namespace))`, the module imported on first use."""
    return LazyURLResolver(RoutePattern(route, is_endpoint=False), module, app_name=namespace, namespace=namespace)
