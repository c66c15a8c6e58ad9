"""Reading the pathway catalogue (public facts, in clear: no access rule, no audit)."""

from __future__ import annotations

from refuge.relocation.models import Pathway


def pathway_by_code(code: str) -> Pathway | None:
    """The catalogue's pathway with this stable code, if it is (still) in the catalogue."""
    return Pathway.objects.filter(code=code).first() if code else None
