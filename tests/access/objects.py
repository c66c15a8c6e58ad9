"""The objects the access suite takes ids of, made once per module before any cell runs.

Factories in spec.py ask for them by what they are ("a request of south", "a file of
another request of north"); `Objects` makes each one on first use and remembers it. Every
factory is called while the module's world is built (tests/access/conftest.py), never
inside a cell: a cell's own writes are rolled back when it ends, and an object made there
would vanish before the next cell.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from refuge.accounts.actions import do_invite_member
from refuge.accounts.login import share_group_keys
from refuge.accounts.models import Organisation, Role, User
from refuge.intake.actions import Submission, do_submit_request
from refuge.intake.models import HelpRequest, RequestFile
from refuge.intake.uploads import CleanUpload
from tests.personas import World, make_member, make_organisation

T = TypeVar("T")

ANSWERS = {"what_happened": "Police came to my flat", "where_now": "Makhachkala", "contact": "Signal after 20:00"}
PDF = b"%PDF-1.4\n% a scanned passport, metadata already removed\n%%EOF\n"


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
    share_group_keys(alice.user, alice.private_key)
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

    def submission(self, org: str, which: str = "first") -> Submission:
        """A request sent to `org` through the portal's action, with one PDF attached."""
        upload = CleanUpload(kind="pdf", data=PDF, name="scan.pdf")
        return self.once(
            f"submission:{org}:{which}",
            lambda: do_submit_request(
                organisation=self.organisation(org), answers=ANSWERS, urgency="now", language="en", uploads=[upload]
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

    def invitation(self, org: str) -> str:
        """A valid enrolment token (only its hash is stored)."""
        coordinator = self.world.alice if org == "north" else self.world.charlie
        return self.once(
            f"invitation:{org}",
            lambda: do_invite_member(actor=coordinator.user, username=f"new-{org}", role=Role.CASEWORKER),
        )
