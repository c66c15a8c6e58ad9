"""People of a case and their compartments in the workspace: need-to-know, sharing, bad input."""

from __future__ import annotations

import datetime
import uuid

import pytest

from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.cases.actions.team import do_add_team_member
from refuge.cases.models import Case, Compartment, Person
from refuge.cases.queries import read_compartment, read_person_details
from tests.personas import World
from tests.workspace.people_support import PASSPORT, identity_of, open_case, requester_of, ring


@pytest.fixture
def case(world: World) -> Case:
    return open_case(world)


def _person_url(case: Case, person: Person, rest: str = "") -> str:
    return f"/cases/{case.pk}/people/{person.pk}/{rest}"


# --- who sees a person ----------------------------------------------------------------------


def test_the_team_sees_the_person_and_which_compartments_it_holds(world: World, case: Case, client_for) -> None:
    person = requester_of(case)
    page = client_for(world.bob).get(_person_url(case, person)).content.decode()
    assert person.pseudonym in page
    assert "Legal identity" in page and "You hold it" in page
    assert "alice, bob" in page  # who holds the identity compartment
    # The person page itself shows no compartment content.
    assert PASSPORT not in page and "Иван" not in page


def test_people_are_404_outside_the_team_and_for_made_up_ids(world: World, case: Case, client_for) -> None:
    person = requester_of(case)
    other = open_case(world, team=[world.bella])
    for persona in (world.bella, world.ivan, world.audrey, world.adam, world.charlie):
        assert client_for(persona).get(_person_url(case, person)).status_code == 404, persona.user.username
    bob = client_for(world.bob)
    assert bob.get(_person_url(case, requester_of(other))).status_code == 404  # a person of another case
    assert bob.get(f"/cases/{case.pk}/people/{uuid.uuid4()}/").status_code == 404
    assert bob.get(f"/cases/{uuid.uuid4()}/people/{person.pk}/").status_code == 404
    assert bob.get(f"/cases/{case.pk}/people/not-a-uuid/").status_code == 404
    assert bob.get(_person_url(case, person, "no-such-kind/")).status_code == 404
    assert bob.get(_person_url(case, person, "identity/share/")).status_code == 405


# --- compartments: need-to-know ---------------------------------------------------------------


def test_a_team_member_without_the_identity_compartment_sees_the_person_not_the_passport(
    world: World, case: Case, client_for
) -> None:
    do_add_team_member(actor=world.alice.user, keyring=ring(world.alice), case=case, member=world.bella.user)
    person = requester_of(case)
    bella = client_for(world.bella)
    assert bella.get(_person_url(case, person)).status_code == 200
    response = bella.get(_person_url(case, person, "identity/"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "You have not been given this compartment" in page
    assert "Ask alice, bob" in page
    assert PASSPORT not in page and "Иван" not in page
    # Posting to it writes nothing either.
    identity = identity_of(person)
    refused = bella.post(_person_url(case, person, "identity/"), {"legal_name": "X", "version": identity.version})
    assert refused.status_code == 403
    assert read_compartment(identity_of(person), ring(world.bob))["legal_name"] == "Иван Петров"


def test_granting_shows_the_compartment_and_the_read_is_audited(world: World, case: Case, client_for) -> None:
    do_add_team_member(actor=world.alice.user, keyring=ring(world.alice), case=case, member=world.bella.user)
    person = requester_of(case)
    response = client_for(world.bob).post(_person_url(case, person, "identity/share/"), {"member": world.bella.user.pk})
    assert response.status_code == 302
    page = client_for(world.bella).get(_person_url(case, person, "identity/")).content.decode()
    assert PASSPORT in page
    assert AuditEntry.objects.filter(
        code=AuditEvent.COMPARTMENT_READ, actor_id=world.bella.user.pk, object_id=str(identity_of(person).pk)
    ).exists()


def test_unsharing_asks_first_then_rotates_the_key(world: World, case: Case, client_for) -> None:
    person = requester_of(case)
    identity = identity_of(person)
    version = identity.key.version
    bob = client_for(world.bob)
    url = _person_url(case, person, f"identity/unshare/{world.alice.user.pk}/")
    confirm = bob.get(url)
    assert confirm.status_code == 200 and "Yes, take it away" in confirm.content.decode()
    assert identity_of(person).key.version == version  # asking changes nothing
    assert bob.post(url).status_code == 302
    after = identity_of(person)
    assert after.key.version == version + 1
    page = client_for(world.alice).get(_person_url(case, person, "identity/")).content.decode()
    assert "You have not been given this compartment" in page and PASSPORT not in page
    assert read_compartment(after, ring(world.bob))["internal_passport_number"] == PASSPORT


def test_unsharing_is_refused_for_oneself_and_for_non_holders(world: World, case: Case, client_for) -> None:
    person = requester_of(case)
    version = identity_of(person).key.version
    bob = client_for(world.bob)
    own = bob.post(_person_url(case, person, f"identity/unshare/{world.bob.user.pk}/"))
    assert own.status_code == 400 and "You cannot take your own access away here." in own.content.decode()
    assert bob.post(_person_url(case, person, f"identity/unshare/{world.bella.user.pk}/")).status_code == 404
    assert bob.post(_person_url(case, person, f"identity/unshare/{world.charlie.user.pk}/")).status_code == 404
    assert identity_of(person).key.version == version


def test_sharing_refuses_members_off_the_team_and_other_organisations(world: World, case: Case, client_for) -> None:
    person = requester_of(case)
    bob = client_for(world.bob)
    for member in (world.bella.user.pk, world.charlie.user.pk, world.audrey.user.pk, "not-a-uuid", ""):
        response = bob.post(_person_url(case, person, "identity/share/"), {"member": member})
        assert response.status_code == 400, member
        assert "Choose a member of the team." in response.content.decode()
    assert {w.holder_id for w in identity_of(person).key.wraps.filter(holder_kind="user")} == {
        world.alice.user.pk,
        world.bob.user.pk,
    }


def test_a_new_compartment_is_held_by_its_writer_only(world: World, case: Case, client_for) -> None:
    person = requester_of(case)
    bob = client_for(world.bob)
    blank = bob.get(_person_url(case, person, "sogiesc/"))
    assert blank.status_code == 200 and "Not written yet" in blank.content.decode()
    data = {"sexual_orientation": "gay CANARY-SOGIESC", "version": "0"}
    assert bob.post(_person_url(case, person, "sogiesc/"), data).status_code == 302
    assert "CANARY-SOGIESC" in bob.get(_person_url(case, person, "sogiesc/")).content.decode()
    alice_page = client_for(world.alice).get(_person_url(case, person, "sogiesc/")).content.decode()
    assert "CANARY-SOGIESC" not in alice_page and "Ask bob" in alice_page
    assert AuditEntry.objects.filter(code=AuditEvent.COMPARTMENT_WRITTEN, actor_id=world.bob.user.pk).exists()


# --- compartments: editing and bad input --------------------------------------------------------


def test_editing_the_identity_keeps_other_fields_and_makes_an_expiry_task(world: World, case: Case, client_for) -> None:
    person = requester_of(case)
    identity = identity_of(person)
    data = {
        "legal_name": "Иван Петров",
        "internal_passport_number": PASSPORT,
        "international_passport_number": "75 1234567",
        "international_passport_expiry": "2030-01-31",
        "version": identity.version,
    }
    response = client_for(world.bob).post(_person_url(case, person, "identity/"), data)
    assert response.status_code == 302
    content = read_compartment(identity_of(person), ring(world.bob))
    assert content["international_passport_number"] == "75 1234567"
    assert content["international_passport_expiry"] == "2030-01-31"
    assert case.tasks.filter(source__endswith="international_passport_expiry").count() == 1


def test_the_identity_holds_nationality_and_place_of_birth_encrypted_and_editable(
    world: World, case: Case, client_for
) -> None:
    person = requester_of(case)
    identity = identity_of(person)
    bob = client_for(world.bob)
    form = bob.get(_person_url(case, person, "identity/")).content.decode()
    assert "Place of birth" in form and "Nationality" in form
    data = {
        "legal_name": "Иван Петров",
        "place_of_birth": "Argun CANARY-BIRTHPLACE",
        "nationality": "Russia\nCANARY-NATIONALITY",
        "version": identity.version,
    }
    assert bob.post(_person_url(case, person, "identity/"), data).status_code == 302
    saved = identity_of(person)
    content = read_compartment(saved, ring(world.bob))
    assert content["place_of_birth"] == "Argun CANARY-BIRTHPLACE"
    assert content["nationality"] == "Russia\nCANARY-NATIONALITY"
    assert b"CANARY-BIRTHPLACE" not in bytes(saved.content) and b"CANARY-NATIONALITY" not in bytes(saved.content)
    page = bob.get(_person_url(case, person, "identity/")).content.decode()
    assert "CANARY-BIRTHPLACE" in page and "CANARY-NATIONALITY" in page
    # A team member without the compartment sees neither.
    do_add_team_member(actor=world.alice.user, keyring=ring(world.alice), case=case, member=world.bella.user)
    bella_page = client_for(world.bella).get(_person_url(case, person, "identity/")).content.decode()
    assert "CANARY-BIRTHPLACE" not in bella_page


def test_a_task_made_from_an_expiry_date_reads_in_the_readers_language(world: World, case: Case, client_for) -> None:
    person = requester_of(case)
    identity = identity_of(person)
    # Expiring within the 180 days' notice: the renewal task is due already, so the home page lists it too.
    expires = (datetime.date.today() + datetime.timedelta(days=100)).isoformat()
    data = {"legal_name": "Иван Петров", "international_passport_expiry": expires, "version": identity.version}
    # Saved by a member working in English ...
    assert client_for(world.bob).post(_person_url(case, person, "identity/"), data).status_code == 302
    # ... and read in Russian by the lead, who owns the task: on the case page and the home page.
    client = client_for(world.alice)
    client.cookies["__Host-refuge-lang"] = "ru"
    for page in (f"/cases/{case.pk}/", "/"):
        html = client.get(page).content.decode()
        assert f"Обновить заграничный паспорт: срок действия истекает {expires}" in html, page
        assert "Renew the international passport" not in html, page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "31/31/1990", "Enter a date as YYYY-MM-DD."),
        ("legal_name", "x" * 201, "This is too long: at most 200 characters."),
        ("phone", "+7\x00900", "This contains characters that cannot be stored."),
        ("version", "abc", "This form is out of date."),
    ],
)
def test_bad_compartment_input_is_refused_next_to_the_field(
    world: World, case: Case, client_for, field: str, value: str, message: str
) -> None:
    person = requester_of(case)
    identity = identity_of(person)
    data = {"legal_name": "Typed by bob", "version": identity.version, field: value}
    response = client_for(world.bob).post(_person_url(case, person, "identity/"), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    if field != "legal_name":
        assert 'value="Typed by bob"' in page  # what was typed is kept
    assert identity_of(person).version == identity.version
    assert read_compartment(identity_of(person), ring(world.bob))["legal_name"] == "Иван Петров"


def test_a_stale_compartment_form_is_a_conflict_and_saves_nothing(world: World, case: Case, client_for) -> None:
    person = requester_of(case)
    identity = identity_of(person)
    bob = client_for(world.bob)
    first = {"legal_name": "First edit", "version": identity.version}
    assert bob.post(_person_url(case, person, "identity/"), first).status_code == 302
    second = client_for(world.alice).post(
        _person_url(case, person, "identity/"), {"legal_name": "Second edit", "version": identity.version}
    )
    assert second.status_code == 409
    assert "Someone else changed this case while you were editing it." in second.content.decode()
    assert read_compartment(identity_of(person), ring(world.bob))["legal_name"] == "First edit"


def _contacts(*rows: dict[str, str], initial: int = 0, **extra: str) -> dict[str, str]:
    data = {
        "version": extra.pop("version", "0"),
        "contacts-TOTAL_FORMS": str(len(rows)),
        "contacts-INITIAL_FORMS": str(initial),
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "100",
    }
    for index, row in enumerate(rows):
        data |= {f"contacts-{index}-{key}": value for key, value in row.items()}
    return data | extra


def test_the_contact_list_adds_and_removes_entries_without_javascript(world: World, case: Case, client_for) -> None:
    person = requester_of(case)
    bob = client_for(world.bob)
    url = _person_url(case, person, "contacts/")
    page = bob.get(url).content.decode()
    assert 'name="contacts-TOTAL_FORMS" value="1"' in page  # one blank row
    uncle = {"name": "Uncle Ruslan", "relation": "threat", "details": "Police officer in Grozny"}
    assert bob.post(url, _contacts(uncle, {"name": "", "relation": ""})).status_code == 302
    compartment = Compartment.objects.select_related("key").get(person=person, kind="contacts")
    assert read_compartment(compartment, ring(world.bob))["contacts"][0]["name"] == "Uncle Ruslan"
    page = bob.get(url).content.decode()
    assert "Uncle Ruslan" in page and "Threat" in page
    assert 'name="contacts-TOTAL_FORMS" value="2"' in page  # the entry and a blank row
    friend = {"name": "Aslan", "relation": "reference"}
    removed = _contacts({**uncle, "DELETE": "on"}, friend, initial=1, version=str(compartment.version))
    assert bob.post(url, removed).status_code == 302
    compartment.refresh_from_db()
    assert [c["name"] for c in read_compartment(compartment, ring(world.bob))["contacts"]] == ["Aslan"]


def test_bad_contact_rows_and_a_tampered_list_are_refused(world: World, case: Case, client_for) -> None:
    person = requester_of(case)
    bob = client_for(world.bob)
    url = _person_url(case, person, "contacts/")
    no_relation = bob.post(url, _contacts({"name": "Someone", "relation": "enemy"}))
    assert no_relation.status_code == 400
    assert "Choose how this contact is related." in no_relation.content.decode()
    no_name = bob.post(url, _contacts({"name": "", "relation": "relative", "details": "x"}))
    assert no_name.status_code == 400 and "Give a name or a description." in no_name.content.decode()
    assert bob.post(url, {"version": "0"}).status_code == 400  # no management form at all
    assert bob.post(url, _contacts(*[{"name": f"n{i}", "relation": "knows"} for i in range(150)])).status_code == 400
    assert not Compartment.objects.filter(person=person, kind="contacts").exists()


# --- adding and editing people ------------------------------------------------------------------


def test_adding_a_person_gives_them_a_pseudonym(world: World, case: Case, client_for) -> None:
    bob = client_for(world.bob)
    assert bob.get(f"/cases/{case.pk}/people/add/").status_code == 200
    response = bob.post(f"/cases/{case.pk}/people/add/", {"role": "partner", "details": "Speaks Chechen"})
    assert response.status_code == 302
    person = Person.objects.get(case=case, role="partner")
    assert response["Location"] == f"/cases/{case.pk}/people/{person.pk}/"
    assert read_person_details(person, ring(world.bob).secret_for(case.key)) == "Speaks Chechen"
    assert "Speaks Chechen" in bob.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": "boss", "details": "kept text"}, "Choose who this person is."),
        ({"role": "", "details": "kept text"}, "Choose who this person is."),
        ({"role": "family", "details": "kept text" + "x" * 20_000}, "This is too long: at most 20,000 characters."),
    ],
)
def test_bad_person_input_is_refused_and_adds_nobody(
    world: World, case: Case, client_for, data: dict[str, str], message: str
) -> None:
    response = client_for(world.bob).post(f"/cases/{case.pk}/people/add/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "kept text" in response.content.decode()
    assert Person.objects.filter(case=case).count() == 1
    assert client_for(world.bella).post(f"/cases/{case.pk}/people/add/", {"role": "family"}).status_code == 404


def test_editing_a_person_and_a_stale_edit(world: World, case: Case, client_for) -> None:
    person = requester_of(case)
    bob = client_for(world.bob)
    url = _person_url(case, person, "edit/")
    assert bob.get(url).status_code == 200
    data = {"role": "requester", "details": "Needs insulin", "version": person.version}
    assert bob.post(url, data).status_code == 302
    stale = bob.post(url, {**data, "details": "Overwritten"})
    assert stale.status_code == 409
    assert "Someone else changed this case" in stale.content.decode()
    bad = bob.post(url, {"role": "boss", "details": "x", "version": person.version + 1})
    assert bad.status_code == 400 and "Choose who this person is." in bad.content.decode()
    person.refresh_from_db()
    assert read_person_details(person, ring(world.bob).secret_for(case.key)) == "Needs insulin"
