"""Drive every case feature with canaries, in a production-settings process (see test_seizure_cases.py).

Run as `refuge manage shell -c "from tests.seizure.drive_cases import main; main()"` with
SEIZURE_PASSWORD and SEIZURE_TOTP naming the coordinator's secrets. Writes go through the
real actions (the same functions the workspace views call); prints the ids the test needs
as one JSON line.
"""

from __future__ import annotations

import datetime
import io
import json
import os

import pikepdf

from refuge.accounts.models import Organisation, User
from refuge.applications import actions as applications
from refuge.applications import travel
from refuge.applications.details import Decision
from refuge.cases.actions.compartment_files import do_add_compartment_file
from refuge.cases.actions.compartments import do_grant_compartment, do_save_compartment
from refuge.cases.actions.details import do_change_stage
from refuge.cases.actions.documents import do_add_document
from refuge.cases.actions.expenses import do_add_expense
from refuge.cases.actions.messages import do_message_requester
from refuge.cases.actions.notes import do_add_note
from refuge.cases.actions.people import do_add_person
from refuge.cases.actions.tasks import do_add_task
from refuge.cases.actions.team import do_remove_team_member
from refuge.cases.models import Compartment, Person, Priority, Stage
from refuge.crypto import new_age_identity
from refuge.disclosures.actions import PartnerDetails, do_add_partner
from refuge.disclosures.letter_templates import do_save_letter_template
from refuge.disclosures.letters import PARTS, TEMPLATES
from refuge.disclosures.models import Packet
from refuge.disclosures.packet_documents import document_key
from refuge.disclosures.packets import do_approve_packet, do_prepare_packet, do_record_consent
from refuge.disclosures.selection import selection_key
from refuge.intake.uploads import sanitise_upload
from refuge.relocation.models import Pathway
from refuge.shelter.actions import ShelterDetails, do_create_shelter, do_place_person
from tests.support.team_case import log_in_coordinator, open_case_with_team

CANARIES = {
    "narrative": "CANARY-case-narrative-beaten-at-checkpoint-61f0",
    "legal name": "CANARY Ахмед Дудаев",
    "passport": "CANARY-75-4412-009",
    "internal passport": "CANARY-8203-771100",
    "registered address": "CANARY-Grozny-Lenina-12-kv-4",
    "place of birth": "CANARY-born-in-Argun-4c2d",
    "nationality": "CANARY-citizen-of-Russia-b7e9",
    "orientation": "CANARY-orientation-gay-55d1",
    "medical": "CANARY-medical-broken-ribs-0a8c",
    "relative": "CANARY-uncle-Magomed-threatens",
    "threat details": "CANARY-perpetrator-Kadyrov-police-unit-9bb2",
    "note": "CANARY-note-he-changed-phones-3e71",
    "task": "CANARY-task-call-embassy-Vilnius-7f10",
    "expense note": "CANARY-expense-bus-ticket-Nalchik",
    "document name": "CANARY-asylum-letter-e1c4",
    "document content": "CANARY-document-page-text-5aa3",
    "compartment file name": "CANARY-passport-scan-name-2d7a",
    "compartment file content": "CANARY-passport-scan-page-9e41",
    "message": "CANARY-message-we-found-a-flat-88b0",
    "person details": "CANARY-partner-Islam-travels-along",
    "shelter city": "CANARY-Yerevan-Arabkir",
    "shelter rules": "CANARY-rules-never-open-door-after-22",
    "shelter address": "CANARY-Komitas-street-44-flat-9",
    "request name": "CANARY Тимур Ахмедов",
    "embassy": "CANARY-embassy-of-Lithuania-2f6a",
    "application city": "CANARY-Vilnius-visa-centre-city",
    "reference number": "CANARY-LT-VISA-2017-0042",
    "fees paid": "CANARY-fee-EUR-80-receipt-19",
    "appointment": "CANARY-fingerprints-Lermontova-street",
    "status note": "CANARY-interview-officer-asked-about-family",
    "refusal reason": "CANARY-refused-insufficient-ties-c3",
    "travel route": "CANARY-route-Nalchik-Minsk-Vilnius-bus",
    "transit country": "CANARY-transit-Belarus-border-Kamenny-Log",
    "exit risk": "CANARY-exit-risk-phone-search-at-Kamenny-Log",
    "arrival address": "CANARY-arrival-Gedimino-pr-9-flat-3",
    "receiving partner": "CANARY-partner-LGL-Vilnius-office",
    "request phone": "+7 999 111-22-33",
    "partner name": "CANARY-Embassy-desk-Vilnius-2d7a",
    "partner contact": "CANARY-consul-Jonas-+370-600-1234",
    "packet purpose": "CANARY-purpose-humanitarian-visa-LT-90c1",
    "consent who": "CANARY-consented-with-sister-present-41b2",
    "letter wording": "CANARY-letter-call-Maria-+7-900-555-5e2b",
}


def _pdf(text: str) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].Contents = pdf.make_stream(f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode())
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    return out.getvalue()


def main() -> None:
    organisation = Organisation.objects.get(slug="canary")
    coordinator, coord = log_in_coordinator(
        "canary", password=os.environ["SEIZURE_PASSWORD"], totp_secret=os.environ["SEIZURE_TOTP"]
    )
    team = open_case_with_team(
        organisation,
        coordinator,
        coord,
        tag="canary",
        language="ru",
        answers={
            "what_happened": CANARIES["narrative"],
            "name": CANARIES["request name"],
            "phone": CANARIES["request phone"],
        },
        priority=Priority.EMERGENCY,
    )
    case, worker, bob = team.case, team.worker, team.worker_keyring
    person = Person.objects.get(case=case)
    identity = Compartment.objects.get(person=person, kind="identity")
    do_save_compartment(
        actor=worker.user,
        keyring=bob,
        person=person,
        kind="identity",
        data={
            "legal_name": CANARIES["legal name"],
            "international_passport_number": CANARIES["passport"],
            "internal_passport_number": CANARIES["internal passport"],
            "international_passport_expiry": "2027-05-01",
            "registered_address": CANARIES["registered address"],
            "place_of_birth": CANARIES["place of birth"],
            "nationality": CANARIES["nationality"],
        },
        version=identity.version,
    )
    # A passport scan inside the identity compartment: under its key, not the case key.
    identity.refresh_from_db()
    identity.person = person
    scan = sanitise_upload(
        CANARIES["compartment file name"] + ".pdf", io.BytesIO(_pdf(CANARIES["compartment file content"]))
    )
    compartment_file = do_add_compartment_file(actor=worker.user, keyring=bob, compartment=identity, upload=scan)
    for kind, data in (
        ("sogiesc", {"sexual_orientation": CANARIES["orientation"]}),
        ("medical", {"medical_needs": CANARIES["medical"]}),
        (
            "contacts",
            {
                "contacts": [
                    {"name": CANARIES["relative"], "relation": "threat", "details": CANARIES["threat details"]},
                ]
            },
        ),
    ):
        do_save_compartment(actor=worker.user, keyring=bob, person=person, kind=kind, data=data, version=None)
    partner = do_add_person(
        actor=worker.user, keyring=bob, case=case, role="partner", details=CANARIES["person details"]
    )
    do_add_note(actor=worker.user, keyring=bob, case=case, body=CANARIES["note"])
    do_add_task(
        actor=worker.user,
        keyring=bob,
        case=case,
        title=CANARIES["task"],
        due_on=datetime.date.today(),
        owner=worker.user,
    )
    do_add_expense(
        actor=worker.user,
        keyring=bob,
        case=case,
        category="travel",
        amount_minor=4050,
        currency="GEL",
        spent_on=datetime.date.today(),
        note=CANARIES["expense note"],
    )
    upload = sanitise_upload(CANARIES["document name"] + ".pdf", io.BytesIO(_pdf(CANARIES["document content"])))
    document = do_add_document(actor=worker.user, keyring=bob, case=case, upload=upload)
    do_message_requester(actor=worker.user, keyring=bob, case=case, body=CANARIES["message"])
    application = applications.do_start_application(
        actor=worker.user, keyring=bob, case=case, person=person, pathway=Pathway.objects.get(country="Lithuania")
    )
    folder = applications.FolderEdit(
        embassy=CANARIES["embassy"],
        city=CANARIES["application city"],
        references=CANARIES["reference number"],
        fees_paid=CANARIES["fees paid"],
        checklist=[(True, "")],
    )
    applications.do_edit_application(actor=worker.user, keyring=bob, application=application, edit=folder, version=1)
    applications.do_add_appointment(
        actor=worker.user,
        keyring=bob,
        application=application,
        on=datetime.date.today() + datetime.timedelta(days=3),
        what=CANARIES["appointment"],
        owner=worker.user,
    )
    submitted = datetime.date.today() - datetime.timedelta(days=20)
    applications.do_change_status(
        actor=worker.user,
        keyring=bob,
        application=application,
        status="submitted",
        on=submitted,
        note=CANARIES["status note"],
    )
    applications.do_change_status(
        actor=worker.user,
        keyring=bob,
        application=application,
        status="refused",
        on=datetime.date.today(),
        decision=Decision(refusal_reason=CANARIES["refusal reason"]),
    )
    shelter = do_create_shelter(
        actor=coordinator,
        details=ShelterDetails(
            code_name="Linden",
            capacity=3,
            city=CANARIES["shelter city"],
            rules=CANARIES["shelter rules"],
            address=CANARIES["shelter address"],
        ),
    )
    do_place_person(
        actor=coordinator,
        keyring=coord,
        person=person,
        shelter=shelter,
        starts_on=datetime.date.today(),
        planned_until=None,
    )
    do_change_stage(actor=worker.user, keyring=bob, case=case, stage=Stage.SHELTERED, version=case.version)
    # The journey: legs, departure and arrival move the case to travel, then arrived.
    travel.do_add_travel_leg(
        actor=worker.user,
        keyring=bob,
        case=case,
        leg=travel.Leg(
            departs_on=datetime.date.today().isoformat(),
            origin=CANARIES["travel route"],
            destination="Vilnius",
            transit=[CANARIES["transit country"]],
            exit_risk=CANARIES["exit risk"],
        ),
    )
    travel.do_record_departure(
        actor=worker.user,
        keyring=bob,
        case=case,
        departure=travel.Departure(
            departed_on=datetime.date.today().isoformat(),
            passport_valid=True,
            visa_valid=True,
            exit_risk_reviewed=True,
            shelter_ended=True,
        ),
    )
    travel.do_record_arrival(
        actor=worker.user,
        keyring=bob,
        case=case,
        arrival=travel.Arrival(
            arrived_on=datetime.date.today().isoformat(),
            receiving_partner=CANARIES["receiving partner"],
        ),
        first_address=CANARIES["arrival address"],
        owner=worker.user,
    )
    # The first address is in the requester's arrival compartment, held by Bob who wrote it: he gives it
    # to the coordinator, who reads it through the server after Bob has left.
    arrival_compartment = Compartment.objects.select_related("key", "person").get(person=person, kind="arrival")
    do_grant_compartment(actor=worker.user, keyring=bob, compartment=arrival_compartment, member=coordinator)
    # A disclosure: a partner's details, a packet of two fields, a document and a letter, its consent, produced.
    _, recipient = new_age_identity()
    embassy = do_add_partner(
        actor=coordinator,
        details=PartnerDetails(
            "vilnius", CANARIES["partner name"], "embassy", "Lithuania", "age", recipient, CANARIES["partner contact"]
        ),
    )
    # The organisation's own wording of the Russian visa letter names a contact: encrypted like the partner.
    wording = {part: str(getattr(TEMPLATES["visa"]["ru"], part)) for part in PARTS}
    wording["closing"] += " " + CANARIES["letter wording"]
    do_save_letter_template(actor=coordinator, keyring=coord, kind="visa", language="ru", parts=wording, version=0)
    packet = do_prepare_packet(
        actor=worker.user,
        keyring=bob,
        case=case,
        partner=embassy,
        purpose=CANARIES["packet purpose"],
        selection=[
            selection_key(person, "identity", "legal_name"),
            selection_key(person, "identity", "place_of_birth"),
        ],
        documents=[document_key(document)],  # copied under the packet's key (PacketDocument)
        letter="visa",
        letter_language="ru",
    )
    do_record_consent(
        actor=worker.user,
        keyring=bob,
        packet=packet,
        who=CANARIES["consent who"],
        given_on=datetime.date.today(),
        way="in_person",
        purpose=CANARIES["packet purpose"],
    )
    do_approve_packet(
        actor=coordinator,
        keyring=coord,
        packet=Packet.objects.select_related("key", "partner__key", "case").get(pk=packet.pk),
        expires_in_days=7,
        download_limit=1,
    )
    # Bob leaves the team: every key he held is rotated, re-encrypting all of the above.
    do_remove_team_member(actor=coordinator, keyring=coord, case=case, member=worker.user)
    # The test logs the coordinator in again within the same 30 s step: let the code count once more.
    User.objects.filter(pk=coordinator.pk).update(totp_last_step=0)
    print(  # noqa: T201 - the test reads this line from the output
        json.dumps(
            {
                "case": str(case.pk),
                "person": str(person.pk),
                "partner": str(partner.pk),
                "shelter": str(shelter.pk),
                "compartment_file": str(compartment_file.pk),
                "application": str(application.pk),
                "embassy": str(embassy.pk),
                "packet": str(packet.pk),
            }
        )
    )
