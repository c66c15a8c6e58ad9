"""Opening a case from a request: the case key, the team, the request key handed from intake to the team."""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.events import AuditEvent
from refuge.cases.actions.base import add_event, audit_act, checked_priority, today
from refuge.cases.actions.compartments import create_compartment
from refuge.cases.actions.people import new_person
from refuge.cases.actions.team import MAX_TEAM, check_team_candidate
from refuge.cases.handover import hand_over_request
from refuge.cases.models import (
    PRIORITY_DUE_DAYS,
    Case,
    CompartmentKind,
    EventKind,
    PersonRole,
    Priority,
    Stage,
    TeamMember,
)
from refuge.core.errors import UserError
from refuge.intake.access import can_read_requests
from refuge.intake.merge import check_not_merged
from refuge.intake.models import HelpRequest, RequesterStatus
from refuge.intake.queries import merged_requests, read_answers
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import Purpose
from refuge.keyring.records import encrypt_column

_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def do_accept_request(
    *,
    actor: User,
    keyring: Keyring,
    request: HelpRequest,
    team: Sequence[User],
    priority: str,
    lead: User | None = None,
) -> Case:
    """Open a case from a request: its content moves in, the chosen team holds the keys.

    `lead` leads the case and must be on the team; without one, the first member of `team` does.
    """
    if not can_read_requests(actor) or request.organisation_id != actor.organisation_id:
        raise UserError("not_allowed", _("You cannot accept requests."))
    priority = checked_priority(priority)
    members = _team_of(actor, team)
    if lead is not None and all(member.pk != lead.pk for member in members):
        raise UserError("lead_not_on_team", _("The lead must be on the team: tick them in the team too."), field="lead")
    lead_id = members[0].pk if lead is None else lead.pk
    request_secret = keyring.secret_for(request.key)
    answers = read_answers(request, request_secret)
    with transaction.atomic():
        locked = HelpRequest.objects.select_for_update().select_related("key").get(pk=request.pk)
        if locked.status == RequesterStatus.ACCEPTED or Case.objects.filter(request=locked).exists():
            raise UserError("already_accepted", _("This request has already been accepted."))
        check_not_merged(locked)
        key, secret = do_create_key(
            actor=actor, organisation=actor.organisation, purpose=Purpose.RECORD, label="case", members=members
        )
        now = today()
        case = Case(
            organisation=actor.organisation,
            reference=_new_reference(),
            key=key,
            request=locked,
            priority=priority,
            stage=Stage.ACCEPTED,
            opened_on=now,
            due_on=now + datetime.timedelta(days=PRIORITY_DUE_DAYS[Priority(priority)]),
            stage_changed_on=now,
            last_activity_on=now,
        )
        encrypt_column(case, "summary", json.dumps(answers, ensure_ascii=False), secret, key)
        case.save(force_insert=True)
        TeamMember.objects.bulk_create(
            TeamMember(case=case, user=member, lead=member.pk == lead_id, added_on=now) for member in members
        )
        person = new_person(case, secret, PersonRole.REQUESTER, {})
        identity = {
            name: answers[source]
            for name, source in (
                ("legal_name", "name"),
                ("phone", "phone"),
                ("internal_passport_number", "document_number"),
            )
            if isinstance(answers.get(source), str) and answers[source].strip()
        }
        if identity:
            create_compartment(actor, person, CompartmentKind.IDENTITY, identity, members, secret)
        # The identity compartment just written indexed the same name, phone and document
        # number the request was indexed by: search finds the person as intake did.
        # The team talks with the requester from now on; intake lets go of the request, and of
        # the requests merged into it, which come into the case with it (refuge/cases/handover.py).
        for handed in [locked, *merged_requests(locked)]:
            hand_over_request(actor=actor, keyring=keyring, request=handed, members=members)
        add_event(case, secret, EventKind.OPENED, actor, {"request": locked.reference})
        audit_act(AuditEvent.CASE_OPENED, actor, "case", case.pk)
    request.status = RequesterStatus.ACCEPTED
    return case


def _team_of(actor: User, team: Sequence[User]) -> list[User]:
    seen: dict[Any, User] = {}
    for member in team:
        seen.setdefault(member.pk, member)
    members = list(seen.values())
    if not members:
        raise UserError("team_empty", _("Choose at least one member for the team."), field="team")
    if len(members) > MAX_TEAM:
        raise UserError("team_too_big", _("A team has at most %(limit)s members.") % {"limit": MAX_TEAM}, field="team")
    for member in members:
        check_team_candidate(actor, member)
    return members


def _new_reference() -> str:
    # 30 bits, like request references; uniqueness is enforced by the database.
    return "C-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
