"""Property tests of the support letters' form: arbitrary wording, placeholders and braces, and versions.

The rules of tests/workspace/test_forms_hypothesis.py: never a 5xx, and a refused post (or a
preview) writes nothing to the letters or the audit log.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refuge.audit.models import AuditEntry
from refuge.disclosures.audit_events import DisclosureEvent
from refuge.disclosures.models import LetterTemplate
from tests.personas import World
from tests.workspace.test_forms_hypothesis import FUZZ, Field, form_body, note, number, texts

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.slow]

# Wording as a coordinator might type it: words, the placeholders, stray and doubled braces.
PIECES = ["{org}", "{date}", "{purpose}", "{", "}", "{{", "}}", "{officer}", "{org.x}", "{0}", "{org!r}", "{date:>9}"]
wording = st.lists(st.sampled_from(PIECES) | st.text(min_size=1, max_size=8), min_size=1, max_size=8).map("".join)


def part(name: str) -> Field:
    return (name, wording, texts)


def _snapshot() -> dict[str, Any]:
    return {
        "letters": list(LetterTemplate.objects.order_by("pk").values_list()),
        "audit": list(
            AuditEntry.objects.exclude(code=DisclosureEvent.LETTER_TEMPLATE_READ)
            .order_by("seq")
            .values_list("seq", "code", "object_id")
        ),
    }


def test_the_letter_form_refuses_arbitrary_input_without_a_5xx_or_a_partial_write(world: World, client_for) -> None:
    alice = client_for(world.alice)
    fields = [part("title"), part("addressee"), part("opening"), part("closing"), number("version", 0, 3)]

    @FUZZ
    @given(st.data())
    def post(data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(["visa", "border", "resettlement"]), label="kind")
        language = data.draw(st.sampled_from(["ru", "en"]), label="language")
        button: Field = ("preview", st.just("1"), st.just(""))  # the preview button of the same form
        content, content_type, pairs = data.draw(form_body([*fields, button]))
        preview = any(name == "preview" for name, _value in pairs)  # sent at all, whatever its value
        path = f"/disclosures/letters/{kind}/{language}/"
        note(f"POST {path}: {[(n, str(v)[:80]) for n, v in pairs]}")
        before = _snapshot()
        response = alice.post(path, data=content, content_type=content_type)
        assert 200 <= response.status_code < 500, response.status_code
        if response.status_code >= 400 or preview:
            assert _snapshot() == before

    post()
