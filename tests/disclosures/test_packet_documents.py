"""Case documents in a packet: nothing chosen by default, exactly the chosen ones travel, byte for byte.

The packet is opened with the real `age` tool, as the partner does; the unchosen document must not
be in it by name or by content. Then the receiving installation imports it, documents included.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from refuge.cases.actions.documents import do_add_document
from refuge.cases.models import Case, CaseDocument
from refuge.cases.queries import read_document_content, read_document_names
from refuge.core.errors import UserError
from refuge.disclosures import packets
from refuge.disclosures.models import Packet, PacketDocument
from refuge.disclosures.packet_documents import document_key
from refuge.disclosures.referrals import do_import_referral_file
from refuge.intake.uploads import sanitise_upload
from tests.disclosures.support import (
    CANARIES,
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

CHOSEN_NAME = "passport-scan.png"
UNCHOSEN_NAME = "CANARY-DOCUMENT-NAME.png"


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _add(world: World, case: Case, name: str, colour: tuple[int, int, int]) -> CaseDocument:
    data = _png(colour)
    upload = sanitise_upload(name, io.BytesIO(data), len(data))
    return do_add_document(actor=world.bob.refresh().user, keyring=ring(world.bob), case=case, upload=upload)


def _stored(world: World, document: CaseDocument) -> bytes:
    """The document as the case's team downloads it from the case."""
    row = CaseDocument.objects.select_related("key").get(pk=document.pk)
    return read_document_content(row, ring(world.bob).secret_for(row.key))


@pytest.fixture
def documents_case(world: World):  # type: ignore[no-untyped-def]
    case, person = case_with_identity(world)
    chosen = _add(world, case, CHOSEN_NAME, (10, 200, 10))
    unchosen = _add(world, case, UNCHOSEN_NAME, (200, 10, 10))
    return case, person, chosen, unchosen


def test_the_packet_holds_exactly_the_chosen_document_byte_for_byte(
    world: World, tmp_path: Path, documents_case
) -> None:  # type: ignore[no-untyped-def]
    case, person, chosen, unchosen = documents_case
    key = age_key(tmp_path)
    packet = prepare(world, case, person, add_partner(world, key.recipient), documents=[document_key(chosen)])
    consent(world, packet)
    files = open_with_age_cli(packets.do_take_download(token=approve(world, packet).token) or b"", key, tmp_path)
    original = _stored(world, chosen)
    assert sorted(files) == ["documents/1-passport-scan.png", "packet.json", "summary.pdf"]
    assert files["documents/1-passport-scan.png"] == original
    assert packet_json(files)["documents"] == [
        {
            "file": "documents/1-passport-scan.png",
            "name": CHOSEN_NAME,
            "size": len(original),
            "sha256": hashlib.sha256(original).hexdigest(),
        }
    ]
    left_out = _stored(world, unchosen)
    everything = b"".join(files.values())
    assert left_out not in everything
    text = everything.decode("utf-8", "replace") + pdf_text(files["summary.pdf"], tmp_path)
    for canary in (*CANARIES, "CANARY-DOCUMENT-NAME"):
        assert canary not in text


def test_the_checklist_offers_the_documents_with_none_chosen(world: World, client_for, documents_case) -> None:  # type: ignore[no-untyped-def]
    case, _person, chosen, unchosen = documents_case
    form = client_for(world.bob).get(reverse("workspace:packet_new", args=[case.pk])).content.decode()
    assert f'value="{document_key(chosen)}"' in form and f'value="{document_key(unchosen)}"' in form
    assert CHOSEN_NAME in form and " checked" not in form


def test_a_document_of_another_case_is_refused_and_nothing_is_written(
    world: World, tmp_path: Path, documents_case
) -> None:  # type: ignore[no-untyped-def]
    case, person, _chosen, _unchosen = documents_case
    other_case, _other_person = case_with_identity(world)
    foreign = _add(world, other_case, "other.png", (1, 2, 3))
    with pytest.raises(UserError) as refused:
        prepare(world, case, person, add_partner(world, age_key(tmp_path).recipient), documents=[document_key(foreign)])
    assert refused.value.code == "bad_document"
    assert not Packet.objects.exists() and not PacketDocument.objects.exists()


def test_documents_alone_may_go_but_not_with_a_letter(world: World, tmp_path: Path, documents_case) -> None:  # type: ignore[no-untyped-def]
    case, _person, chosen, _unchosen = documents_case
    partner = add_partner(world, age_key(tmp_path).recipient)

    def prepare_documents(**extra: str) -> Packet:
        return packets.do_prepare_packet(
            actor=world.bob.refresh().user,
            keyring=ring(world.bob),
            case=case,
            partner=partner,
            purpose="Evidence for the lawyer",
            selection=[],
            documents=[document_key(chosen)],
            **extra,
        )

    with pytest.raises(UserError) as refused:
        prepare_documents(letter="visa", letter_language="en")
    assert refused.value.code == "letter_without_fields"
    assert not Packet.objects.exists() and not PacketDocument.objects.exists()
    packet = prepare_documents()
    assert PacketDocument.objects.filter(packet=packet).count() == 1


def test_a_packet_document_is_encrypted_at_rest_and_revoking_deletes_it(
    world: World, tmp_path: Path, documents_case
) -> None:  # type: ignore[no-untyped-def]
    case, person, chosen, _unchosen = documents_case
    packet = prepare(
        world, case, person, add_partner(world, age_key(tmp_path).recipient), documents=[document_key(chosen)]
    )
    row = PacketDocument.objects.get(packet=packet)
    assert _stored(world, chosen) not in bytes(row.data)
    assert CHOSEN_NAME.encode() not in bytes(row.name)
    packets.do_revoke_packet(actor=world.bob.refresh().user, packet=packet)
    assert not PacketDocument.objects.exists()


def test_the_receiving_installation_imports_the_documents(world: World, tmp_path: Path, documents_case) -> None:  # type: ignore[no-untyped-def]
    case, person, chosen, _unchosen = documents_case
    receiving = age_key(tmp_path)
    partner = add_partner(world, receiving.recipient, code_name="south-refuge")
    packet = prepare(world, case, person, partner, documents=[document_key(chosen)])
    consent(world, packet)
    sealed = packets.do_take_download(token=approve(world, packet).token) or b""
    imported = do_import_referral_file(
        coordinator=world.charlie.refresh().user, sealed=sealed, key_file=receiving.identity_file.read_bytes()
    ).case
    charlie = ring(world.charlie)
    secret = charlie.secret_for(Case.objects.select_related("key").get(pk=imported.pk).key)
    [shown] = read_document_names(imported, secret)
    assert shown.text == CHOSEN_NAME
    row = CaseDocument.objects.select_related("key").get(pk=shown.row.pk)
    assert Image.open(io.BytesIO(read_document_content(row, secret))).getpixel((0, 0)) == (10, 200, 10)
