"""Who may use each route: the access specification (docs/development.md, "Access suite").

Every route of refuge.urls has one entry here, keyed by its view name; a route without
one fails `test_every_route_has_an_access_spec`. From this table test_matrix.py builds
every cell route × actor × scope and asserts its answer:

- a `Staff` route (behind `staff_view`) answers the roles it lists and 404 to every
  other role; 404 for any object id of another organisation (or team), or that does not
  exist, even to an allowed role; a login redirect to anyone not logged in (requesters
  included); 404 under a duress session unless `duress=True`. A refused request writes
  nothing, and its 404 page is the same as for an address that does not exist.
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
from tests.access.objects import Objects

# Foreign scopes: the value an allowed role must still get 404 for.
OTHER_ORGANISATION = "other-organisation"
# For case routes once case teams exist: a case of the actor's organisation whose team the
# actor is not in (bob is the caseworker actor; put him in one team and the object in another).
OTHER_TEAM = "other-team"
MISSING = "missing"

Make = Callable[[Objects], object]


@dataclass(frozen=True)
class Arg:
    """How to fill one URL argument: a value the actor may use, and values that must 404."""

    own: Make
    foreign: Mapping[str, Make] = field(default_factory=dict)
    # The value names something of an organisation: an outsider gets 404 even for `own`.
    of_organisation: bool = True


@dataclass(frozen=True)
class Staff:
    """A workspace route behind staff_view: the roles that may use it, 404 for the rest."""

    roles: frozenset[str]
    args: Mapping[str, Arg] = field(default_factory=dict)
    # POST-only routes list ("POST",); a refused POST must also leave every table as it was.
    methods: tuple[str, ...] = ("GET",)
    # Only the empty home page exists under a duress session.
    duress: bool = False


@dataclass(frozen=True)
class Public:
    """A route anyone may use; its foreign argument values (unknown slug, token) answer 404."""

    args: Mapping[str, Arg] = field(default_factory=dict)
    methods: tuple[str, ...] = ("GET",)
    # Its 404 says why (e.g. "this invitation is not valid") instead of being the missing-page 404.
    own_404_page: bool = False


Spec = Staff | Public

EVERY_ROLE = frozenset(Role.values)
MANAGERS = frozenset({Role.COORDINATOR, Role.ADMINISTRATOR})
READS_REQUESTS = frozenset({Role.COORDINATOR, Role.INTAKE})
COORDINATORS = frozenset({Role.COORDINATOR})


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
ENROLMENT_TOKEN = Arg(
    own=lambda o: o.invitation("north"), foreign={MISSING: lambda o: "no-such-invitation-token"}, of_organisation=False
)
# Every organisation's portal is public; an unknown slug looks like any missing page.
ORG_SLUG = Arg(own=lambda o: "north", foreign={MISSING: lambda o: "no-such-organisation"}, of_organisation=False)


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
    "workspace:account": Staff(EVERY_ROLE),
    "workspace:password_change": Staff(EVERY_ROLE, methods=("POST",)),
    "workspace:duress": Staff(EVERY_ROLE, methods=("POST",)),
    "workspace:revoke_own_sessions": Staff(EVERY_ROLE, methods=("POST",)),
    # Workspace: members and organisation settings (members.py, organisation.py).
    "workspace:members": Staff(MANAGERS, methods=("GET", "POST")),
    "workspace:member_action": Staff(
        MANAGERS, args={"member_id": MEMBER_ID, "action": MEMBER_ACTION}, methods=("POST",)
    ),
    "workspace:organisation": Staff(COORDINATORS, methods=("GET", "POST")),
    # Workspace: the intake inbox (intake.py).
    "workspace:intake_inbox": Staff(READS_REQUESTS),
    "workspace:intake_request": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}),
    "workspace:intake_reply": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}, methods=("POST",)),
    "workspace:intake_status": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}, methods=("POST",)),
    "workspace:intake_decline": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}, methods=("POST",)),
    "workspace:intake_plant": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID}, methods=("POST",)),
    "workspace:intake_file": Staff(READS_REQUESTS, args={"request_id": REQUEST_ID, "file_id": FILE_ID}),
    # Django's language switch (django.conf.urls.i18n): POST sets the cookie, GET only redirects.
    "set_language": Public(methods=("GET", "POST")),
    # The requester portal (refuge/requester/urls.py): no ids in addresses, the receipt is the key.
    "requester:status": Public(methods=("GET", "POST")),
    "requester:leave": Public(methods=("GET", "POST")),
    "requester:request": Public(methods=("GET", "POST")),
    "requester:request_sent": Public(),
    "requester:landing": Public(args={"org_slug": ORG_SLUG}),
    "requester:ask": Public(args={"org_slug": ORG_SLUG}, methods=("GET", "POST")),
}
