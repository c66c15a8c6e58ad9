"""Importing a referral through the workspace: the upload beside `refuge import-referral`, with the same hostile corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from refuge.cases.models import Case, Compartment
from refuge.cases.queries import read_compartment, read_summary
from refuge.intake.uploads import MAX_FILE_BYTES
from tests.disclosures.hostile import HOSTILE, hostile_packet, rows, sent
from tests.disclosures.support import DATE_OF_BIRTH, LEGAL_NAME, AgeKey, age_key
from tests.personas import World
from tests.workspace.people_support import ring

URL = "/referrals/import/"


def _upload(client: Client, sealed: bytes, key_file: bytes) -> tuple[int, str]:
    response = client.post(
        URL,
        {
            "packet": SimpleUploadedFile("packet.zip.age", sealed, "application/octet-stream"),
            "key_file": SimpleUploadedFile("key.txt", key_file, "text/plain"),
        },
    )
    return response.status_code, response.content.decode()


def _key(receiving: AgeKey) -> bytes:
    return receiving.identity_file.read_bytes()


def test_a_coordinator_imports_the_uploaded_packet_as_a_new_case(world: World, client_for, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert reverse("workspace:referral_import") == URL
    receiving = age_key(tmp_path)
    charlie = client_for(world.charlie)
    assert charlie.get(URL).status_code == 200
    response = charlie.post(
        URL,
        {
            "packet": SimpleUploadedFile("packet.zip.age", sent(world, receiving)),
            "key_file": SimpleUploadedFile("key.txt", _key(receiving)),
        },
    )
    case = Case.objects.select_related("key").get(organisation=world.south)
    assert response.status_code == 302 and response["Location"] == reverse("workspace:case_detail", args=[case.pk])
    secret = ring(world.charlie).secret_for(case.key)
    assert f"Referred by {world.north.name} on" in read_summary(case, secret)
    identity = Compartment.objects.select_related("key").get(person__case=case, kind="identity")
    assert read_compartment(identity, ring(world.charlie)) == {"legal_name": LEGAL_NAME, "date_of_birth": DATE_OF_BIRTH}


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_upload_is_refused_clearly_and_writes_nothing(
    world: World, client_for, tmp_path: Path, hostile: str
) -> None:  # type: ignore[no-untyped-def]
    receiving = age_key(tmp_path)
    sealed = hostile_packet(world, tmp_path, receiving, hostile)
    charlie = client_for(world.charlie)
    before = rows()
    status, page = _upload(charlie, sealed, _key(receiving))
    assert status == 400
    assert "Please correct the following" in page and "Traceback" not in page
    assert rows() == before


def test_a_replayed_upload_a_wrong_key_file_and_an_oversized_packet_are_refused(
    world: World, client_for, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    receiving = age_key(tmp_path)
    sealed = sent(world, receiving)
    charlie = client_for(world.charlie)
    assert _upload(charlie, sealed, _key(receiving))[0] == 302
    before = rows()
    status, page = _upload(charlie, sealed, _key(receiving))
    assert status == 400 and "already been imported" in page
    status, page = _upload(charlie, sealed, b"# created: 2026\n# public key: age1...\n")
    assert status == 400 and "holds no AGE-SECRET-KEY line" in page
    status, page = _upload(charlie, b"x" * (MAX_FILE_BYTES + 1), _key(receiving))
    assert status == 400 and "import it with the command refuge import-referral" in page
    assert rows() == before


def test_only_coordinators_import(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    for persona in (world.bob, world.ivan):
        assert client_for(persona).get(URL).status_code == 404
