"""The API's endpoints, one module per resource (docs/api.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator

from refuge.api.schemas import Page


def paginate(rows: Any, page: int, per_page: int, convert: Callable[[Any], Any]) -> Page[Any]:
    """One page of `rows` (a queryset or a list); a page past the end is empty, never an error."""
    paginator = Paginator(rows, per_page, allow_empty_first_page=True)
    total = paginator.count
    start = (page - 1) * per_page
    items = [convert(row) for row in paginator.page(page).object_list] if start < total else []
    return Page(
        items=items,
        page=page,
        per_page=per_page,
        total=total,
        next_page=page + 1 if page * per_page < total else None,
    )
