"""Search by identity over truncated blind indexes: the right cases, and never a collision shown as a match.

Blind indexes keep 22-24 bits (refuge/crypto/blind.py), so two people's values meet by
chance one time in millions. A collision is made here by giving one person the stored
index of another's phone, which is what such a chance meeting looks like in the database.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from refuge.cases import search
from refuge.cases.actions.compartments import do_grant_compartment
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.actions.team import do_add_team_member
from refuge.cases.models import Case, CaseIndex, Person, Priority
from refuge.cases.queries import CaseFilters, case_list
from refuge.cases.search import search_cases
from refuge.intake.actions.submissions import do_submit_request
from refuge.keyring.keyring import Keyring
from tests.personas import Persona, World

PHONE = "+7 900 123 45 67"


def ring(persona: Persona) -> Keyring:
    return Keyring(persona.refresh().user, persona.private_key)


def _open(world: World, team: list[Persona], name: str, phone: str) -> Case:
    submission = do_submit_request(
        organisation=world.north,
        answers={"what_happened": "x", "name": name, "phone": phone},
        urgency="now",
        language="en",
    )
    return do_accept_request(
        actor=world.ivan.user,
        keyring=ring(world.ivan),
        request=submission.request,
        team=[p.user for p in team],
        priority=Priority.NORMAL,
    )


@pytest.fixture
def colliding(world: World) -> tuple[Case, Case]:
    """Two cases on Bob's team; the second's phone index collides with the first's phone."""
    first = _open(world, [world.bob], "Ivan Petrov", PHONE)
    second = _open(world, [world.bob], "Oleg Sidorov", "+7 911 765 43 21")
    digest = CaseIndex.objects.get(case=first, field="phone").digest
    CaseIndex.objects.filter(case=second, field="phone").update(digest=digest)
    return first, second


def test_the_search_finds_the_case_through_its_truncated_index(world: World) -> None:
    case = _open(world, [world.bob], "Иван Петров", PHONE)
    today = datetime.date.today()
    for text in ("Ivan Petrov", "8 (900) 123-45-67", PHONE):
        found = list(case_list(world.bob.user, CaseFilters(q=text), today, ring(world.bob)))
        assert found == [case], text
        assert found[0].possible_match is False  # type: ignore[attr-defined]
    assert len(CaseIndex.objects.get(case=case, field="phone").digest) == 6


def test_a_collision_is_never_shown_to_a_member_who_can_check_it(world: World, colliding: tuple[Case, Case]) -> None:
    first, second = colliding
    result = search_cases(world.bob.user, PHONE, ring(world.bob))
    assert result.ids == [first.pk] and result.possible == set()
    # The second case is still found by what its person really is.
    assert search_cases(world.bob.user, "Oleg Sidorov", ring(world.bob)).ids == [second.pk]


def test_the_case_list_shows_the_member_only_the_confirmed_case(
    world: World, client_for, colliding: tuple[Case, Case]
) -> None:
    first, second = colliding
    page = client_for(world.bob).get("/cases/", {"q": PHONE}).content.decode()
    assert first.reference in page
    assert second.reference not in page
    assert "Possible match" not in page


def test_a_match_the_searcher_cannot_open_is_marked_possible(
    world: World, client_for, colliding: tuple[Case, Case]
) -> None:
    first, second = colliding
    # Alice coordinates: she lists every case but was given neither person's identity.
    result = search_cases(world.alice.user, PHONE, ring(world.alice))
    assert set(result.ids) == {first.pk, second.pk} and result.possible == {first.pk, second.pk}
    page = client_for(world.alice).get("/cases/", {"q": PHONE}).content.decode()
    assert first.reference in page and second.reference in page
    assert page.count("Possible match: this person's identity is not shared with you") == 2
    # A pseudonym search needs no confirmation: nothing is marked.
    pseudonym = Person.objects.get(case=first).pseudonym
    assert "Possible match" not in client_for(world.alice).get("/cases/", {"q": pseudonym}).content.decode()


def test_a_member_given_the_identity_sees_a_confirmed_match(world: World, colliding: tuple[Case, Case]) -> None:
    first, _second = colliding
    identity = Person.objects.get(case=first).compartments.get(kind="identity")
    do_add_team_member(actor=world.bob.user, keyring=ring(world.bob), case=first, member=world.alice.user)
    do_grant_compartment(actor=world.bob.user, keyring=ring(world.bob), compartment=identity, member=world.alice.user)
    result = search_cases(world.alice.user, PHONE, ring(world.alice))
    assert first.pk in result.ids and first.pk not in result.possible


def test_a_person_found_through_two_fields_is_confirmed_by_reading_their_compartment_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "AB 123" is this person's name (ab) and their document number (AB123): one text, two indexes.
    case = _identity(world, name="Ab", document_number="AB 123")
    assert set(CaseIndex.objects.filter(case=case).values_list("field", flat=True)) == {"name", "document_number"}
    reads: list[str] = []
    real = search._read_compartment
    monkeypatch.setattr(search, "_read_compartment", lambda c, k: reads.append(c.kind) or real(c, k))

    result = search_cases(world.bob.user, "AB 123", ring(world.bob))

    assert result.ids == [case.pk] and result.possible == set()
    assert reads == ["identity"]


def test_a_collision_in_one_field_is_dropped_while_the_other_field_confirms_its_own_match(world: World) -> None:
    case = _identity(world, name="Ab", document_number="XY 999")
    other = _open(world, [world.bob], "Oleg Sidorov", PHONE)
    # "AB 123" names Ab (the name index); the document index of "AB 123" meets the other case by chance.
    digests = {field: digest for field, _text, digest in search.index_digests(world.north, "AB 123")}
    CaseIndex.objects.create(
        organisation=world.north,
        case=other,
        person=Person.objects.get(case=other),
        field="document_number",
        digest=digests["document_number"],
    )

    result = search_cases(world.bob.user, "AB 123", ring(world.bob))
    assert result.ids == [case.pk] and result.possible == set()
    # Alice coordinates and was given neither identity: both are possible matches for her.
    result = search_cases(world.alice.user, "AB 123", ring(world.alice))
    assert set(result.ids) == {case.pk, other.pk} and result.possible == {case.pk, other.pk}


def _identity(world: World, **answers: str) -> Case:
    submission = do_submit_request(
        organisation=world.north, answers={"what_happened": "x", **answers}, urgency="now", language="en"
    )
    return do_accept_request(
        actor=world.ivan.user,
        keyring=ring(world.ivan),
        request=submission.request,
        team=[world.bob.user],
        priority=Priority.NORMAL,
    )


def test_a_coordinators_search_asks_the_same_statements_for_one_namesake_or_four(
    world: World, django_assert_max_num_queries
) -> None:
    # Alice lists every case but holds no identity: each candidate is a possible match, and
    # whether she holds its key is asked with the candidates, not once or twice per candidate.
    _open(world, [world.bob], "Ivan Petrov", PHONE)
    with CaptureQueriesContext(connection) as one:
        assert len(search_cases(world.alice.user, "Ivan Petrov", ring(world.alice)).possible) == 1
    for _ in range(3):
        _open(world, [world.bob], "Ivan Petrov", PHONE)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(search_cases(world.alice.user, "Ivan Petrov", ring(world.alice)).possible) == 4
    # Bob holds all four identities: their wraps are opened together, and each is confirmed.
    with django_assert_max_num_queries(len(one.captured_queries) + 1):
        result = search_cases(world.bob.user, "Ivan Petrov", ring(world.bob))
    assert len(result.ids) == 4 and result.possible == set()


def test_a_name_is_not_searched_as_a_document_number(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every document number has digits; a name's letters ("IVANPETROV") would cost an Argon2id
    # and meet a stranger's 22-bit document index by chance.
    assert [field for field, _text, _digest in search.index_digests(world.north, "Иван Петров")] == ["name"]
    assert {field for field, _text, _digest in search.index_digests(world.north, "AB 123")} == {
        "name",
        "phone",
        "document_number",
    }
    case = _identity(world, name="Ab", document_number="XY 999")
    other = _open(world, [world.bob], "Oleg Sidorov", PHONE)
    # Were "Oleg Sidorov" searched as a document number, this row would be one of its candidates.
    stretched = search.blind_index(
        search.blind_index_secrets_held(world.north, ["document_number"])["document_number"],
        "document_number",
        "OLEGSIDOROV",
    )
    CaseIndex.objects.filter(case=case, field="document_number").update(digest=stretched)
    reads: list[str] = []
    real = search._read_compartment
    monkeypatch.setattr(search, "_read_compartment", lambda c, k: reads.append(str(c.person_id)) or real(c, k))

    assert search_cases(world.bob.user, "Oleg Sidorov", ring(world.bob)).ids == [other.pk]
    assert reads == [str(Person.objects.get(case=other).pk)]
