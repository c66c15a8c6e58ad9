"""The workspace benchmark's bulk generator writes the rows the actions write (bench/_workspace_data.py).

A small organisation is filled twice over: the first cases through the real actions,
the rest through the bulk path. The bulk rows must have the shape of the action rows,
open for the team (and for the recovery key), be found by search, and survive a
rotation: otherwise the benchmark would time a database the application never makes.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import models
from django.utils import timezone

from bench._workspace_data import SEED_VARIETIES, Report, StaffMember, generate
from refuge.accounts.models import Organisation, Role
from refuge.cases.models import Case, CaseEvent, CaseIndex, Compartment, Note, Person, Task, TeamMember
from refuge.cases.queries import CaseFilters, case_list
from refuge.crypto import CryptoError, recover_private_key
from refuge.intake.models import HelpRequest, RequestIndex
from refuge.keyring.actions.rotation import do_rotate_key
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import HolderKind, Key, KeyWrap
from refuge.keyring.records import decrypt_column
from refuge.keyring.registry import registration_of
from refuge.keyring.wraps import open_recovery_wrap
from refuge.shelter.models import Placement
from tests.personas import Persona, make_member, make_organisation

CASES = 30
SEEDED = len(SEED_VARIETIES)


@dataclass
class Generated:
    organisation: Organisation
    coordinator: Persona
    caseworkers: list[Persona]
    shares: list[str]
    report: Report

    def persona(self, user_id: Any) -> Persona:
        for persona in [self.coordinator, *self.caseworkers]:
            if persona.user.pk == user_id:
                return persona
        raise LookupError(user_id)


@pytest.fixture
def generated(db: None) -> Generated:
    organisation, coordinator, shares = make_organisation("bulk", "coord")
    caseworkers = [make_member(organisation, f"worker{n}", Role.CASEWORKER) for n in range(3)]
    staff = [StaffMember(p.user, p.private_key) for p in (coordinator, *caseworkers)]
    report = generate(organisation, staff=staff, cases=CASES, seeded=SEEDED, processes=0, chunk_size=8, probe_every=1)
    return Generated(organisation, coordinator, caseworkers, shares, report)


def _case_rows(case_ids: Iterable[Any]) -> dict[str, list[models.Model]]:
    """Every row the generator or the actions wrote for these cases, by model."""
    ids = list(case_ids)
    cases = list(Case.objects.filter(pk__in=ids))
    requests = list(HelpRequest.objects.filter(case__pk__in=ids))
    compartments = list(Compartment.objects.filter(person__case__pk__in=ids))
    key_ids = {c.key_id for c in cases} | {r.key_id for r in requests} | {c.key_id for c in compartments}
    return {
        "Case": cases,
        "HelpRequest": requests,
        "RequestIndex": list(RequestIndex.objects.filter(request__case__pk__in=ids)),
        "TeamMember": list(TeamMember.objects.filter(case__in=ids)),
        "Person": list(Person.objects.filter(case__in=ids)),
        "Compartment": compartments,
        "CaseIndex": list(CaseIndex.objects.filter(case__in=ids)),
        "Task": list(Task.objects.filter(case__in=ids)),
        "Note": list(Note.objects.filter(case__in=ids)),
        "CaseEvent": list(CaseEvent.objects.filter(case__in=ids)),
        "Placement": list(Placement.objects.filter(case__in=ids)),
        "Key": list(Key.objects.filter(pk__in=key_ids)),
        "KeyWrap": list(KeyWrap.objects.filter(key__in=key_ids)),
    }


def _states(rows: Iterable[models.Model]) -> set[tuple[str, bool]]:
    """(column, holds something) for every column of every row: which columns are filled, which left empty."""
    return {
        (f.attname, getattr(row, f.attname) not in (None, "", b"")) for row in rows for f in row._meta.concrete_fields
    }


def _bulk_ids(g: Generated) -> list[Any]:
    seeded = set(g.report.seeded_case_ids)
    return [
        pk for pk in Case.objects.filter(organisation=g.organisation).values_list("pk", flat=True) if pk not in seeded
    ]


def test_bulk_rows_have_the_shape_of_action_rows(generated: Generated) -> None:
    g = generated
    assert len(g.report.seeded_case_ids) == SEEDED
    assert Case.objects.filter(organisation=g.organisation).count() == CASES
    by_actions = _case_rows(g.report.seeded_case_ids)
    in_bulk = _case_rows(_bulk_ids(g))
    for name, rows in in_bulk.items():
        assert by_actions[name], f"the actions wrote no {name}"
        if name == "Placement" and not rows:
            continue  # a handful of bulk cases may have had no shelter stay
        assert rows, f"the bulk path wrote no {name}"
        # Every column the bulk path fills (or leaves empty), some action also fills (or leaves empty).
        unlike = _states(rows) - _states(by_actions[name])
        assert not unlike, f"{name}: columns (name, filled) never written so by an action: {sorted(unlike)}"

    # Each kind of key has the same kinds of holder: the team (user), recovery, the requester.
    def holders(rows: dict[str, list[models.Model]]) -> set[tuple[str, frozenset[str]]]:
        kinds: dict[Any, set[str]] = {}
        for wrap in rows["KeyWrap"]:
            kinds.setdefault(wrap.key_id, set()).add(wrap.holder_kind)
        return {(key.label, frozenset(kinds[key.pk])) for key in rows["Key"]}

    assert holders(in_bulk) == holders(by_actions)
    assert ("request", frozenset({"user", "requester", "recovery"})) in holders(in_bulk)
    # The encrypted columns carry the same envelope: same overhead over the same plaintext.
    case = in_bulk["Case"][0]
    seeded = by_actions["Case"][0]
    assert bytes(case.summary)[:1] == bytes(seeded.summary)[:1]


def _holder(g: Generated, key: Key) -> Persona:
    wrap = KeyWrap.objects.filter(key=key, holder_kind=HolderKind.USER, key_version=key.version).first()
    assert wrap is not None, f"nobody on the team holds {key}"
    return g.persona(wrap.holder_id)


def _decrypt_all(g: Generated, rows: dict[str, list[models.Model]]) -> int:
    opened = 0
    for name in ("Case", "HelpRequest", "Person", "Compartment", "Task", "Note", "CaseEvent"):
        for row in rows[name]:
            registration = registration_of(type(row))
            key = Key.objects.get(pk=getattr(row, registration.key_attname))
            persona = _holder(g, key)
            secret = Keyring(persona.refresh().user, persona.private_key).secret_for(key)
            for column in registration.columns:
                decrypt_column(row, column, secret, key)
                opened += 1
    return opened


def test_the_team_and_recovery_open_every_bulk_ciphertext(generated: Generated) -> None:
    g = generated
    rows = _case_rows(_bulk_ids(g))
    assert _decrypt_all(g, rows) > 100
    recovery = recover_private_key(g.shares[:2], bytes(g.organisation.recovery_public_key))
    for key in rows["Key"]:
        wraps = {w.holder_kind: w for w in KeyWrap.objects.filter(key=key)}
        assert HolderKind.RECOVERY in wraps
        persona = _holder(g, key)
        assert open_recovery_wrap(wraps[HolderKind.RECOVERY], recovery) == Keyring(
            persona.user, persona.private_key
        ).secret_for(key)
    # Every team member holds the case key and the request key of their case.
    for member in rows["TeamMember"]:
        case = Case.objects.select_related("key", "request__key").get(pk=member.case_id)
        ring = Keyring(g.persona(member.user_id).user, g.persona(member.user_id).private_key)
        assert ring.secret_for(case.key) and ring.secret_for(case.request.key)


def test_search_finds_bulk_people_through_the_blind_indexes(generated: Generated) -> None:
    g = generated
    today = timezone.localdate()
    bulk = set(_bulk_ids(g))
    probes = [p for p in g.report.probes if p.case_id in {str(pk) for pk in bulk}]
    assert len(probes) == CASES - SEEDED

    def found(user: Any, text: str) -> set[str]:
        return {str(pk) for pk in case_list(user, CaseFilters(stage="all", q=text), today).values_list("pk", flat=True)}

    coordinator = g.coordinator.user
    latin = [p for p in probes if p.name_latin]
    assert latin, "no bulk requester wrote their name in Latin letters"
    for probe in latin:
        # Typed in Cyrillic, stored in the passport's Latin spelling: the blind index meets.
        assert probe.case_id in found(coordinator, probe.name_cyrillic)
    for probe in probes:
        assert probe.case_id in found(coordinator, probe.pseudonym)
        assert probe.case_id in found(coordinator, probe.reference)
        if probe.document_number:
            assert probe.case_id in found(coordinator, probe.document_number.replace(" ", ""))
        if probe.phone:
            assert probe.case_id in found(coordinator, probe.phone)
        # The lead caseworker finds their case; another caseworker does not.
        lead = g.persona(uuid_of(probe.lead_id)).user
        assert probe.case_id in found(lead, probe.pseudonym)
        outsiders = [p for p in g.caseworkers if str(p.user.pk) not in probe.team_ids]
        for outsider in outsiders:
            assert probe.case_id not in found(outsider.user, probe.pseudonym)


def uuid_of(text: str) -> Any:
    import uuid

    return uuid.UUID(text)


def test_a_bulk_case_key_rotates(generated: Generated) -> None:
    g = generated
    case = (
        Case.objects.filter(pk__in=_bulk_ids(g))
        .select_related("key")
        .annotate(n=models.Count("tasks"))
        .filter(n__gt=0)
        .first()
    )
    assert case is not None
    persona = _holder(g, case.key)
    ring = Keyring(persona.user, persona.private_key)
    old_secret = ring.secret_for(case.key)
    do_rotate_key(actor=persona.user, keyring=ring, key=case.key)
    case = Case.objects.select_related("key").get(pk=case.pk)
    assert case.key.version == 2
    rows = _case_rows([case.pk])
    assert _decrypt_all(g, rows) > 0
    with pytest.raises(CryptoError):
        decrypt_column(case, "summary", old_secret, case.key)
    assert KeyWrap.objects.filter(key=case.key, key_version=2, holder_kind=HolderKind.RECOVERY).exists()
    assert case.opened_on <= datetime.date.today()
