"""Confirmation back from the receiving side: the code only the packet's recipient can read.

The packet carries a fresh 100-bit code (packet.json and the summary PDF); the sending side keeps
its SHA-256 only. The receiving installation shows the code after the import, the sender types it
on the packet's page, and the packet is "received" in the case's list and the register. A wrong
code, a code typed twice or a packet of another organisation writes nothing.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from refuge.audit.models import AuditEntry
from refuge.cases.models import Case
from refuge.cases.queries import read_summary
from refuge.core.errors import UserError
from refuge.disclosures import packets
from refuge.disclosures.acknowledgements import do_confirm_receipt
from refuge.disclosures.audit_events import DisclosureEvent
from refuge.disclosures.models import Packet
from tests.disclosures.support import (
    add_partner,
    age_key,
    approve,
    case_with_identity,
    consent,
    open_with_age_cli,
    packet_json,
    pdf_text,
    prepare,
)
from tests.personas import World
from tests.workspace.people_support import ring

pytestmark = pytest.mark.django_db


def _sent(world: World, tmp_path: Path) -> tuple[Packet, bytes, object]:
    key = age_key(tmp_path)
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, key.recipient, code_name="south-refuge"))
    consent(world, packet)
    sealed = packets.do_take_download(token=approve(world, packet).token) or b""
    return Packet.objects.select_related("case").get(pk=packet.pk), sealed, key


def test_the_code_is_in_the_packet_and_only_its_digest_is_kept(world: World, tmp_path: Path) -> None:
    packet, sealed, key = _sent(world, tmp_path)
    files = open_with_age_cli(sealed, key, tmp_path)  # type: ignore[arg-type]
    code = packet_json(files)["acknowledgement"]
    assert len(code.replace("-", "")) == 20
    assert code in " ".join(pdf_text(files["summary.pdf"], tmp_path).split())
    stored = repr(Packet.objects.filter(pk=packet.pk).values_list())
    assert code not in stored and code.replace("-", "") not in stored
    assert packet.acknowledgement_digest and len(packet.acknowledgement_digest) == 64


def test_the_receiving_installation_shows_the_code_and_the_sender_confirms_it(
    world: World, client_for, tmp_path: Path
) -> None:
    packet, sealed, key = _sent(world, tmp_path)
    path = tmp_path / "packet.zip.age"
    path.write_bytes(sealed)
    out = io.StringIO()
    call_command(
        "import_referral", str(path), org="south", coordinator="charlie", identity=str(key.identity_file), stdout=out
    )  # type: ignore[attr-defined]
    code = out.getvalue().rsplit(": ", 1)[1].strip()
    imported = Case.objects.select_related("key").get(organisation=world.south)
    assert code in read_summary(imported, ring(world.charlie).secret_for(imported.key))
    bob = client_for(world.bob)
    url = f"/cases/{packet.case_id}/disclosures/{packet.pk}/received/"
    wrong = bob.post(url, {"receipt-code": "AAAA-BBBB-CCCC-DDDD-EEEE"})
    assert wrong.status_code == 400 and "not the packet's confirmation code" in html.unescape(wrong.content.decode())
    assert Packet.objects.get(pk=packet.pk).received_on is None
    assert not AuditEntry.objects.filter(code=DisclosureEvent.PACKET_RECEIVED).exists()
    typed = code.lower().replace("-", " ")  # as a person reads it over the phone
    assert bob.post(url, {"receipt-code": typed}).status_code == 302
    assert Packet.objects.get(pk=packet.pk).received_on is not None
    register = client_for(world.alice).get("/disclosures/").content.decode()
    assert "Received: the partner confirmed" in register
    entry = AuditEntry.objects.get(code=DisclosureEvent.PACKET_RECEIVED)
    assert str(entry.object_id) == str(packet.pk) and code not in repr(entry.__dict__)
    with pytest.raises(UserError) as again:
        do_confirm_receipt(actor=world.bob.refresh().user, packet=packet, code=code)
    assert again.value.code == "already_received"


def test_the_upload_shows_the_code_to_the_receiving_coordinator(world: World, client_for, tmp_path: Path) -> None:
    _packet, sealed, key = _sent(world, tmp_path)
    charlie = client_for(world.charlie)
    page = charlie.post(
        "/referrals/import/",
        {"packet": io.BytesIO(sealed), "key_file": io.BytesIO(key.identity_file.read_bytes())},  # type: ignore[attr-defined]
        follow=True,
    ).content.decode()
    assert "Give the sending organisation this confirmation code" in page


def test_a_garbled_code_or_an_outsider_writes_nothing(world: World, tmp_path: Path) -> None:
    packet, _sealed, _key = _sent(world, tmp_path)
    for garbled in ("", "x" * 65, "{org}", "ABCD-EFGH"):
        with pytest.raises(UserError) as refused:
            do_confirm_receipt(actor=world.bob.refresh().user, packet=packet, code=garbled)
        assert refused.value.code == "wrong_code"
    with pytest.raises(UserError) as refused:
        do_confirm_receipt(actor=world.charlie.refresh().user, packet=packet, code="AAAA-BBBB-CCCC-DDDD-EEEE")
    assert refused.value.code == "not_allowed"
    assert Packet.objects.get(pk=packet.pk).received_on is None
