"""Property test of the receipt form (the partner's confirmation code): arbitrary input, never a 5xx.

Whatever is typed, a code that is not the packet's own is refused and writes nothing: the packet
stays unreceived and no audit entry is added (tests/workspace/test_forms_hypothesis.py's rules).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refuge.audit.models import AuditEntry
from refuge.disclosures.audit_events import DisclosureEvent
from refuge.disclosures.models import Packet
from tests.disclosures.support import add_partner, age_key, approve, case_with_identity, consent, prepare
from tests.personas import World
from tests.workspace.test_forms_hypothesis import FUZZ, form_body, note, texts

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.slow]

# What a person might type for a code: its alphabet, look-alikes, separators, and anything else.
codes = st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZabcilou -_", min_size=0, max_size=40)


def test_the_receipt_form_refuses_arbitrary_codes_without_a_5xx_or_a_write(
    world: World, client_for, tmp_path: Path
) -> None:
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, age_key(tmp_path).recipient))
    consent(world, packet)
    approve(world, packet)
    bob = client_for(world.bob)
    path = f"/cases/{case.pk}/disclosures/{packet.pk}/received/"

    @FUZZ
    @given(st.data())
    def post(data: st.DataObject) -> None:
        content, content_type, pairs = data.draw(form_body([("receipt-code", codes, texts)]))
        note(f"POST {path}: {[(n, str(v)[:80]) for n, v in pairs]}")
        response = bob.post(path, data=content, content_type=content_type)
        assert 200 <= response.status_code < 500, response.status_code
        assert Packet.objects.get(pk=packet.pk).received_on is None
        assert not AuditEntry.objects.filter(code=DisclosureEvent.PACKET_RECEIVED).exists()

    post()
