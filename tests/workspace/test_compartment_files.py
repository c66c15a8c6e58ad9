"""Files inside a compartment (a passport scan in the legal identity): under the compartment's key, for its holders only."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest

from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.cases.actions import compartment_files
from refuge.cases.actions.compartments import do_revoke_compartment
from refuge.cases.actions.team import do_add_team_member
from refuge.cases.models import Case, CompartmentFile, Person
from refuge.crypto import CryptoError
from refuge.intake.uploads import CleanUpload
from refuge.keyring.files import decrypt_file_content
from refuge.keyring.models import Key
from tests.personas import World
from tests.workspace.people_support import identity_of, open_case, requester_of, ring
from tests.workspace.test_cases_views import _field_error, _png


@pytest.fixture
def case(world: World) -> Case:
    return open_case(world, team=[world.alice, world.bob])


def _url(case: Case, person: Person, rest: str = "") -> str:
    return f"/cases/{case.pk}/people/{person.pk}/identity/{rest}"


def _scan(name: str = "Passport CANARY-SCAN-NAME.png") -> io.BytesIO:
    upload = io.BytesIO(_png())
    upload.name = name
    return upload


def _upload(client: Any, case: Case, person: Person, **data: Any) -> Any:
    return client.post(_url(case, person, "files/"), {"file-file": _scan(), **data})


def test_a_holder_uploads_a_scan_lists_it_and_downloads_it_with_safe_headers(
    world: World, case: Case, client_for
) -> None:
    person = requester_of(case)
    bob = client_for(world.bob)
    response = _upload(bob, case, person)
    assert response.status_code == 302 and response["Location"].endswith("/identity/#files")
    stored = CompartmentFile.objects.get()
    page = bob.get(_url(case, person)).content.decode()
    assert f'href="{_url(case, person, f"files/{stored.pk}/")}">Passport CANARY-SCAN-NAME.png</a>' in page
    download = bob.get(_url(case, person, f"files/{stored.pk}/"))
    assert download.status_code == 200 and download.content.startswith(b"\x89PNG")
    assert download["Content-Type"] == "image/png"
    assert "CANARY" not in download["Content-Disposition"] and case.reference in download["Content-Disposition"]
    assert download["Cache-Control"] == "no-store" and "sandbox" in download["Content-Security-Policy"]
    compartment = identity_of(person)
    assert AuditEntry.objects.filter(code=AuditEvent.COMPARTMENT_FILE_ADDED, object_id=str(compartment.pk)).count() == 1
    assert AuditEntry.objects.filter(code=AuditEvent.COMPARTMENT_FILE_READ, object_id=str(compartment.pk)).count() == 1
    # Alice holds the identity too: she opens it. A made-up id is 404.
    assert client_for(world.alice).get(_url(case, person, f"files/{stored.pk}/")).status_code == 200
    assert bob.get(_url(case, person, f"files/{uuid.uuid4()}/")).status_code == 404


def test_the_file_is_under_the_compartment_key_and_the_case_key_does_not_open_it(world: World, case: Case) -> None:
    person = requester_of(case)
    compartment = identity_of(person)
    stored = compartment_files.do_add_compartment_file(
        actor=world.bob.user,
        keyring=ring(world.bob),
        compartment=compartment,
        upload=CleanUpload(kind="png", data=_png(), name="scan.png"),
    )
    assert stored.key_id == compartment.key_id != case.key_id
    bob = ring(world.bob)
    assert decrypt_file_content(stored, bob.secret_for(compartment.key), compartment.key).startswith(b"\x89PNG")
    with pytest.raises(CryptoError):
        decrypt_file_content(stored, bob.secret_for(case.key), compartment.key)


def test_a_team_member_without_the_compartment_sees_no_file_name_and_cannot_reach_the_file(
    world: World, case: Case, client_for
) -> None:
    person = requester_of(case)
    assert _upload(client_for(world.bob), case, person).status_code == 302
    stored = CompartmentFile.objects.get()
    do_add_team_member(actor=world.alice.user, keyring=ring(world.alice), case=case, member=world.bella.user)
    bella = client_for(world.bella)
    page = bella.get(_url(case, person)).content.decode()
    assert "You have not been given this compartment" in page and "CANARY-SCAN-NAME" not in page
    # The same 404 as a file that does not exist, and an upload writes nothing.
    assert bella.get(_url(case, person, f"files/{stored.pk}/")).status_code == 404
    assert _upload(bella, case, person).status_code == 404
    assert CompartmentFile.objects.count() == 1
    # Nor is the file reached under another compartment's address, or by someone off the team.
    bob = client_for(world.bob)
    assert bob.get(f"/cases/{case.pk}/people/{person.pk}/medical/files/{stored.pk}/").status_code == 404
    assert client_for(world.charlie).get(_url(case, person, f"files/{stored.pk}/")).status_code == 404


def test_a_member_the_compartment_is_taken_back_from_loses_its_files_and_holders_keep_them(
    world: World, case: Case, client_for
) -> None:
    person = requester_of(case)
    assert _upload(client_for(world.bob), case, person).status_code == 302
    stored = CompartmentFile.objects.get()
    version = Key.objects.get(pk=identity_of(person).key_id).version
    do_revoke_compartment(
        actor=world.bob.user, keyring=ring(world.bob), compartment=identity_of(person), member=world.alice.user
    )
    assert Key.objects.get(pk=stored.key_id).version == version + 1  # rotated: the file key re-encrypted
    assert client_for(world.alice).get(_url(case, person, f"files/{stored.pk}/")).status_code == 404
    assert client_for(world.bob).get(_url(case, person, f"files/{stored.pk}/")).content.startswith(b"\x89PNG")


def test_a_bad_file_is_refused_next_to_the_field_and_nothing_is_stored(world: World, case: Case, client_for) -> None:
    person = requester_of(case)
    bob = client_for(world.bob)
    for content, message in ((b"MZ\x90\x00 not a document", "We cannot accept"), (b"", "is empty")):
        upload = io.BytesIO(content)
        upload.name = "tool.exe"
        response = bob.post(_url(case, person, "files/"), {"file-file": upload})
        assert response.status_code == 400, message
        assert _field_error(response.content.decode(), "id_file-file", message), message
    response = bob.post(_url(case, person, "files/"), {})
    assert response.status_code == 400
    assert _field_error(response.content.decode(), "id_file-file", "Choose a file to upload.")
    assert not CompartmentFile.objects.exists()


def test_a_full_compartment_says_so_and_stores_nothing_more(
    world: World, case: Case, client_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compartment_files, "MAX_FILES_PER_COMPARTMENT", 1)
    person = requester_of(case)
    bob = client_for(world.bob)
    assert _upload(bob, case, person).status_code == 302
    response = _upload(bob, case, person)
    assert response.status_code == 400
    assert _field_error(response.content.decode(), "id_file-file", "as many as it can hold")
    assert CompartmentFile.objects.count() == 1


def test_an_unwritten_compartment_offers_no_upload(world: World, case: Case, client_for) -> None:
    person = requester_of(case)
    bob = client_for(world.bob)
    assert "files/" not in bob.get(f"/cases/{case.pk}/people/{person.pk}/medical/").content.decode()
    assert bob.post(f"/cases/{case.pk}/people/{person.pk}/medical/files/", {"file-file": _scan()}).status_code == 404
