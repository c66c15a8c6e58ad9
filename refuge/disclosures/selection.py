"""What a packet may carry and what was chosen: the checklist of a case's fields, and the chosen ones read.

The checklist names each field of each compartment the member holds (nothing decrypted); the
chosen fields are decrypted only when a packet is prepared (refuge/disclosures/packets.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.cases.access import holds_key
from refuge.cases.compartments import FIELDS
from refuge.cases.models import Case, Compartment, CompartmentKind, Person
from refuge.cases.queries import read_compartment
from refuge.core.errors import UserError
from refuge.disclosures.hidden_text import holds_hidden_text
from refuge.keyring.keyring import Keyring

MAX_SELECTED = 200


def selection_key(person: Person, kind: str, field: str) -> str:
    """How one field of one person is named in a packet's checklist."""
    return f"{person.pk}:{kind}:{field}"


@dataclass(frozen=True)
class Choice:
    key: str
    label: str


@dataclass(frozen=True)
class CompartmentChoices:
    kind: str
    label: str
    choices: list[Choice]


@dataclass(frozen=True)
class PersonChoices:
    person: Person
    compartments: list[CompartmentChoices]  # the compartments the member holds, with their fields


def checklist(member: User, case: Case) -> list[PersonChoices]:
    """What a team member may put in a packet: the fields of each compartment they hold (nothing decrypted)."""
    rows: list[PersonChoices] = []
    for person in Person.objects.filter(case=case).order_by("added_on", "pseudonym"):
        compartments: list[CompartmentChoices] = []
        for compartment in Compartment.objects.filter(person=person).select_related("key").order_by("kind"):
            fields = FIELDS.get(compartment.kind, ())
            if fields and holds_key(member, compartment.key):
                choices = [Choice(selection_key(person, compartment.kind, f.name), str(f.label)) for f in fields]
                label = str(CompartmentKind(compartment.kind).label)
                compartments.append(CompartmentChoices(compartment.kind, label, choices))
        rows.append(PersonChoices(person, compartments))
    return rows


def selected_fields(
    member: User, keyring: Keyring, case: Case, selection: list[str], documents: Sequence[str]
) -> list[dict[str, Any]]:
    """The chosen fields, decrypted, grouped by person in the case's order; UserError for a bad choice."""
    if not selection and not documents:
        raise UserError("nothing_chosen", _("Choose at least one field or document to disclose."), field="chosen")
    if len(selection) > MAX_SELECTED:
        raise UserError("too_many", _("Choose at most 200 fields."), field="chosen")
    offered = {c.key for row in checklist(member, case) for group in row.compartments for c in group.choices}
    if any(key not in offered for key in selection):
        raise UserError("bad_choice", _("One of the chosen fields is not on this case."), field="chosen")
    chosen = set(selection)
    people: list[dict[str, Any]] = []
    with translation.override("en"):  # the partner's copy is in English (docs/disclosures.md)
        for number, row in enumerate(checklist(member, case), start=1):
            items: list[dict[str, Any]] = []
            for group in row.compartments:
                kind = group.kind
                if not any(c.key in chosen for c in group.choices):
                    continue
                compartment = Compartment.objects.select_related("key").get(person=row.person, kind=kind)
                content = read_compartment(compartment, keyring)
                for field in FIELDS[kind]:
                    value = str(content.get(field.name, "")).strip()
                    if selection_key(row.person, kind, field.name) in chosen and value:
                        items.append({"name": f"{kind}.{field.name}", "label": str(field.label), "value": value})
            if items:
                people.append({"label": f"Person {number}", "fields": items})
    if not people and not documents:
        raise UserError(
            "all_empty", _("The chosen fields are all empty: there is nothing to disclose."), field="chosen"
        )
    if any(holds_hidden_text(item["value"]) for person in people for item in person["fields"]):
        # The partner's Refuge would refuse the packet whole (referrals.py).
        raise UserError(
            "hidden_text_chosen",
            _(
                "A chosen field holds control or text-direction characters, which a partner's Refuge refuses. "
                "Correct the field in the case first."
            ),
            field="chosen",
        )
    return people
