"""Keys owed to new holders reach them only by a holder's deliberate, audited approval."""

from __future__ import annotations

import pytest
from django.test import Client

from refuge.accounts.models import Role
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.keyring.models import GrantReason, GrantStatus, Key, KeyGrant, KeyWrap, Purpose
from tests.personas import Persona, World, make_member
from tests.workspace.people_support import CITY, new_shelter, open_case, place, requester_of, ring


def _intake_key(world: World) -> Key:
    return Key.objects.get(organisation=world.north, purpose=Purpose.INTAKE_GROUP)


def _holds(persona: Persona, key: Key) -> bool:
    return KeyWrap.objects.filter(key=key, holder=persona.user).exists()


def _new_intake_member(world: World) -> tuple[Persona, KeyGrant]:
    nina = make_member(world.north, "nina", Role.INTAKE)
    return nina, KeyGrant.objects.get(member=nina.user, status=GrantStatus.PENDING)


def test_a_new_intake_member_gets_no_intake_key_until_a_holder_approves(world: World, client_for) -> None:
    nina, grant = _new_intake_member(world)
    key = _intake_key(world)
    assert grant.key == key and grant.reason == GrantReason.INTAKE
    # Logins of holders (the old automatic path) and of the member give nothing.
    alice = client_for(world.alice)
    client_for(world.ivan)
    nina_client = client_for(nina)
    assert not _holds(nina, key)
    assert "Your access to 1 key is pending" in nina_client.get("/").content.decode()
    assert nina_client.get("/requests/").status_code == 200
    home = alice.get("/").content.decode()
    assert "1 colleague is waiting for a key you hold" in home
    assert "nina" in home and "The intake key" in home and "reads new requests" in home
    page = alice.get("/grants/").content.decode()
    assert "nina" in page and "The intake key" in page and "reads new requests" in page

    assert alice.post(f"/grants/{grant.pk}/approve/").status_code == 302

    assert _holds(nina, key)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.APPROVED and grant.decided_by == world.alice.user
    approved = AuditEntry.objects.get(code=AuditEvent.KEY_GRANT_APPROVED, object_id=str(grant.pk))
    assert approved.actor_id == world.alice.user.pk
    assert AuditEntry.objects.filter(code=AuditEvent.KEY_GRANT_QUEUED, object_id=str(grant.pk)).exists()
    assert "pending" not in client_for(nina).get("/").content.decode()


def test_a_refused_grant_seals_nothing(world: World, client_for) -> None:
    nina, grant = _new_intake_member(world)
    ivan = client_for(world.ivan)
    assert ivan.post(f"/grants/{grant.pk}/refuse/").status_code == 302
    assert not _holds(nina, _intake_key(world))
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REFUSED and grant.decided_by == world.ivan.user
    assert AuditEntry.objects.filter(code=AuditEvent.KEY_GRANT_REFUSED, actor_id=world.ivan.user.pk).exists()
    # Decided once: a second approval finds nothing.
    assert ivan.post(f"/grants/{grant.pk}/approve/").status_code == 404


def test_only_a_holder_of_the_key_may_decide_a_grant(world: World, client_for) -> None:
    nina, grant = _new_intake_member(world)
    entries = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    # Bob (caseworker) does not hold the intake key; administrators and auditors hold no
    # content key; Charlie is of another organisation; Nina cannot approve herself.
    for persona in (world.bob, world.adam, world.audrey, world.charlie, nina):
        client = client_for(persona)
        for decision in ("approve", "refuse"):
            assert client.post(f"/grants/{grant.pk}/{decision}/").status_code == 404, persona.user.username
        if persona.user.sees_content:
            assert f"/grants/{grant.pk}/" not in client.get("/grants/").content.decode()
    grant.refresh_from_db()
    assert grant.status == GrantStatus.PENDING and not _holds(nina, _intake_key(world))
    # Logging in wrote entries; deciding wrote none.
    decisions = (AuditEvent.KEY_GRANT_APPROVED, AuditEvent.KEY_GRANT_REFUSED, AuditEvent.KEY_WRAPPED_FOR_MEMBER)
    assert not AuditEntry.objects.filter(seq__gt=entries, code__in=decisions).exists()
    assert client_for(world.adam).get("/grants/").status_code == 404
    assert client_for(world.audrey).get("/grants/").status_code == 404


def test_a_grant_lapses_when_the_member_is_deactivated(world: World, client_for) -> None:
    nina, grant = _new_intake_member(world)
    assert client_for(world.alice).post(f"/members/{nina.user.pk}/deactivate/").status_code == 302
    grant.refresh_from_db()
    assert grant.status == GrantStatus.WITHDRAWN
    assert AuditEntry.objects.filter(code=AuditEvent.KEY_GRANT_WITHDRAWN, object_id=str(grant.pk)).exists()
    assert client_for(world.alice).post(f"/grants/{grant.pk}/approve/").status_code == 404
    assert not _holds(nina, _intake_key(world))


def test_a_new_coordinator_is_owed_the_intake_and_shelter_keys(world: World, client_for) -> None:
    shelter = new_shelter(world)
    carol = make_member(world.north, "carol", Role.COORDINATOR)
    owed = KeyGrant.objects.filter(member=carol.user, status=GrantStatus.PENDING)
    assert {(g.key_id, g.reason) for g in owed} == {
        (_intake_key(world).pk, GrantReason.INTAKE),
        (shelter.key_id, GrantReason.COORDINATOR),
    }
    assert not KeyWrap.objects.filter(holder=carol.user).exists()


def test_placing_without_the_shelter_key_owes_it_to_the_team(world: World, client_for) -> None:
    case = open_case(world, team=[world.bob, world.bella])
    shelter = new_shelter(world)
    place(world.bob, requester_of(case), shelter)
    owed = KeyGrant.objects.filter(key=shelter.key, status=GrantStatus.PENDING)
    assert {g.member_id for g in owed} == {world.bob.user.pk, world.bella.user.pk}
    assert all(g.reason == GrantReason.PLACEMENT and g.case_id == case.pk for g in owed)
    assert not _holds(world.bob, shelter.key)
    # Alice holds the shelter key (coordinator) but is not on the team: she sees that a case
    # is placed there, and its reference as a coordinator.
    page = client_for(world.alice).get("/grants/").content.decode()
    assert case.reference in page and "whose person stays in this shelter" in page
    # Bella is taken off the team: what was owed to her for this case lapses.
    from refuge.cases.actions.team import do_remove_team_member

    do_remove_team_member(actor=world.bob.refresh().user, keyring=ring(world.bob), case=case, member=world.bella.user)
    assert KeyGrant.objects.get(member=world.bella.user, key=shelter.key).status == GrantStatus.WITHDRAWN
    assert KeyGrant.objects.get(member=world.bob.user, key=shelter.key).status == GrantStatus.PENDING


def test_a_holder_adding_a_team_member_gives_the_shelter_key_at_once(world: World, client_for) -> None:
    from refuge.cases.actions.team import do_add_team_member

    case = open_case(world)  # Alice and Bob; Alice holds every shelter key
    shelter = new_shelter(world)
    place(world.alice, requester_of(case), shelter)
    assert _holds(world.bob, shelter.key)
    do_add_team_member(actor=world.alice.refresh().user, keyring=ring(world.alice), case=case, member=world.bella.user)
    assert _holds(world.bella, shelter.key)
    assert CITY in client_for(world.bella).get(f"/shelters/{shelter.pk}/").content.decode()
    # Ivan, added by Bob (who holds the case but not this decision), is owed the key instead.
    bob = world.bob.refresh().user
    KeyWrap.objects.filter(key=shelter.key, holder=bob).delete()
    do_add_team_member(actor=bob, keyring=ring(world.bob), case=case, member=world.ivan.user)
    assert not _holds(world.ivan, shelter.key)
    assert KeyGrant.objects.filter(key=shelter.key, member=world.ivan.user, status=GrantStatus.PENDING).exists()


def test_an_unknown_decision_is_not_found(world: World, client_for) -> None:
    _nina, grant = _new_intake_member(world)
    assert client_for(world.alice).post(f"/grants/{grant.pk}/grant-forever/").status_code == 404
    # Not logged in: the login page answers (carrying the posted form), nothing is decided.
    anonymous = Client().post(f"/grants/{grant.pk}/approve/")
    assert anonymous.status_code == 403 and 'action="/login/"' in anonymous.content.decode()
    grant.refresh_from_db()
    assert grant.status == GrantStatus.PENDING


def test_an_approval_that_fails_half_way_leaves_the_grant_pending_and_seals_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from refuge.accounts import grants

    nina, grant = _new_intake_member(world)
    entries = AuditEntry.objects.count()
    real_record = grants.record

    def failing_record(event: AuditEvent, **kwargs: object) -> None:
        if event == AuditEvent.KEY_GRANT_APPROVED:
            raise RuntimeError("the process died after sealing the key")
        real_record(event, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(grants, "record", failing_record)
    with pytest.raises(RuntimeError):
        grants.do_approve_grant(actor=world.alice.refresh().user, keyring=ring(world.alice), grant=grant)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.PENDING and grant.decided_by is None
    assert not _holds(nina, _intake_key(world))
    assert AuditEntry.objects.count() == entries


def test_rotating_the_keys_of_a_case_gives_no_key_to_anyone_new(world: World, client_for) -> None:
    case = open_case(world)  # Alice and Bob
    request_key = case.request.key
    # Bob lost his wrap of the request key (say, a wrap of an older version was removed).
    KeyWrap.objects.filter(key=request_key, holder=world.bob.user).delete()
    Key.objects.filter(pk=request_key.pk).update(rotation_due=True)
    assert client_for(world.alice).post(f"/cases/{case.pk}/rotate/").status_code == 302
    request_key.refresh_from_db()
    assert request_key.version == 2 and not request_key.rotation_due
    assert _holds(world.alice, request_key) and not _holds(world.bob, request_key)


@pytest.mark.parametrize("newcomers", [4, 5, 7])
def test_the_home_page_counts_every_key_owed_and_names_the_first_five(world: World, client_for, newcomers: int) -> None:
    for number in range(newcomers):
        make_member(world.north, f"nina{number}", Role.INTAKE)

    home = client_for(world.alice).get("/").content.decode()

    assert f"{newcomers} keys you hold are owed to colleagues" in home
    assert sum(f"<strong>nina{number}</strong>" in home for number in range(newcomers)) == min(newcomers, 5)


def test_a_shelter_key_owed_is_named_by_the_shelters_code_name(world: World, client_for) -> None:
    case = open_case(world, team=[world.bob])
    shelter = new_shelter(world)
    place(world.bob, requester_of(case), shelter)

    for page in (client_for(world.alice).get("/grants/"), client_for(world.alice).get("/")):
        assert f"The key of shelter {shelter.code_name}: its city and house rules" in page.content.decode()
