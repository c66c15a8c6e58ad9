"""Shared set-up of the disclosure tests: a case with a filled identity compartment, partners, packets."""

from __future__ import annotations

import datetime
import io
import json
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from refuge.cases.actions.compartments import do_save_compartment
from refuge.cases.models import Case, Person
from refuge.disclosures import actions, packets, selection
from refuge.disclosures.models import Delivery, Packet, Partner, PartnerKind
from tests.personas import Persona, World
from tests.workspace.people_support import open_case, requester_of, ring

# Chosen in the tests below; every other value carries a canary that must never leave.
LEGAL_NAME = "Иван Петрович Сидоров"
DATE_OF_BIRTH = "1990-04-01"
IDENTITY = {
    "legal_name": LEGAL_NAME,
    "date_of_birth": DATE_OF_BIRTH,
    "phone": "+7 900 000 00 00 CANARY-PHONE",
    "international_passport_number": "75 CANARY-PASSPORT",
    "registered_address": "Grozny CANARY-PROPISKA",
    "identity_notes": "CANARY-IDENTITY-NOTES",
}
SOGIESC = {"sexual_orientation": "CANARY-SOGIESC", "sogiesc_notes": "CANARY-SOGIESC-NOTES"}
CANARIES = ("CANARY-PHONE", "CANARY-PASSPORT", "CANARY-PROPISKA", "CANARY-IDENTITY-NOTES", "CANARY-SOGIESC")
PARTNER_CANARY = "Embassy desk CANARY-PARTNER-NAME"


@dataclass
class AgeKey:
    identity_file: Path
    recipient: str


def age_key(tmp_path: Path) -> AgeKey:
    """A partner's key made with the real `age-keygen`, as a partner would make it."""
    path = tmp_path / "partner-key.txt"
    subprocess.run(["age-keygen", "-o", str(path)], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", str(path)], check=True, capture_output=True, text=True)
    return AgeKey(path, recipient.stdout.strip())


def add_partner(world: World, recipient: str = "", code_name: str = "ngo-toronto") -> Partner:
    delivery = Delivery.AGE_KEY if recipient else Delivery.PASSWORD
    return actions.do_add_partner(
        actor=world.alice.refresh().user,
        details=actions.PartnerDetails(
            code_name, PARTNER_CANARY, PartnerKind.NGO, "Canada", delivery, recipient, "Call Maria CANARY-CONTACT"
        ),
    )


def case_with_identity(world: World) -> tuple[Case, Person]:
    """A case of Alice and Bob whose requester's identity and SOGIESC compartments Bob filled."""
    case = open_case(world)
    person = requester_of(case)
    bob = world.bob.refresh().user
    existing = person.compartments.filter(kind="identity").first()
    do_save_compartment(
        actor=bob,
        keyring=ring(world.bob),
        person=person,
        kind="identity",
        data=IDENTITY,
        version=existing.version if existing else None,
    )
    do_save_compartment(actor=bob, keyring=ring(world.bob), person=person, kind="sogiesc", data=SOGIESC, version=None)
    return case, person


def prepare(
    world: World, case: Case, person: Person, partner: Partner, by: Persona | None = None, **extra: Any
) -> Packet:
    """Bob (or `by`) prepares a packet of the legal name and date of birth; `extra`: documents, letter..."""
    persona = by or world.bob
    chosen = [selection.selection_key(person, "identity", name) for name in ("legal_name", "date_of_birth")]
    return packets.do_prepare_packet(
        actor=persona.refresh().user,
        keyring=ring(persona),
        case=case,
        partner=partner,
        purpose="Resettlement referral",
        selection=chosen,
        **extra,
    )


def consent(world: World, packet: Packet, by: Persona | None = None) -> None:
    """The requester's consent to the packet, recorded by a coordinator (Bob unless `by`)."""
    member = by or world.bob
    packets.do_record_consent(
        actor=member.refresh().user,
        keyring=ring(member),
        packet=packet,
        who="The requester",
        given_on=datetime.date.today(),
        way="in_person",
        purpose="Resettlement referral to Canada",
    )


def approve(world: World, packet: Packet, limit: int = 1, by: Persona | None = None) -> packets.Produced:
    persona = by or world.alice
    return packets.do_approve_packet(
        actor=persona.refresh().user,
        keyring=ring(persona),
        packet=Packet.objects.select_related("key", "partner__key", "case").get(pk=packet.pk),
        expires_in_days=7,
        download_limit=limit,
    )


def open_with_age_cli(produced: bytes, key: AgeKey, tmp_path: Path) -> dict[str, bytes]:
    """Decrypt with the real `age` command-line tool, as the partner does, and unpack the archive."""
    sealed = tmp_path / "packet.zip.age"
    sealed.write_bytes(produced)
    out = tmp_path / "packet.zip"
    subprocess.run(["age", "-d", "-i", str(key.identity_file), "-o", str(out), str(sealed)], check=True)
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def pdf_text(pdf: bytes, tmp_path: Path, name: str = "summary.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def embedded_fonts(pdf: bytes, tmp_path: Path, name: str = "fonts.pdf") -> list[tuple[str, str]]:
    """Each font of the PDF and its `pdffonts` "emb" column (yes / no)."""
    path = tmp_path / name
    path.write_bytes(pdf)
    lines = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout.splitlines()[2:]
    return [(line.split()[0], line.split()[-5]) for line in lines]


def packet_json(files: dict[str, bytes]) -> Any:
    return json.loads(files["packet.json"])
