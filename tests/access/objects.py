"""The objects the access suite takes ids of, made once per module before any cell runs.

Factories in spec.py ask for them by what they are ("a request of south", "a file of
another request of north"); `Objects` makes each one on first use and remembers it. Every
factory is called while the module's world is built (tests/access/conftest.py), never
inside a cell: a cell's own writes are rolled back when it ends, and an object made there
would vanish before the next cell.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.db import transaction

from refuge.accounts.actions.invitations import do_invite_member
from refuge.accounts.grants import do_refuse_grant, queue_grant
from refuge.accounts.models import Invitation, Organisation, Role, User
from refuge.applications import actions as application_actions
from refuge.applications.models import Application
from refuge.cases.actions.compartment_files import do_add_compartment_file
from refuge.cases.actions.compartments import do_revoke_compartment, do_save_compartment
from refuge.cases.actions.documents import do_add_document
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.actions.tasks import do_add_task
from refuge.cases.models import (
    Case,
    CaseDocument,
    Compartment,
    CompartmentFile,
    CompartmentKind,
    Person,
    PersonRole,
    Priority,
    Task,
)
from refuge.disclosures import actions as disclosure_actions
from refuge.disclosures import packets, selection
from refuge.disclosures.models import Packet, Partner
from refuge.intake.access import access_by_receipt
from refuge.intake.actions.submissions import Submission, do_submit_request
from refuge.intake.models import HelpRequest, RequestFile
from refuge.intake.uploads import CleanUpload
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import GrantReason, KeyGrant
from refuge.relocation import actions as relocation_actions
from refuge.relocation.actions import PathwayDetails
from refuge.relocation.models import Pathway
from refuge.safety.actions.check_ins import do_check_in
from refuge.safety.actions.escalation import do_add_escalation_step
from refuge.safety.models import Alarm, AlarmTask, EscalationStep
from refuge.shelter import actions as shelter_actions
from refuge.shelter.models import Placement, Shelter
from tests.personas import Persona, World, approve_owed_grants, make_member, make_organisation
from tests.support.api_tokens import make_token

T = TypeVar("T")

ANSWERS = {"what_happened": "Police came to my flat", "where_now": "Makhachkala", "contact": "Signal after 20:00"}
PDF = b"%PDF-1.4\n% a scanned passport, metadata already removed\n%%EOF\n"
# What only a case's team may read (its summary, its tasks), and only holders of the medical
# compartment: pages that show a case's outline or who holds a compartment must not contain them.
CASE_CONTENT = "CANARY-CASE-CONTENT"
MEDICAL_CONTENT = "CANARY-MEDICAL-CONTENT"
# A request that becomes a case: its identity answers fill the requester's identity compartment.
CASE_ANSWERS = {
    **ANSWERS,
    "what_happened": f"Police came to my flat {CASE_CONTENT}",
    "name": "Ivan Petrov",
    "phone": "+7 900 123 45 67",
    "document_number": "4510 123456",
}

# The cases of the access world (see `Objects.case`).
OWN_CASE = "own"
OTHER_TEAM_CASE = "other-team"
STAY_ENDED = "stay-ended"


def build_world() -> World:
    """The personas of tests/personas.py (`world` fixture), built outside a test function."""
    north, alice, shares = make_organisation("north", "alice")
    south, charlie, _ = make_organisation("south", "charlie")
    world = World(
        north=north,
        south=south,
        north_shares=shares,
        alice=alice,
        bob=make_member(north, "bob", Role.CASEWORKER),
        bella=make_member(north, "bella", Role.CASEWORKER),
        ivan=make_member(north, "ivan", Role.INTAKE),
        audrey=make_member(north, "audrey", Role.AUDITOR),
        adam=make_member(north, "adam", Role.ADMINISTRATOR),
        charlie=charlie,
    )
    approve_owed_grants(world)
    return world


class Objects:
    """Objects of both organisations, each made once (by name) while the world is built."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._made: dict[str, Any] = {}
        self.frozen = False

    def once(self, name: str, make: Callable[[], T]) -> T:
        if name not in self._made:
            # Made inside a cell, it would be rolled back with the cell's own writes.
            assert not self.frozen, f"{name!r} must be made while the world is built, not inside a cell"
            self._made[name] = make()
        return self._made[name]

    def organisation(self, org: str) -> Organisation:
        return {"north": self.world.north, "south": self.world.south}[org]

    # --- intake -------------------------------------------------------------------------

    def submission(self, org: str, which: str = "first", answers: Mapping[str, str] = ANSWERS) -> Submission:
        """A request sent to `org` through the portal's action, with one PDF attached."""
        upload = CleanUpload(kind="pdf", data=PDF, name="scan.pdf")
        return self.once(
            f"submission:{org}:{which}",
            lambda: do_submit_request(
                organisation=self.organisation(org),
                answers=dict(answers),
                urgency="now",
                language="en",
                uploads=[upload],
            ),
        )

    def help_request(self, org: str, which: str = "first") -> HelpRequest:
        return self.submission(org, which).request

    def request_file(self, org: str, which: str = "first") -> RequestFile:
        return self.once(f"file:{org}:{which}", lambda: self.help_request(org, which).files.get())

    def receipt(self, org: str) -> str:
        return self.submission(org).receipt

    # --- accounts -----------------------------------------------------------------------

    def member(self, org: str) -> User:
        """A caseworker nobody logs in as, for routes that act on a member (unlock, deactivate…)."""
        return self.once(
            f"member:{org}", lambda: make_member(self.organisation(org), f"tara-{org}", Role.CASEWORKER).user
        )

    def api_token(self, persona: str) -> uuid.UUID:
        """The id of an API token of the persona's (alice's: north's coordinator; charlie's: south's)."""
        return self.once(f"api-token:{persona}", lambda: make_token(getattr(self.world, persona)).token_id)

    def invitation(self, org: str) -> str:
        """A valid enrolment token (only its hash is stored)."""
        coordinator = self.world.alice if org == "north" else self.world.charlie
        return self.once(
            f"invitation:{org}",
            lambda: do_invite_member(actor=coordinator.user, username=f"new-{org}", role=Role.CASEWORKER),
        )

    def invitation_to_approve(self, org: str) -> Invitation:
        """An administrator's invitation to a content role, waiting for a coordinator."""

        def make() -> Invitation:
            admin = (
                self.world.adam.user
                if org == "north"
                else make_member(self.world.south, "sam", Role.ADMINISTRATOR).user
            )
            do_invite_member(actor=admin, username=f"quinn-{org}", role=Role.CASEWORKER)
            return Invitation.objects.get(organisation=self.organisation(org), username=f"quinn-{org}")

        return self.once(f"invitation-to-approve:{org}", make)

    def invitation_not_waiting(self) -> Invitation:
        """A coordinator's invitation: it needs no approval, so there is nothing to decide."""
        self.invitation("north")
        return Invitation.objects.get(organisation=self.world.north, username="new-north")

    # --- keys owed (refuge/accounts/grants.py) ----------------------------------------------

    def grant_held_by_every_case_role(self) -> KeyGrant:
        """The own shelter's key owed to Nina: Alice, Bob and Ivan hold it (the own stay's team)."""

        def make() -> KeyGrant:
            shelter = self.placement("north").shelter
            nina = make_member(self.world.north, "nina", Role.CASEWORKER).user
            with transaction.atomic():
                grant = queue_grant(
                    key=shelter.key,
                    member=nina,
                    reason=GrantReason.PLACEMENT,
                    requested_by=self.world.bob.user,
                    case_id=self.case("north").pk,
                )
            assert grant is not None
            return grant

        return self.once("grant:north:shelter", make)

    def intake_key_grant(self, org: str, which: str = "pending") -> KeyGrant:
        """The intake key owed to a new intake member (held by coordinators and intake only)."""

        def make() -> KeyGrant:
            member = make_member(self.organisation(org), f"nora-{org}-{which}", Role.INTAKE).user
            grant = KeyGrant.objects.get(member=member)
            if which == "refused":
                coordinator = self.world.alice if org == "north" else self.world.charlie
                do_refuse_grant(actor=coordinator.refresh().user, grant=grant)
            return grant

        return self.once(f"grant:{org}:intake:{which}", make)

    def olga(self) -> Persona:
        """A north caseworker nobody logs in as: the whole team of north's other-team case."""
        return self.once("persona:olga", lambda: make_member(self.world.north, "olga", Role.CASEWORKER))

    # --- cases (refuge/cases/actions.py) ----------------------------------------------------

    def persona(self, name: str) -> Persona:
        return self.olga() if name == "olga" else getattr(self.world, name)

    def ring(self, name: str) -> Keyring:
        """The member's keyring, as a logged-in request of theirs would have it."""
        persona = self.persona(name).refresh()
        return Keyring(persona.user, persona.private_key)

    def case(self, org: str, which: str = OWN_CASE) -> Case:
        """A request of `org` (with a PDF) accepted into a case, through the real actions.

        north "own": its team is Alice, Bob and Ivan (every staff actor with a case role),
        Tara (a holder of the identity compartment nobody logs in as) and Bella, from whom the
        identity compartment was taken back, who then wrote the medical one only she holds.
        north "other-team": a case of the same organisation whose team is Olga alone.
        south "own": Charlie's, for the other-organisation scopes.
        """
        return self.once(f"case:{org}:{which}", lambda: self._open_case(org, which))

    def _open_case(self, org: str, which: str) -> Case:
        request = self.submission(org, f"case-{which}", CASE_ANSWERS).request
        if org == "south":
            acceptor, team = "charlie", [self.world.charlie.user]
        elif which == OWN_CASE:
            world = self.world
            acceptor = "ivan"
            team = [world.alice.user, world.bob.user, world.ivan.user, self.member("north"), world.bella.user]
        else:
            acceptor, team = "ivan", [self.olga().user]
        case = do_accept_request(
            actor=self.persona(acceptor).refresh().user,
            keyring=self.ring(acceptor),
            request=request,
            team=team,
            priority=Priority.URGENT,
        )
        return Case.objects.select_related("key", "request__key").get(pk=case.pk)

    def _maker(self, org: str, which: str) -> str:
        """Who of the case's team makes its objects."""
        if org == "south":
            return "charlie"
        return "bob" if which == OWN_CASE else "olga"

    def task(self, org: str, which: str = OWN_CASE) -> Task:
        def make() -> Task:
            name = self._maker(org, which)
            return do_add_task(
                actor=self.persona(name).refresh().user,
                keyring=self.ring(name),
                case=self.case(org, which),
                title=f"Call the lawyer {CASE_CONTENT}",
                due_on=None,
                owner=None,
            )

        return self.once(f"task:{org}:{which}", make)

    def case_document(self, org: str, which: str = OWN_CASE) -> CaseDocument:
        def make() -> CaseDocument:
            name = self._maker(org, which)
            return do_add_document(
                actor=self.persona(name).refresh().user,
                keyring=self.ring(name),
                case=self.case(org, which),
                upload=CleanUpload(kind="pdf", data=PDF, name="passport.pdf"),
            )

        return self.once(f"document:{org}:{which}", make)

    def case_request_file(self, org: str, which: str = OWN_CASE) -> RequestFile:
        """The file the requester sent with the request the case was opened from."""
        return self.once(f"case-file:{org}:{which}", lambda: self.case(org, which).request.files.get())

    def person(self, org: str, which: str = OWN_CASE) -> Person:
        """The requester of the case (staying in a shelter now once `placement` was made)."""

        def find() -> Person:
            case = self.case(org, which)
            person = Person.objects.select_related("key").get(case=case, role=PersonRole.REQUESTER)
            person.case = case
            return person

        return self.once(f"person:{org}:{which}", find)

    def compartment_kind(self, held: str) -> str:
        """A compartment kind of north's own requester: "held" by every actor, "not-held", "not-created"."""
        if held == "held":
            return CompartmentKind.IDENTITY
        if held == "not-created":
            return CompartmentKind.SOGIESC
        return self.once("compartment:north:not-held", self._medical_of_bella)

    def _medical_of_bella(self) -> str:
        """Alice takes the identity compartment back from Bella, who then writes the medical one."""
        person, bella = self.person("north"), self.world.bella.refresh().user
        identity = Compartment.objects.select_related("key").get(person=person, kind=CompartmentKind.IDENTITY)
        identity.person = person
        do_revoke_compartment(
            actor=self.world.alice.refresh().user, keyring=self.ring("alice"), compartment=identity, member=bella
        )
        do_save_compartment(
            actor=bella,
            keyring=self.ring("bella"),
            person=person,
            kind=CompartmentKind.MEDICAL,
            data={"medication": f"Insulin {MEDICAL_CONTENT}"},
            version=None,
        )
        return CompartmentKind.MEDICAL

    def compartment_file(
        self, org: str, which: str = OWN_CASE, kind: str = CompartmentKind.IDENTITY
    ) -> CompartmentFile:
        """A scan in the requester's compartment of `kind`, put there by a holder of it.

        North's own identity file is Bob's (every case-role actor holds the identity); its medical
        file is Bella's, the only holder of that compartment.
        """

        def make() -> CompartmentFile:
            person = self.person(org, which)
            if kind == CompartmentKind.MEDICAL:
                self.compartment_kind("not-held")
                name = "bella"
            else:
                name = self._maker(org, which)
            compartment = Compartment.objects.select_related("key").get(person=person, kind=kind)
            compartment.person = person
            return do_add_compartment_file(
                actor=self.persona(name).refresh().user,
                keyring=self.ring(name),
                compartment=compartment,
                upload=CleanUpload(kind="pdf", data=PDF, name="passport-scan.pdf"),
            )

        return self.once(f"compartment-file:{org}:{which}:{kind}", make)

    def identity_holder(self) -> User:
        """On the own case's team, holding its identity compartment, and no actor: Tara."""
        self.case("north")
        return self.member("north")

    def team_member_without_identity(self) -> User:
        """On the own case's team without its identity compartment: Bella."""
        self.compartment_kind("not-held")
        return self.world.bella.user

    # --- disclosures (refuge/disclosures/) ---------------------------------------------------

    def partner(self, org: str) -> Partner:
        coordinator = "charlie" if org == "south" else "alice"
        return self.once(
            f"partner:{org}",
            lambda: disclosure_actions.do_add_partner(
                actor=self.persona(coordinator).refresh().user,
                details=disclosure_actions.PartnerDetails(
                    f"{org}-ngo", "Receiving NGO", "ngo", "Canada", "password", "", "Call Maria"
                ),
            ),
        )

    def packet(self, org: str, which: str = OWN_CASE) -> Packet:
        """A packet of the case's legal name for the organisation's partner, prepared by the case's maker."""

        def make() -> Packet:
            name = self._maker(org, which)
            case = self.case(org, which)
            person = self.person(org, which)
            return packets.do_prepare_packet(
                actor=self.persona(name).refresh().user,
                keyring=self.ring(name),
                case=case,
                partner=self.partner(org),
                purpose="Resettlement referral",
                selection=[selection.selection_key(person, "identity", "legal_name")],
            )

        return self.once(f"packet:{org}:{which}", make)

    def packet_token(self) -> str:
        """The download link's token of north's own packet, consented by Bob and approved by Alice."""

        def make() -> str:
            packet = self.packet("north")
            packets.do_record_consent(
                actor=self.world.bob.refresh().user,
                keyring=self.ring("bob"),
                packet=packet,
                who="The requester",
                given_on=datetime.date.today(),
                way="in_person",
                purpose="Resettlement referral",
            )
            fresh = Packet.objects.select_related("key", "partner__key", "case").get(pk=packet.pk)
            produced = packets.do_approve_packet(
                actor=self.world.alice.refresh().user,
                keyring=self.ring("alice"),
                packet=fresh,
                expires_in_days=7,
                download_limit=5,
            )
            return produced.token

        return self.once("packet-token:north", make)

    # --- shelters (refuge/shelter/actions.py) -----------------------------------------------

    def shelter(self, org: str, which: str = OWN_CASE) -> Shelter:
        coordinator = "alice" if org == "north" else "charlie"
        return self.once(
            f"shelter:{org}:{which}",
            lambda: shelter_actions.do_create_shelter(
                actor=self.persona(coordinator).refresh().user,
                details=shelter_actions.ShelterDetails(f"{org}-{which}", 4, "Tbilisi", "No visitors", "12 Linden St"),
            ),
        )

    def placement(self, org: str, which: str = OWN_CASE) -> Placement:
        """The case's requester staying, from today, in the shelter of the same name.

        North's own requester left the "stay-ended" shelter yesterday first; Alice places
        them, so that (holding the shelter's key) she gives it to the whole team.
        """

        def make() -> Placement:
            if (org, which) == ("north", OWN_CASE):
                self.shelter_of_ended_stay()
            name = "alice" if (org, which) == ("north", OWN_CASE) else self._maker(org, which)
            return self._place(name, self.person(org, which), self.shelter(org, which), datetime.date.today())

        return self.once(f"placement:{org}:{which}", make)

    def shelter_of_ended_stay(self) -> Shelter:
        """A north shelter where the own case's requester stayed until yesterday: nobody of theirs is there now."""

        def make() -> Shelter:
            today = datetime.date.today()
            shelter = self.shelter("north", STAY_ENDED)
            stay = self._place("bob", self.person("north"), shelter, today - datetime.timedelta(days=10))
            shelter_actions.do_end_placement(
                actor=self.world.bob.refresh().user,
                keyring=self.ring("bob"),
                placement=stay,
                ended_on=today - datetime.timedelta(days=1),
            )
            return shelter

        return self.once(f"shelter:north:{STAY_ENDED}:left", make)

    def _place(self, name: str, person: Person, shelter: Shelter, starts_on: datetime.date) -> Placement:
        return shelter_actions.do_place_person(
            actor=self.persona(name).refresh().user,
            keyring=self.ring(name),
            person=person,
            shelter=shelter,
            starts_on=starts_on,
            planned_until=None,
        )

    # --- the pathway catalogue (refuge/relocation/actions.py) --------------------------------

    def private_pathway(self, org: str) -> Pathway:
        """A pathway only `org` sees, added by its coordinator."""
        coordinator = self.world.alice if org == "north" else self.world.charlie
        details = PathwayDetails(
            country="Iceland",
            name=f"Private programme of {org}",
            legal_basis="",
            who_applies="",
            requirements="",
            in_country_eligible="yes",
            typical_processing_time="",
            processing_days=None,
            fees="",
            hard_requirements=[],
            checklist=[],
            notes="",
            sources="",
        )
        return self.once(
            f"pathway:{org}", lambda: relocation_actions.do_add_pathway(actor=coordinator.user, details=details)
        )

    # --- applications (refuge/applications/actions.py) ---------------------------------------------

    def application(self, org: str, which: str = OWN_CASE) -> Application:
        """An application of the case's requester, on a shared pathway."""

        def make() -> Application:
            name = self._maker(org, which)
            return application_actions.do_start_application(
                actor=self.persona(name).refresh().user,
                keyring=self.ring(name),
                case=self.case(org, which),
                person=self.person(org, which),
                pathway=Pathway.objects.get(country="Lithuania"),
            )

        return self.once(f"application:{org}:{which}", make)

    # --- safety -------------------------------------------------------------------------

    def escalation_step(self, org: str) -> EscalationStep:
        """A step of the organisation's checklist, added by its coordinator."""
        coordinator = "alice" if org == "north" else "charlie"
        return self.once(
            f"escalation-step:{org}",
            lambda: do_add_escalation_step(
                actor=self.persona(coordinator).refresh().user, title="Call the safe contact", minutes=15, owner="team"
            ),
        )

    def alarm(self, org: str, which: str = OWN_CASE) -> Alarm:
        """An alarm on the case, raised as the portal raises it: the requester presses "I need help now"."""

        def make() -> Alarm:
            self.escalation_step(org)
            case = self.case(org, which)
            receipt = self.submission(org, f"case-{which}", CASE_ANSWERS).receipt
            do_check_in(access=access_by_receipt(receipt), message="", help_now=True)
            return Alarm.objects.get(case=case)

        return self.once(f"alarm:{org}:{which}", make)

    def alarm_task(self, org: str, which: str = OWN_CASE) -> AlarmTask:
        return self.once(f"alarm-task:{org}:{which}", lambda: self.alarm(org, which).tasks.get())
