"""Property tests of the pathway catalogue's forms (add, change, notes, retire): arbitrary input.

The same rules as tests/workspace/test_forms_hypothesis.py: never a 5xx, and a refused
post writes nothing to the catalogue, the organisations' notes or the audit log.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refuge.audit.models import AuditEntry
from refuge.relocation.models import Pathway, PathwayNote
from refuge.relocation.requirements import Requirement
from tests.personas import World
from tests.workspace.test_forms_hypothesis import FUZZ, Field, form_body, mostly, note, number, pick, text

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.slow]


def _snapshot() -> dict[str, Any]:
    return {
        "pathways": list(Pathway.objects.order_by("pk").values_list()),
        "notes": list(PathwayNote.objects.order_by("pk").values_list()),
        "audit": list(AuditEntry.objects.order_by("seq").values_list("seq", "code", "object_id")),
    }


def test_pathway_forms_refuse_arbitrary_input_without_a_5xx_or_a_partial_write(world: World, client_for) -> None:
    alice = client_for(world.alice)
    alice.post("/pathways/new/", {"country": "Iceland", "name": "Own", "in_country_eligible": "yes"})
    own = Pathway.objects.get(organisation=world.north)
    shared = Pathway.objects.filter(organisation__isnull=True).first()
    assert shared is not None
    client_for(world.charlie).post("/pathways/new/", {"country": "Chile", "name": "Theirs"})
    theirs = Pathway.objects.get(organisation=world.south)
    requirement: Field = (
        "hard_requirements",
        st.sampled_from(Requirement.values),
        st.sampled_from(["", "has_money", "0"]),
    )
    fields = [
        text("country"),
        text("name"),
        text("legal_basis"),
        text("who_applies"),
        text("in_country_eligible"),
        requirement,
        requirement,
        text("requirements"),
        text("checklist"),
        text("typical_processing_time"),
        number("processing_days", 1, 3650),
        text("fees"),
        text("notes"),
        text("sources"),
    ]

    @FUZZ
    @given(st.data())
    def post(data: st.DataObject) -> None:
        route = data.draw(st.sampled_from(["new", "edit", "note", "retire"]), label="route")
        target = data.draw(mostly(st.sampled_from([str(own.pk)] * 4 + [str(shared.pk)] * 4 + [str(theirs.pk)])))
        if route == "new":
            path, chosen = "/pathways/new/", fields
        elif route == "edit":
            path, chosen = f"/pathways/{target}/edit/", fields
        elif route == "note":
            path, chosen = f"/pathways/{target}/note/", [text("note-note")]
        else:
            path, chosen = f"/pathways/{target}/retire/", [pick("retired", ["1", "0"], ["yes"])]
        content, content_type, pairs = data.draw(form_body(chosen))
        note(f"POST {path}: {[(n, str(v)[:80]) for n, v in pairs]}")
        before = _snapshot()
        response = alice.post(path, data=content, content_type=content_type)
        assert 200 <= response.status_code < 500, response.status_code
        if response.status_code >= 400:
            assert _snapshot() == before

    post()
