"""The pathway catalogue pages: who sees which pathway, and what a coordinator may change."""

from __future__ import annotations

import pytest

from refuge.audit.models import AuditEntry
from refuge.relocation.audit_events import RelocationEvent
from refuge.relocation.models import Pathway, PathwayNote
from refuge.relocation.queries import pathways_of
from tests.personas import World

pytestmark = pytest.mark.django_db


def _new(**overrides: object) -> dict[str, object]:
    return {
        "country": "Iceland",
        "name": "Humanitarian residence (own arrangement)",
        "legal_basis": "Act 80/2016",
        "who_applies": "The person",
        "in_country_eligible": "yes",
        "hard_requirements": ["international_passport", "family_tie"],
        "requirements": "A family member resident in Iceland",
        "checklist": "Passport\nProof of the family tie\n\n",
        "typical_processing_time": "about two months",
        "processing_days": "60",
        "fees": "ISK 12,000",
        "notes": "",
        "sources": "",
    } | overrides


def test_a_coordinator_adds_a_private_pathway_that_only_their_organisation_sees(world: World, client_for) -> None:
    alice = client_for(world.alice)
    response = alice.post("/pathways/new/", _new())
    pathway = Pathway.objects.get(country="Iceland")
    assert response.status_code == 302 and response["Location"] == f"/pathways/{pathway.pk}/"
    assert pathway.organisation_id == world.north.pk
    assert pathway.hard_requirements == ["international_passport", "family_tie"]
    assert pathway.checklist == ["Passport", "Proof of the family tie"]
    assert pathway.processing_days == 60
    assert AuditEntry.objects.filter(code=RelocationEvent.PATHWAY_ADDED, object_id=str(pathway.pk)).exists()
    assert "Humanitarian residence" in client_for(world.bob).get("/pathways/").content.decode()
    charlie = client_for(world.charlie)
    assert "Humanitarian residence" not in charlie.get("/pathways/").content.decode()
    assert charlie.get(f"/pathways/{pathway.pk}/").status_code == 404
    assert pathway not in pathways_of(world.south.pk)


def test_a_bad_value_is_refused_next_to_its_field_and_nothing_is_stored(world: World, client_for) -> None:
    alice = client_for(world.alice)
    before = Pathway.objects.count()
    response = alice.post("/pathways/new/", _new(processing_days="0", country=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Typical days are a whole number from 1 to 3650" in page
    assert "Name the destination country." in page
    assert Pathway.objects.count() == before
    too_many = "\n".join(f"Document {n}" for n in range(41))
    assert "at most 40 documents" in alice.post("/pathways/new/", _new(checklist=too_many)).content.decode()


def test_a_caseworker_reads_the_catalogue_but_cannot_change_it(world: World, client_for) -> None:
    bob = client_for(world.bob)
    shared = Pathway.objects.filter(organisation__isnull=True).first()
    assert shared is not None
    page = bob.get(f"/pathways/{shared.pk}/").content.decode()
    assert shared.country in page and "Save the notes" not in page
    assert bob.get("/pathways/new/").status_code == 404
    assert bob.post(f"/pathways/{shared.pk}/retire/", {"retired": "1"}).status_code == 404


def test_the_shared_catalogue_is_not_edited_in_the_workspace_but_kept_notes_on(world: World, client_for) -> None:
    alice = client_for(world.alice)
    shared = Pathway.objects.get(country="Lithuania")
    assert alice.get(f"/pathways/{shared.pk}/edit/").status_code == 404
    response = alice.post(f"/pathways/{shared.pk}/note/", {"note-note": "Vilnius consulate answers within a week"})
    assert response.status_code == 302
    assert PathwayNote.objects.get(organisation=world.north, pathway=shared).note.startswith("Vilnius")
    assert "Vilnius consulate" in alice.get(f"/pathways/{shared.pk}/").content.decode()
    # South's coordinator sees the shared pathway without north's note.
    assert "Vilnius consulate" not in client_for(world.charlie).get(f"/pathways/{shared.pk}/").content.decode()


def test_retiring_a_shared_pathway_hides_it_from_one_organisation_only(world: World, client_for) -> None:
    alice = client_for(world.alice)
    shared = Pathway.objects.get(country="Lithuania")
    assert alice.post(f"/pathways/{shared.pk}/retire/", {"retired": "1"}).status_code == 302
    assert shared not in pathways_of(world.north.pk)
    assert shared in pathways_of(world.south.pk)
    shared.refresh_from_db()
    assert shared.active  # the shared row is as it was
    assert "Retired" in alice.get("/pathways/").content.decode()
    alice.post(f"/pathways/{shared.pk}/retire/", {"retired": "0"})
    assert shared in pathways_of(world.north.pk)
    codes = list(AuditEntry.objects.filter(object_type="pathway").values_list("code", flat=True))
    assert codes == [RelocationEvent.PATHWAY_RETIRED, RelocationEvent.PATHWAY_RESTORED]


def test_a_private_pathway_is_edited_and_retired_for_good(world: World, client_for) -> None:
    alice = client_for(world.alice)
    alice.post("/pathways/new/", _new())
    pathway = Pathway.objects.get(country="Iceland")
    assert "Proof of the family tie" in alice.get(f"/pathways/{pathway.pk}/edit/").content.decode()
    assert (
        alice.post(f"/pathways/{pathway.pk}/edit/", _new(name="Family reunification", hard_requirements=[])).status_code
        == 302
    )
    pathway.refresh_from_db()
    assert pathway.name == "Family reunification" and pathway.hard_requirements == []
    alice.post(f"/pathways/{pathway.pk}/retire/", {"retired": "1"})
    pathway.refresh_from_db()
    assert not pathway.active


def test_another_organisations_private_pathway_is_missing_for_the_case_forms(world: World, client_for) -> None:
    client_for(world.charlie).post("/pathways/new/", _new(name="South's own programme"))
    page = client_for(world.alice).get("/cases/").content.decode()
    assert "South&#x27;s own programme" not in page and "South's own programme" not in page
