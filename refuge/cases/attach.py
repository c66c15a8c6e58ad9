"""Attaching a new request to an existing case, and writing to its requester from the case (issue #16, item 14).

A person whose case is open writes again (a lost receipt, a new danger) and the new request
lands in the inbox. A member of the case's team who works intake attaches it to the case:
the request is merged into the request the case was opened from (refuge/intake/merge.py),
its key is sealed to the team and intake lets go of it, exactly as at acceptance
(refuge/cases/handover.py, docs/keys.md). The case page then shows its story, messages and
files; its requester keeps their receipt, sees "Accepted", and what they write reaches the
case. Attaching is final: the team holds the key, and intake no longer does.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.cases.access import is_team_member
from refuge.cases.actions.base import add_event, touch
from refuge.cases.handover import hand_over_request
from refuge.cases.models import Case, EventKind, TeamMember
from refuge.core.errors import UserError
from refuge.core.lookup import uuid_or_404
from refuge.intake.access import can_read_requests
from refuge.intake.actions.messages import MAX_MESSAGE_CHARS, do_reply
from refuge.intake.merge import audit_merge, check_mergeable, move_merged
from refuge.intake.models import HelpRequest, MergedRequest
from refuge.keyring.keyring import Keyring


def find_case_to_attach(actor: User, reference: str) -> Case:
    """The case of the actor's organisation with this reference ("C-4QX7PM") whose team includes the actor."""
    wanted = reference.strip().upper() if isinstance(reference, str) else ""
    if wanted and not wanted.startswith("C-"):
        wanted = "C-" + wanted
    case = (
        Case.objects.select_related("key", "request__key")
        .filter(organisation_id=actor.organisation_id, reference=wanted)
        .first()
    )
    # Another team's case is not named: the same answer as a case that does not exist.
    if case is None or not is_team_member(actor, case):
        raise UserError("no_such_case", _("None of the cases whose team you are on has this reference."), field="case")
    return case


def do_attach_request(*, actor: User, keyring: Keyring, case: Case, request: HelpRequest) -> None:
    """Attach an open request to a case: its key goes to the team, it is read on the case; final."""
    if not can_read_requests(actor) or request.organisation_id != actor.organisation_id:
        raise UserError("not_allowed", _("You cannot attach requests to cases."))
    if case.organisation_id != actor.organisation_id or not is_team_member(actor, case):
        raise UserError("not_on_team", _("Only members of the case's team can do this."), field="case")
    if case.request is None:
        raise UserError(
            "no_request", _("This case was not opened from a request: no request can be attached to it."), field="case"
        )
    if not case.is_open:
        raise UserError("case_closed", _("This case is closed: reopen it before attaching a request."), field="case")
    with transaction.atomic(durable=True):
        locked_case = Case.objects.select_for_update(of=("self",)).select_related("key", "request__key").get(pk=case.pk)
        opened_from = locked_case.request
        if opened_from is None:  # the request was deleted meanwhile
            raise UserError("no_request", _("This case was not opened from a request."), field="case")
        locked = HelpRequest.objects.select_for_update().select_related("key").get(pk=request.pk)
        check_mergeable(locked, field="case")
        members = list(User.objects.filter(pk__in=TeamMember.objects.filter(case=locked_case).values("user_id")))
        # Requests merged into this one come with it; each goes to the team as at acceptance.
        followers = move_merged(actor, locked, opened_from)
        for handed in [locked, *followers]:
            hand_over_request(actor=actor, keyring=keyring, request=handed, members=members)
        MergedRequest.objects.create(
            request=locked,
            into=opened_from,
            organisation_id=actor.organisation_id,
            merged_by=actor,
            merged_on=timezone.localdate(),
        )
        touch(locked_case)
        add_event(
            locked_case, keyring.secret_for(locked_case.key), EventKind.ATTACHED, actor, {"request": locked.reference}
        )
        _audit_case(AuditEvent.CASE_REQUEST_ATTACHED, actor, locked_case)
        audit_merge(AuditEvent.REQUEST_MERGED, actor, locked)


def attached_requests(case: Case) -> list[HelpRequest]:
    """The requests attached to a case (merged into the one it was opened from); decrypts nothing."""
    if case.request_id is None:
        return []
    attached = MergedRequest.objects.filter(into_id=case.request_id).values("request_id")
    return list(HelpRequest.objects.filter(pk__in=attached).select_related("key").order_by("received_at", "reference"))


def access_attached_request(case: Case, request_id: uuid.UUID | str) -> HelpRequest:
    """A request attached to a case the member reached with `access_case`; else 404."""
    wanted = uuid_or_404(request_id)
    for attached in attached_requests(case):
        if attached.pk == wanted:
            return attached
    raise Http404


def do_message_attached_requester(
    *, actor: User, keyring: Keyring, case: Case, request: HelpRequest, body: str
) -> None:
    """Write from the case to the requester of an attached request: readable by them and the team only."""
    if case.organisation_id != actor.organisation_id or not is_team_member(actor, case):
        raise UserError("not_on_team", _("Only members of the case's team can do this."))
    if len(body or "") > MAX_MESSAGE_CHARS:
        raise UserError("message_too_long", _("The message is too long: at most 10,000 characters."), field="body")
    with transaction.atomic(durable=True):
        do_reply(actor=actor, keyring=keyring, request=request, body=body)
        touch(case)
        add_event(case, keyring.secret_for(case.key), EventKind.MESSAGE, actor, {"request": request.reference})
        _audit_case(AuditEvent.CASE_MESSAGE_SENT, actor, case)


def _audit_case(event: AuditEvent, actor: User, case: Case) -> None:
    record(event, actor_id=actor.pk, organisation_id=actor.organisation_id, object_type="case", object_id=case.pk)
