"""Who may use each route: the access specification (docs/development.md, "Access suite").

Every route of refuge.urls has one entry here, keyed by its view name; a route without
one fails `test_every_route_has_an_access_spec`. From this table test_matrix.py builds
every cell route × actor × scope and asserts its answer:

- a `Staff` route (behind `staff_view`) answers the roles it lists and 404 to every
  other role; 404 for any object id of another organisation (or team), or that does not
  exist, even to an allowed role; a login redirect to anyone not logged in (requesters
  included); under a duress session the empty page (`duress=True`) or 404. A refused request writes
  nothing, and its 404 page is the same as for an address that does not exist.
- a `Staff` route may let some of its roles reach a foreign value all the same (`Reach`):
  a coordinator off a case's team sees its metadata, a coordinator opens any shelter of the
  organisation, a team member not holding a compartment sees who holds it (and is refused
  its form with a 403 of its own, writing nothing).
- a `Public` route (login, enrolment, the requester portal) answers everyone, and 404 for
  every foreign value of its arguments (an unknown organisation slug, an unknown token).

To add a route: one entry in ROUTES, and for each URL argument an `Arg` (reuse one below,
or write one with factories from objects.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from refuge.accounts.models import Role
from tests.access.objects import CASE_CONTENT, MEDICAL_CONTENT, OTHER_TEAM_CASE, STAY_ENDED, Objects

# Foreign scopes: the value an allowed role must still get 404 for.
OTHER_ORGANISATION = "other-organisation"
# A case of the actor's organisation whose team the actor is not in, or what belongs to it
# (its stay, the shelter only its people live in): every actor with a case role is on the
# team of north's own case, and none of them on this one (tests/access/objects.py).
OTHER_TEAM = OTHER_TEAM_CASE
MISSING = "missing"
# An id of the right kind and organisation, under the id of a case it does not belong to.
OF_ANOTHER_CASE = "of-another-case"

Make = Callable[[Objects], object]


@dataclass(frozen=True)
class Arg:
    """How to fill one URL argument: a value the actor may use, and values that must 404."""

    own: Make
    foreign: Mapping[str, Make] = field(default_factory=dict)
    # The value names something of an organisation: an outsider gets 404 even for `own`.
    of_organisation: bool = True


@dataclass(frozen=True)
class Reach:
    """Roles of the route that still get an answer for one foreign value of an argument."""

    roles: frozenset[str]
    # Methods that answer these roles with a refusal page of their own (403) instead: the
    # value is theirs to know about but not to change. Such a refusal writes nothing either.
    forbidden: tuple[str, ...] = ()
    # What the answer must not contain even so (content behind a key these roles do not hold).
    hides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Staff:
    """A workspace route behind staff_view: the roles that may use it, 404 for the rest."""

    # The same roles for every method, or the roles of each method (GET reads, POST changes).
    roles: frozenset[str] | Mapping[str, frozenset[str]]
    args: Mapping[str, Arg] = field(default_factory=dict)
    # POST-only routes list ("POST",); a refused POST must also leave every table as it was.
    methods: tuple[str, ...] = ("GET",)
    # A duress session gets the empty page a real member of its role would (refuge/workspace/duress.py);
    # every other route answers it 404. True: for every method; or the methods that answer it (("GET",)).
    duress: bool | tuple[str, ...] = False
    # Foreign scopes ("<argument>=<scope>") that some of the roles still reach; every other
    # foreign scope is a 404 for everyone.
    reach: Mapping[str, Reach] = field(default_factory=dict)

    def roles_for(self, method: str) -> frozenset[str]:
        if isinstance(self.roles, frozenset):
            return self.roles
        return self.roles[method]


@dataclass(frozen=True)
class Public:
    """A route anyone may use; its foreign argument values (unknown slug, token) answer 404."""

    args: Mapping[str, Arg] = field(default_factory=dict)
    methods: tuple[str, ...] = ("GET",)
    # Its 404 says why (e.g. "this invitation is not valid") instead of being the missing-page 404.
    own_404_page: bool = False


@dataclass(frozen=True)
class Api:
    """A JSON API route (refuge/api): the roles whose tokens may use it, the API's 404 body for the rest.

    Every staff actor calls it with a token of their own carrying every scope, bound to a key pair
    and unlocked; the outsider with a token of south. Without a token (anonymous, a requester's
    portal session, a logged-in workspace session) the answer is 401: no cookie is an API credential.
    """

    roles: frozenset[str] | Mapping[str, frozenset[str]]
    args: Mapping[str, Arg] = field(default_factory=dict)
    methods: tuple[str, ...] = ("GET",)
    reach: Mapping[str, Reach] = field(default_factory=dict)
    # A POST's JSON body, valid by the schema: the API checks a body's shape before access
    # (a 400 that is the same for every id, docs/api.md "Errors"), so access is what must decide here.
    body: Mapping[str, object] = field(default_factory=dict)

    def roles_for(self, method: str) -> frozenset[str]:
        if isinstance(self.roles, frozenset):
            return self.roles
        return self.roles[method]


@dataclass(frozen=True)
class ApiMissing:
    """An address under /api/ that is no endpoint: the API's 404 body for everyone, token or not."""

    methods: tuple[str, ...] = ("GET", "POST")
    args: Mapping[str, Arg] = field(default_factory=dict)


Spec = Staff | Public | Api | ApiMissing

EVERY_ROLE = frozenset(Role.values)
MANAGERS = frozenset({Role.COORDINATOR, Role.ADMINISTRATOR})
READS_REQUESTS = frozenset({Role.COORDINATOR, Role.INTAKE})
COORDINATORS = frozenset({Role.COORDINATOR})
# The audit pages (docs/workspace.md): the auditors', and the coordinators' who answer for the organisation.
AUDIT_READERS = frozenset({Role.AUDITOR, Role.COORDINATOR})
# Who may be on a case team (refuge/cases/access.py CASE_ROLES): content is for team members only.
CASE_ROLES = frozenset({Role.COORDINATOR, Role.CASEWORKER, Role.INTAKE})


def _missing_uuid(objects: Objects) -> uuid.UUID:
    return uuid.uuid4()


# --- arguments ----------------------------------------------------------------------------

REQUEST_ID = Arg(
    own=lambda o: o.help_request("north").pk,
    foreign={OTHER_ORGANISATION: lambda o: o.help_request("south").pk, MISSING: _missing_uuid},
)
FILE_ID = Arg(
    own=lambda o: o.request_file("north").pk,
    foreign={
        OTHER_ORGANISATION: lambda o: o.request_file("south").pk,
        # A file of the same organisation, under the id of a request it does not belong to.
        "of-another-request": lambda o: o.request_file("north", "second").pk,
        MISSING: _missing_uuid,
    },
)
MEMBER_ID = Arg(
    own=lambda o: o.member("north").pk,
    foreign={OTHER_ORGANISATION: lambda o: o.member("south").pk, MISSING: _missing_uuid},
)
# Harmless on a member who is not locked; an unknown action is a 404 like an unknown page.
MEMBER_ACTION = Arg(own=lambda o: "unlock", foreign={"unknown-action": lambda o: "promote"}, of_organisation=False)
# An administrator's invitation to a content role: only a coordinator decides on it.
INVITATION_ID = Arg(
    own=lambda o: o.invitation_to_approve("north").pk,
    foreign={
        # A coordinator's own invitation needs no approval: there is nothing to decide.
        "not-waiting": lambda o: o.invitation_not_waiting().pk,
        OTHER_ORGANISATION: lambda o: o.invitation_to_approve("south").pk,
        MISSING: _missing_uuid,
    },
)
DECISION = Arg(own=lambda o: "approve", foreign={"unknown-decision": lambda o: "forever"}, of_organisation=False)
# Keys owed to members (refuge/accounts/grants.py): only a holder of the key decides.
NOT_HELD_BY_ALL = "key-not-held-by-caseworkers"
GRANT_ID = Arg(
    own=lambda o: o.grant_held_by_every_case_role().pk,
    foreign={
        # The intake key: coordinators and intake hold it, caseworkers do not.
        NOT_HELD_BY_ALL: lambda o: o.intake_key_grant("north").pk,
        "already-decided": lambda o: o.intake_key_grant("north", "refused").pk,
        OTHER_ORGANISATION: lambda o: o.intake_key_grant("south").pk,
        MISSING: _missing_uuid,
    },
)
ENROLMENT_TOKEN = Arg(
    own=lambda o: o.invitation("north"), foreign={MISSING: lambda o: "no-such-invitation-token"}, of_organisation=False
)
# Every organisation's portal is public; an unknown slug looks like any missing page.
ORG_SLUG = Arg(own=lambda o: "north", foreign={MISSING: lambda o: "no-such-organisation"}, of_organisation=False)

# Cases (refuge/workspace/views/cases.py, case_edit.py and the panels' resources: stages.py, team.py, notes.py, tasks.py, expenses.py, documents.py, conversation.py): north's own case has every case-role actor on its team.
CASE_ID = Arg(
    own=lambda o: o.case("north").pk,
    foreign={
        OTHER_TEAM: lambda o: o.case("north", OTHER_TEAM_CASE).pk,
        OTHER_ORGANISATION: lambda o: o.case("south").pk,
        MISSING: _missing_uuid,
    },
)
TASK_ID = Arg(
    own=lambda o: o.task("north").pk,
    foreign={
        OF_ANOTHER_CASE: lambda o: o.task("north", OTHER_TEAM_CASE).pk,
        OTHER_ORGANISATION: lambda o: o.task("south").pk,
        MISSING: _missing_uuid,
    },
)
APPLICATION_ID = Arg(
    own=lambda o: o.application("north").pk,
    foreign={
        OF_ANOTHER_CASE: lambda o: o.application("north", OTHER_TEAM_CASE).pk,
        OTHER_ORGANISATION: lambda o: o.application("south").pk,
        MISSING: _missing_uuid,
    },
)
DOCUMENT_ID = Arg(
    own=lambda o: o.case_document("north").pk,
    foreign={
        OF_ANOTHER_CASE: lambda o: o.case_document("north", OTHER_TEAM_CASE).pk,
        OTHER_ORGANISATION: lambda o: o.case_document("south").pk,
        MISSING: _missing_uuid,
    },
)
# A file the requester sent with the request the case was opened from.
CASE_FILE_ID = Arg(
    own=lambda o: o.case_request_file("north").pk,
    foreign={
        OF_ANOTHER_CASE: lambda o: o.case_request_file("north", OTHER_TEAM_CASE).pk,
        # A file of a request of north still in the intake inbox, of no case at all.
        "of-a-request-in-intake": lambda o: o.request_file("north").pk,
        OTHER_ORGANISATION: lambda o: o.case_request_file("south").pk,
        MISSING: _missing_uuid,
    },
)
# Someone on the own case's team (Tara, an identity holder nobody logs in as), to take off it.
TEAM_MEMBER_ID = Arg(
    own=lambda o: o.identity_holder().pk,
    foreign={
        "not-on-the-team": lambda o: o.olga().user.pk,
        OTHER_ORGANISATION: lambda o: o.member("south").pk,
        MISSING: _missing_uuid,
    },
)
PERSON_ID = Arg(
    own=lambda o: o.person("north").pk,
    foreign={
        OF_ANOTHER_CASE: lambda o: o.person("north", OTHER_TEAM_CASE).pk,
        OTHER_ORGANISATION: lambda o: o.person("south").pk,
        MISSING: _missing_uuid,
    },
)
# The own requester's compartments: identity is held by every case-role actor; only Bella
# holds the medical one; no sogiesc one was made; "passport" is no kind at all.
NOT_HELD = "not-held"
NOT_CREATED = "not-created"
KIND = Arg(
    own=lambda o: o.compartment_kind("held"),
    foreign={
        NOT_HELD: lambda o: o.compartment_kind(NOT_HELD),
        NOT_CREATED: lambda o: o.compartment_kind(NOT_CREATED),
        "unknown-kind": lambda o: "passport",
    },
    of_organisation=False,
)
# A scan in the own requester's identity compartment (Bob's); one in the medical compartment
# only Bella holds, under the identity's address; the other team's and south's identity scans.
COMPARTMENT_FILE_ID = Arg(
    own=lambda o: o.compartment_file("north").pk,
    foreign={
        "of-another-compartment": lambda o: o.compartment_file("north", kind="medical").pk,
        OF_ANOTHER_CASE: lambda o: o.compartment_file("north", OTHER_TEAM_CASE).pk,
        OTHER_ORGANISATION: lambda o: o.compartment_file("south").pk,
        MISSING: _missing_uuid,
    },
)
# A holder of the identity compartment to take it back from (Tara).
HOLDER_ID = Arg(
    own=lambda o: o.identity_holder().pk,
    foreign={
        # On the team without the identity compartment (Bella: it was taken back from her).
        "not-a-holder": lambda o: o.team_member_without_identity().pk,
        OTHER_ORGANISATION: lambda o: o.member("south").pk,
        MISSING: _missing_uuid,
    },
)
# Stays: the own requester's now; the other team's requester's; south's.
PLACEMENT_ID = Arg(
    own=lambda o: o.placement("north").pk,
    foreign={
        OTHER_TEAM: lambda o: o.placement("north", OTHER_TEAM_CASE).pk,
        OTHER_ORGANISATION: lambda o: o.placement("south").pk,
        MISSING: _missing_uuid,
    },
)
# Shelters: where the own requester stays now; where only the other team's requester stays;
# where someone of the own case stayed and has left; south's.
SHELTER_ID = Arg(
    own=lambda o: o.placement("north").shelter_id,
    foreign={
        OTHER_TEAM: lambda o: o.placement("north", OTHER_TEAM_CASE).shelter_id,
        STAY_ENDED: lambda o: o.shelter_of_ended_stay().pk,
        OTHER_ORGANISATION: lambda o: o.placement("south").shelter_id,
        MISSING: _missing_uuid,
    },
)

# Pathways: the own organisation's private pathway; south's private one; an id nobody has.
PATHWAY_ID = Arg(
    own=lambda o: o.private_pathway("north").pk,
    foreign={OTHER_ORGANISATION: lambda o: o.private_pathway("south").pk, MISSING: lambda o: 987654321},
)

# Safety (refuge/workspace/views/safety.py): an alarm is answered by its case's team and every coordinator.
ALARM_ID = Arg(
    own=lambda o: o.alarm("north").pk,
    foreign={
        OTHER_TEAM: lambda o: o.alarm("north", OTHER_TEAM_CASE).pk,
        OTHER_ORGANISATION: lambda o: o.alarm("south").pk,
        MISSING: _missing_uuid,
    },
)
ALARM_TASK_ID = Arg(
    own=lambda o: o.alarm_task("north").pk,
    foreign={
        "of-another-alarm": lambda o: o.alarm_task("north", OTHER_TEAM_CASE).pk,
        OTHER_ORGANISATION: lambda o: o.alarm_task("south").pk,
        MISSING: _missing_uuid,
    },
)
STEP_ID = Arg(
    own=lambda o: o.escalation_step("north").pk,
    foreign={OTHER_ORGANISATION: lambda o: o.escalation_step("south").pk, MISSING: _missing_uuid},
)
ANY_ALARM = {f"alarm_id={OTHER_TEAM}": Reach(COORDINATORS)}

# An API token is its owner's alone: Alice's (a coordinator's) is 404 to every other member.
ANOTHER_MEMBERS = "another-members"
API_TOKEN_ID = Arg(
    own=lambda o: o.api_token("alice"),
    foreign={
        ANOTHER_MEMBERS: lambda o: o.api_token("bella"),
        OTHER_ORGANISATION: lambda o: o.api_token("charlie"),
        MISSING: _missing_uuid,
    },
)
# Disclosures (refuge/disclosures/): north's partner; a packet of the own case (prepared by Bob),
# one of the other team's case (prepared by Olga) and south's.
PARTNER_ID = Arg(
    own=lambda o: o.partner("north").pk,
    foreign={OTHER_ORGANISATION: lambda o: o.partner("south").pk, MISSING: _missing_uuid},
)
PACKET_ID = Arg(
    own=lambda o: o.packet("north").pk,
    foreign={
        OF_ANOTHER_CASE: lambda o: o.packet("north", OTHER_TEAM_CASE).pk,
        OTHER_ORGANISATION: lambda o: o.packet("south").pk,
        MISSING: _missing_uuid,
    },
)
# A coordinator reviews any packet of the organisation, whichever case it is of.
ANY_PACKET = Arg(
    own=lambda o: o.packet("north").pk,
    foreign={OTHER_ORGANISATION: lambda o: o.packet("south").pk, MISSING: _missing_uuid},
)
# A support letter's kind and language (views/letter_templates.py): by name, the same for every
# organisation; an unknown one is 404 like a missing object.
LETTER_KIND = Arg(own=lambda o: "visa", foreign={MISSING: lambda o: "passport-office"}, of_organisation=False)
LETTER_LANGUAGE = Arg(own=lambda o: "ru", foreign={MISSING: lambda o: "de"}, of_organisation=False)
LETTER = {"kind": LETTER_KIND, "language": LETTER_LANGUAGE}
PACKET_TOKEN = Arg(
    own=lambda o: o.packet_token(), foreign={MISSING: lambda o: "no-such-packet-token"}, of_organisation=False
)

# Retention (views/retention.py): a legal hold set or lifted; anything else is no act at all.
HOLD_DECISION = Arg(own=lambda o: "hold", foreign={"unknown-decision": lambda o: "forever"}, of_organisation=False)

CASE = {"case_id": CASE_ID}
# A coordinator off the team sees the case's outline (reference, stage, people's pseudonyms, team), none of its content.
OUTLINE = {f"case_id={OTHER_TEAM}": Reach(COORDINATORS, hides=(CASE_CONTENT,))}
PERSON = {"case_id": CASE_ID, "person_id": PERSON_ID}
COMPARTMENT = {**PERSON, "kind": KIND}
# A coordinator opens every shelter of the organisation, whoever stays there.
ANY_SHELTER = {f"shelter_id={OTHER_TEAM}": Reach(COORDINATORS), f"shelter_id={STAY_ENDED}": Reach(COORDINATORS)}


# --- the table ------------------------------------------------------------------------------

ROUTES: dict[str, Spec] = {
    # Workspace: logging in, enrolment, recovery (refuge/workspace/views/account.py).
    "workspace:login": Public(methods=("GET", "POST")),
    "workspace:logout": Public(methods=("POST",)),
    "workspace:recover": Public(methods=("GET", "POST")),
    "workspace:enrol_confirm": Public(methods=("GET", "POST")),
    "workspace:enrol": Public(args={"token": ENROLMENT_TOKEN}, methods=("GET", "POST"), own_404_page=True),
    # Workspace: one's own account and the home page.
    "workspace:home": Staff(EVERY_ROLE, duress=True),
    "workspace:account": Staff(EVERY_ROLE, duress=True),
    "workspace:password_change": Staff(EVERY_ROLE, methods=("POST",)),
    "workspace:duress": Staff(EVERY_ROLE, methods=("POST",)),
    "workspace:revoke_own_sessions": Staff(EVERY_ROLE, methods=("POST",)),
    # One's own API tokens (api_tokens.py): every member makes theirs; a token is revoked by its
    # owner only (Alice's, so the coordinator; a colleague's token is 404 like a missing one).
    "workspace:api_tokens": Staff(EVERY_ROLE, methods=("GET", "POST"), duress=("GET",)),
    "workspace:api_token_revoke": Staff(COORDINATORS, args={"token_id": API_TOKEN_ID}, methods=("POST",)),
    # Workspace: members and organisation settings (members.py, organisation.py).
    "workspace:members": Staff(MANAGERS, methods=("GET", "POST")),
    "workspace:member_action": Staff(
        MANAGERS, args={"member_id": MEMBER_ID, "action": MEMBER_ACTION}, methods=("POST",)
    ),
    "workspace:organisation": Staff(COORDINATORS, methods=("GET", "POST")),
    # The audit pages (audit.py): ids and codes of the organisation's log, no content. The
    # duress actor is a caseworker, so 404 (an auditor's duress pages: tests/workspace/test_duress_pages.py).
    "workspace:audit": Staff(AUDIT_READERS),
    "workspace:audit_verify": Staff(AUDIT_READERS, methods=("GET", "POST")),
    "workspace:audit_export": Staff(AUDIT_READERS, methods=("POST",)),
    "workspace:audit_statistics": Staff(AUDIT_READERS),
    # An administrator's invitation to a content role: a coordinator approves or refuses it;
    # administrators (who made it) get 404 like everyone else (docs/threat-model.md).
    "workspace:invitation_decide": Staff(
        COORDINATORS, args={"invitation_id": INVITATION_ID, "decision": DECISION}, methods=("POST",)
    ),
    # Keys owed to members (grants.py): the page for every content role; a decision only for a
    # holder of the key; administrators and auditors hold no content key and get 404.
    "workspace:key_grants": Staff(CASE_ROLES),
    "workspace:key_grant_decide": Staff(
        CASE_ROLES,
        args={"grant_id": GRANT_ID, "decision": DECISION},
        methods=("POST",),
        reach={f"grant_id={NOT_HELD_BY_ALL}": Reach(READS_REQUESTS)},
    ),
    # Workspace: the intake inbox (intake.py).
    "workspace:intake_inbox": Staff(READS_REQUESTS),
    "workspace:intake_bulk_decline": Staff(READS_REQUESTS, methods=("POST",)),
    "workspace:intake_request": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}),
    "workspace:intake_reply": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}, methods=("POST",)),
    "workspace:intake_status": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}, methods=("POST",)),
    "workspace:intake_decline": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}, methods=("POST",)),
    "workspace:intake_plant": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}, methods=("POST",)),
    "workspace:intake_link": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}, methods=("POST",)),
    "workspace:intake_unlink": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}, methods=("POST",)),
    "workspace:intake_merge": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}, methods=("POST",)),
    "workspace:intake_unmerge": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}, methods=("POST",)),
    "workspace:intake_attach": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}, methods=("POST",)),
    "workspace:intake_file": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID, "file_id": FILE_ID}),
    # The health check for the load balancer (refuge/core/views.py): the same answer for everyone.
    "health": Public(),
    # Django's language switch (django.conf.urls.i18n): POST sets the cookie, GET only redirects.
    "set_language": Public(methods=("GET", "POST")),
    # The requester portal (refuge/requester/urls.py): no ids in addresses, the receipt is the key.
    # A partner's download of a disclosure packet (requester/views/packet.py): the link is the key.
    "requester:packet": Public(args={"token": PACKET_TOKEN}, methods=("GET", "POST"), own_404_page=True),
    "requester:consent": Public(methods=("POST",)),
    "requester:request_answered": Public(),
    "requester:status": Public(methods=("GET", "POST")),
    "requester:leave": Public(methods=("GET", "POST")),
    "requester:quick_exit": Public(),
    "requester:request": Public(methods=("GET", "POST")),
    "requester:request_sent": Public(),
    "requester:check_in": Public(methods=("GET", "POST")),
    "requester:help_now": Public(methods=("POST",)),
    "requester:help_sent": Public(),
    "requester:safety_guide": Public(),
    "requester:landing": Public(args={"org_slug": ORG_SLUG}),
    "requester:ask": Public(args={"org_slug": ORG_SLUG}, methods=("GET", "POST")),
    # Cases (cases.py): team members read and change a case (access_case); auditors and
    # administrators have no cases; a coordinator off the team sees the case's metadata only.
    "workspace:case_list": Staff(CASE_ROLES, duress=True),
    "workspace:case_detail": Staff(CASE_ROLES, args=CASE, reach=OUTLINE),
    "workspace:case_edit": Staff(CASE_ROLES, args=CASE, methods=("GET", "POST")),
    "workspace:case_stage": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:case_lost_contact": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:case_team_add": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:case_team_remove": Staff(
        CASE_ROLES, args={**CASE, "member_id": TEAM_MEMBER_ID}, methods=("GET", "POST")
    ),
    "workspace:case_team_lead": Staff(CASE_ROLES, args={**CASE, "member_id": TEAM_MEMBER_ID}, methods=("POST",)),
    "workspace:case_rotate": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:case_note": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:case_task_add": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:case_task_done": Staff(CASE_ROLES, args={**CASE, "task_id": TASK_ID}, methods=("POST",)),
    "workspace:case_check_ins": Staff(CASE_ROLES, args=CASE),
    "workspace:case_schedule": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:case_schedule_stop": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:alarm": Staff(CASE_ROLES, args={"alarm_id": ALARM_ID}, reach=ANY_ALARM),
    "workspace:alarm_acknowledge": Staff(CASE_ROLES, args={"alarm_id": ALARM_ID}, methods=("POST",), reach=ANY_ALARM),
    "workspace:alarm_outcome": Staff(CASE_ROLES, args={"alarm_id": ALARM_ID}, methods=("POST",), reach=ANY_ALARM),
    "workspace:alarm_task_done": Staff(
        CASE_ROLES, args={"alarm_id": ALARM_ID, "task_id": ALARM_TASK_ID}, methods=("POST",)
    ),
    "workspace:escalation": Staff(COORDINATORS, methods=("GET", "POST")),
    # Staff under coercion: every member may lock themselves out, or the whole organisation for a raid.
    "workspace:lock": Staff(EVERY_ROLE, duress=True),
    "workspace:lock_me_out": Staff(EVERY_ROLE, methods=("POST",)),
    "workspace:emergency_lock": Staff(EVERY_ROLE, methods=("POST",)),
    "workspace:escalation_remove": Staff(COORDINATORS, args={"step_id": STEP_ID}, methods=("POST",)),
    # Retention (retention.py): the coordinators' page; a hold names a case by id and needs no key, so a
    # coordinator holds a case of any team of the organisation (the duress actor is a caseworker: 404).
    "workspace:retention": Staff(COORDINATORS, methods=("GET", "POST")),
    "workspace:retention_case_hold": Staff(
        COORDINATORS,
        args={"case_id": CASE_ID, "decision": HOLD_DECISION},
        methods=("POST",),
        reach={f"case_id={OTHER_TEAM}": Reach(COORDINATORS)},
    ),
    "workspace:retention_request_hold": Staff(
        COORDINATORS, args={"request_id": REQUEST_ID, "decision": HOLD_DECISION}, methods=("POST",)
    ),
    "workspace:case_expense": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:case_document_upload": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:case_document": Staff(CASE_ROLES, args={**CASE, "document_id": DOCUMENT_ID}),
    # Applications and the advisor (applications.py): the case's team only, like its content.
    "workspace:application_start": Staff(CASE_ROLES, args=CASE, methods=("GET", "POST")),
    "workspace:advisor": Staff(CASE_ROLES, args=CASE, methods=("GET", "POST")),
    "workspace:application_detail": Staff(CASE_ROLES, args={**CASE, "application_id": APPLICATION_ID}),
    "workspace:application_folder": Staff(
        CASE_ROLES, args={**CASE, "application_id": APPLICATION_ID}, methods=("POST",)
    ),
    "workspace:application_status": Staff(
        CASE_ROLES, args={**CASE, "application_id": APPLICATION_ID}, methods=("POST",)
    ),
    # Outcomes (outcomes.py): every case role; a coordinator counts the organisation's cases,
    # the others only their own (tests/workspace/test_outcomes.py).
    "workspace:outcomes": Staff(CASE_ROLES, duress=True),
    "workspace:outcomes_csv": Staff(CASE_ROLES, duress=True),
    # Travel and arrival (travel.py): the case's team only.
    "workspace:travel": Staff(CASE_ROLES, args=CASE),
    "workspace:travel_leg": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:travel_departure": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:travel_arrival": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:travel_close": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:application_appointment": Staff(
        CASE_ROLES, args={**CASE, "application_id": APPLICATION_ID}, methods=("POST",)
    ),
    "workspace:case_request_file": Staff(CASE_ROLES, args={**CASE, "file_id": CASE_FILE_ID}),
    "workspace:case_message": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    "workspace:case_attached_reply": Staff(CASE_ROLES, args=CASE, methods=("POST",)),
    # Accepting a request (accept.py): whoever reads requests (access_request).
    "workspace:intake_accept": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}, methods=("GET", "POST")),
    # People and compartments (people.py, compartments.py): team members only (access_case, access_person).
    "workspace:person_add": Staff(CASE_ROLES, args=CASE, methods=("GET", "POST")),
    "workspace:person_detail": Staff(CASE_ROLES, args=PERSON),
    "workspace:person_edit": Staff(CASE_ROLES, args=PERSON, methods=("GET", "POST")),
    "workspace:person_place": Staff(CASE_ROLES, args=PERSON, methods=("POST",)),
    # A team member sees who holds a compartment they do not hold, not a word of it, and
    # may not change it; a kind not made yet is theirs to create.
    "workspace:compartment": Staff(
        CASE_ROLES,
        args=COMPARTMENT,
        methods=("GET", "POST"),
        reach={
            f"kind={NOT_HELD}": Reach(CASE_ROLES, forbidden=("POST",), hides=(MEDICAL_CONTENT,)),
            f"kind={NOT_CREATED}": Reach(CASE_ROLES),
        },
    ),
    # Only holders share and take back a compartment; 404 for a kind not held or not made.
    "workspace:compartment_share": Staff(CASE_ROLES, args=COMPARTMENT, methods=("POST",)),
    "workspace:compartment_unshare": Staff(
        CASE_ROLES, args={**COMPARTMENT, "member_id": HOLDER_ID}, methods=("GET", "POST")
    ),
    # Files inside a compartment (compartments.py): its holders only; 404 for a kind not held or
    # not made, and for a file of another compartment, case or organisation.
    "workspace:compartment_file_upload": Staff(CASE_ROLES, args=COMPARTMENT, methods=("POST",)),
    "workspace:compartment_file": Staff(CASE_ROLES, args={**COMPARTMENT, "file_id": COMPARTMENT_FILE_ID}),
    # Ending a stay (access_placement): the case's team, or any coordinator of the organisation.
    "workspace:placement_end": Staff(
        CASE_ROLES,
        args={"placement_id": PLACEMENT_ID},
        methods=("GET", "POST"),
        reach={f"placement_id={OTHER_TEAM}": Reach(COORDINATORS)},
    ),
    # Disclosures (partners.py, packets.py): coordinators manage partners, review and approve
    # packets and read the register; the case's team prepares, records consent and revokes.
    "workspace:partner_list": Staff(COORDINATORS),
    "workspace:partner_new": Staff(COORDINATORS, methods=("GET", "POST")),
    "workspace:partner_detail": Staff(COORDINATORS, args={"partner_id": PARTNER_ID}),
    "workspace:partner_edit": Staff(COORDINATORS, args={"partner_id": PARTNER_ID}, methods=("GET", "POST")),
    "workspace:disclosure_register": Staff(COORDINATORS),
    # The organisation's support letters (letter_templates.py): coordinators write their wording.
    "workspace:letter_templates": Staff(COORDINATORS),
    "workspace:letter_template_edit": Staff(COORDINATORS, args=LETTER, methods=("GET", "POST")),
    "workspace:letter_template_reset": Staff(COORDINATORS, args=LETTER, methods=("POST",)),
    "workspace:packet_review": Staff(COORDINATORS, args={"packet_id": ANY_PACKET}),
    "workspace:packet_approve": Staff(COORDINATORS, args={"packet_id": ANY_PACKET}, methods=("POST",)),
    "workspace:packet_review_file": Staff(COORDINATORS, args={"packet_id": ANY_PACKET}, methods=("POST",)),
    "workspace:packet_review_received": Staff(COORDINATORS, args={"packet_id": ANY_PACKET}, methods=("POST",)),
    "workspace:packet_new": Staff(CASE_ROLES, args=CASE, methods=("GET", "POST")),
    "workspace:packet_detail": Staff(CASE_ROLES, args={**CASE, "packet_id": PACKET_ID}),
    "workspace:packet_consent": Staff(CASE_ROLES, args={**CASE, "packet_id": PACKET_ID}, methods=("POST",)),
    "workspace:packet_ask": Staff(CASE_ROLES, args={**CASE, "packet_id": PACKET_ID}, methods=("POST",)),
    "workspace:packet_file": Staff(CASE_ROLES, args={**CASE, "packet_id": PACKET_ID}, methods=("POST",)),
    "workspace:packet_received": Staff(CASE_ROLES, args={**CASE, "packet_id": PACKET_ID}, methods=("POST",)),
    "workspace:packet_revoke": Staff(CASE_ROLES, args={**CASE, "packet_id": PACKET_ID}, methods=("POST",)),
    "workspace:packet_referred": Staff(CASE_ROLES, args={**CASE, "packet_id": PACKET_ID}, methods=("POST",)),
    # Importing another installation's packet (referrals.py): coordinators, who lead the new case.
    "workspace:referral_import": Staff(COORDINATORS, methods=("GET", "POST")),
    # The shelter register (shelters.py, access_shelter): coordinators manage it; caseworkers and
    # intake open a shelter where someone of their cases stays now, and only read it.
    "workspace:shelter_list": Staff(CASE_ROLES, duress=True),
    # The pathway catalogue (pathways.py, refuge/relocation/access.py): every case role reads the
    # shared and the own organisation's pathways; coordinators add, change, retire and keep notes.
    "workspace:pathway_list": Staff(CASE_ROLES, duress=True),
    "workspace:pathway_new": Staff(COORDINATORS, methods=("GET", "POST")),
    "workspace:pathway_detail": Staff(CASE_ROLES, args={"pathway_id": PATHWAY_ID}),
    "workspace:pathway_edit": Staff(COORDINATORS, args={"pathway_id": PATHWAY_ID}, methods=("GET", "POST")),
    "workspace:pathway_note": Staff(COORDINATORS, args={"pathway_id": PATHWAY_ID}, methods=("POST",)),
    "workspace:pathway_retire": Staff(COORDINATORS, args={"pathway_id": PATHWAY_ID}, methods=("POST",)),
    "workspace:shelter_new": Staff(COORDINATORS, methods=("GET", "POST")),
    "workspace:shelter_detail": Staff(
        {"GET": CASE_ROLES, "POST": COORDINATORS},
        args={"shelter_id": SHELTER_ID},
        methods=("GET", "POST"),
        reach=ANY_SHELTER,
    ),
    "workspace:shelter_edit": Staff(
        COORDINATORS, args={"shelter_id": SHELTER_ID}, methods=("GET", "POST"), reach=ANY_SHELTER
    ),
    # The JSON API (refuge/api, docs/api.md): the same rules as the pages above, by token.
    "api:openapi-json": Public(),
    "api:api-root": ApiMissing(),
    "api_not_found": ApiMissing(),
    "api:cases": Api(CASE_ROLES),
    # A coordinator off the team reads the metadata, as on the case page; an export is content:
    # they are refused it with "locked" (403), as a page refuses what needs a key they do not hold.
    "api:case": Api(CASE_ROLES, args=CASE, reach={f"case_id={OTHER_TEAM}": Reach(COORDINATORS)}),
    "api:case_stage": Api(CASE_ROLES, args=CASE, methods=("POST",), body={"stage": "sheltered", "version": 1}),
    "api:case_tasks": Api(CASE_ROLES, args=CASE, methods=("GET", "POST"), body={"title": "Call back"}),
    "api:case_task_add": Api(CASE_ROLES, args=CASE, methods=("POST",), body={"title": "Call back"}),
    "api:case_task_done": Api(CASE_ROLES, args={**CASE, "task_id": TASK_ID}, methods=("POST",)),
    "api:case_applications": Api(CASE_ROLES, args=CASE),
    "api:case_export": Api(
        CASE_ROLES, args=CASE, reach={f"case_id={OTHER_TEAM}": Reach(COORDINATORS, forbidden=("GET",))}
    ),
    "api:referrals": Api(
        READS_REQUESTS, methods=("POST",), body={"what_happened": "Referred", "where_now": "Tbilisi", "urgency": "now"}
    ),
}
