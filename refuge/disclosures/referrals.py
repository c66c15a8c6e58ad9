"""Importing a packet from another Refuge installation as a new case here (`refuge import-referral FILE`).

The hand-over from the evacuating organisation to the receiving one: the sender's packet
(docs/disclosures.md) was encrypted to this organisation's age key, made with `age-keygen` and
kept by its operator. The import opens it, checks every byte of it before anything is written
(a damaged, truncated, foreign, replayed or malformed packet is one clear UserError and no row),
then, in one transaction, opens a case under this organisation's own keys for the coordinator
named: the transferred fields in the people's compartments, and a note of provenance (who sent
it, when, why, the packet's id) as the case's summary, and the packet's documents, each checked
against its SHA-256 and rebuilt without metadata as an upload is. Nothing else about the sender
travels. The same path serves the command and the workspace's upload form.
"""

from __future__ import annotations

import datetime
import io
import json
import secrets
import stat
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import Role, User
from refuge.audit.actions import record
from refuge.cases.actions.compartments import create_compartment
from refuge.cases.actions.people import new_person
from refuge.cases.compartments import FIELDS, clean_content
from refuge.cases.models import PRIORITY_DUE_DAYS, Case, CaseDocument, PersonRole, Priority, Stage, TeamMember
from refuge.core.errors import UserError
from refuge.crypto import CryptoError, decrypt_with_age_identity, sha256_hex
from refuge.disclosures.acknowledgements import MAX_CODE_CHARS, normalised_acknowledgement
from refuge.disclosures.archive import DOCUMENTS_FOLDER, SCHEMA
from refuge.disclosures.audit_events import DisclosureEvent
from refuge.disclosures.hidden_text import holds_hidden_text
from refuge.disclosures.models import ImportedReferral
from refuge.intake.uploads import MAX_FILE_BYTES, CleanUpload, sanitise_upload
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.files import encrypt_file_into
from refuge.keyring.models import Purpose
from refuge.keyring.records import encrypt_column

MAX_REFERRAL_BYTES = 60 * 1024 * 1024  # the encrypted file
MAX_PACKET_JSON_BYTES = 1024 * 1024  # packet.json inside it, checked before it is read
MAX_REFERRAL_PEOPLE = 30
MAX_REFERRAL_FIELDS = 200
MAX_PROVENANCE_CHARS = 1_000
MAX_REFERRAL_DOCUMENTS = 10
MAX_KEY_FILE_BYTES = 10_000
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_KNOWN = {(kind, field.name) for kind, fields in FIELDS.items() for field in fields}


@dataclass(frozen=True)
class Referral:
    packet_id: uuid.UUID
    sender: str
    purpose: str
    prepared_on: str
    people: list[dict[str, dict[str, str]]]  # per person: compartment kind -> {field: value}
    documents: list[CleanUpload]  # checked against packet.json and rebuilt without metadata
    # The code the sender asks back to confirm receipt (acknowledgements.py); "" in an older packet.
    acknowledgement: str = ""


def _refused(message: Any) -> UserError:
    return UserError("bad_referral", message)


def identity_in_key_file(text: bytes) -> str:
    """The AGE-SECRET-KEY line of an age-keygen file (its comment lines skipped); UserError if there is none."""
    if len(text) <= MAX_KEY_FILE_BYTES:
        for line in text.decode("utf-8", "replace").splitlines():
            if line.strip().startswith("AGE-SECRET-KEY-1"):
                return line.strip()
    raise UserError(
        "bad_key_file",
        _("This is not an age key file: it holds no AGE-SECRET-KEY line (make one with age-keygen)."),
        field="key_file",
    )


def read_referral(sealed: bytes, identity: str) -> Referral:
    """The packet's content, checked whole; UserError (nothing written) for anything else."""
    if len(sealed) > MAX_REFERRAL_BYTES:
        raise _refused(_("This file is larger than any packet can be."))
    try:
        archive_bytes = decrypt_with_age_identity(sealed, identity)
    except CryptoError:
        raise _refused(
            _(
                "This file does not open with this organisation's key: it is addressed to someone else, damaged or cut short."
            )
        ) from None
    try:
        with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
            _check_members(archive)
            info = archive.getinfo("packet.json")
            if info.file_size > MAX_PACKET_JSON_BYTES:
                raise _refused(_("The packet's data is larger than any packet's can be."))
            data = json.loads(archive.read(info).decode("utf-8"))
            referral = _checked(data)
            documents = _documents(archive, data.get("documents"))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, ValueError, EOFError, RuntimeError):
        raise _refused(_("This packet is not in the format Refuge writes: it holds no readable packet.json.")) from None
    return Referral(
        referral.packet_id,
        referral.sender,
        referral.purpose,
        referral.prepared_on,
        referral.people,
        documents,
        referral.acknowledgement,
    )


def _check_members(archive: zipfile.ZipFile) -> None:
    """Refuse names Refuge never writes: nothing here is extracted, but an operator who unpacks the
    archive by hand must see what was imported (one packet.json, not two) and nothing outside its folder."""
    names = archive.namelist()
    for info in archive.infolist():
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if (
            names.count(name) > 1
            or name.startswith("/")
            or ".." in parts
            or ":" in parts[0]
            or stat.S_ISLNK(info.external_attr >> 16)
        ):
            raise _refused(
                _(
                    "The packet's archive holds a file name Refuge never writes (twice the same name, a path "
                    "outside the archive or a link)."
                )
            )


def _documents(archive: zipfile.ZipFile, listed: Any) -> list[CleanUpload]:
    """The documents packet.json lists, each as big and as hashed as it says, rebuilt as an upload is."""
    if listed is None:
        return []
    if not isinstance(listed, list) or len(listed) > MAX_REFERRAL_DOCUMENTS:
        raise _refused(_("The packet's data is not in the format Refuge writes."))
    documents = []
    seen: set[str] = set()
    for item in listed:
        if not isinstance(item, dict):
            raise _refused(_("The packet's data is not in the format Refuge writes."))
        file = _text(item.get("file"), 200)
        if not file.startswith(DOCUMENTS_FOLDER):
            raise _refused(_("The packet's data is not in the format Refuge writes."))
        if file in seen:
            raise _refused(_("The packet lists the same field or document twice: Refuge never writes that."))
        seen.add(file)
        try:
            info = archive.getinfo(file)
        except KeyError:
            raise _refused(_("A document the packet lists is missing from it.")) from None
        if info.file_size > MAX_FILE_BYTES:
            raise _refused(_("A document in the packet is larger than any document can be."))
        data = archive.read(info)
        size = item.get("size")
        if type(size) is not int or size != len(data) or sha256_hex(data) != item.get("sha256"):
            raise _refused(_("A document in the packet is not the one its list describes: the packet was altered."))
        try:
            documents.append(sanitise_upload(_text(item.get("name"), 200), io.BytesIO(data), len(data)))
        except UserError as error:
            raise _refused(error.message) from None
    return documents


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise _refused(_("The packet's data is not in the format Refuge writes."))
    try:
        value.encode("utf-8")  # a lone surrogate ("\\ud800" in JSON) is valid JSON but no text
    except UnicodeEncodeError:
        raise _refused(_("The packet's data is not in the format Refuge writes.")) from None
    # Shown to staff (the provenance note, the compartments).
    if holds_hidden_text(value):
        raise _refused(
            _(
                "The packet holds control or text-direction characters that would make it read differently "
                "from what it holds."
            )
        )
    return value.strip()


def _checked(data: Any) -> Referral:
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise _refused(_("This packet is not in the format Refuge writes (schema refuge-disclosure/1)."))
    try:
        packet_id = uuid.UUID(_text(data.get("packet"), 36))
        prepared_on = datetime.date.fromisoformat(_text(data.get("prepared_on"), 10)).isoformat()
    except ValueError:
        raise _refused(_("The packet's data is not in the format Refuge writes.")) from None
    people = data.get("people")
    if not isinstance(people, list) or not 1 <= len(people) <= MAX_REFERRAL_PEOPLE:
        raise _refused(_("The packet's data is not in the format Refuge writes."))
    shaped: list[dict[str, dict[str, str]]] = []
    count = 0
    for person in people:
        fields = person.get("fields") if isinstance(person, dict) else None
        if not isinstance(fields, list):
            raise _refused(_("The packet's data is not in the format Refuge writes."))
        by_kind: dict[str, dict[str, str]] = {}
        for item in fields:
            count += 1
            name = _text(item.get("name") if isinstance(item, dict) else None, 100)
            kind, _dot, field = name.partition(".")
            if (kind, field) not in _KNOWN or count > MAX_REFERRAL_FIELDS:
                raise _refused(_("The packet holds a field this installation does not know."))
            if field in by_kind.get(kind, {}):  # which of two values did the person consent to?
                raise _refused(_("The packet lists the same field or document twice: Refuge never writes that."))
            by_kind.setdefault(kind, {})[field] = _text(item.get("value"), 5_000)
        for kind, content in by_kind.items():
            clean_content(kind, content)  # the limits and formats of this installation's compartments
        shaped.append(by_kind)
    acknowledgement = ""
    if data.get("acknowledgement") is not None:
        acknowledgement = normalised_acknowledgement(_text(data.get("acknowledgement"), MAX_CODE_CHARS)) or ""
        if not acknowledgement:
            raise _refused(_("The packet's data is not in the format Refuge writes."))
    return Referral(
        packet_id,
        _text(data.get("from"), 200),
        _text(data.get("purpose"), MAX_PROVENANCE_CHARS),
        prepared_on,
        shaped,
        [],
        acknowledgement,
    )


def do_import_referral(*, coordinator: User, referral: Referral) -> Case:
    """Open a case from a checked referral, under this organisation's keys, led by `coordinator`."""
    if coordinator.role != Role.COORDINATOR or not coordinator.is_active or len(bytes(coordinator.public_key)) != 32:
        raise UserError("not_coordinator", _("Name an active coordinator of the receiving organisation."))
    if ImportedReferral.objects.filter(
        organisation_id=coordinator.organisation_id, packet_id=referral.packet_id
    ).exists():
        raise UserError("already_imported", _("This packet has already been imported here."))
    now = timezone.localdate()
    provenance = _("Referred by %(sender)s on %(date)s for: %(purpose)s (packet %(packet)s).") % {
        "sender": referral.sender,
        "date": referral.prepared_on,
        "purpose": referral.purpose,
        "packet": referral.packet_id,
    }
    if referral.acknowledgement:
        provenance += " " + _("Confirmation code to give the sender: %(code)s.") % {"code": referral.acknowledgement}
    try:
        with transaction.atomic():
            key, secret = do_create_key(
                actor=coordinator,
                organisation=coordinator.organisation,
                purpose=Purpose.RECORD,
                label="case",
                members=[coordinator],
            )
            case = Case(
                organisation=coordinator.organisation,
                reference="C-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6)),
                key=key,
                priority=Priority.URGENT,
                stage=Stage.ACCEPTED,
                opened_on=now,
                due_on=now + datetime.timedelta(days=PRIORITY_DUE_DAYS[Priority.URGENT]),
                stage_changed_on=now,
                last_activity_on=now,
            )
            encrypt_column(case, "summary", json.dumps(str(provenance), ensure_ascii=False), secret, key)
            case.save(force_insert=True)
            TeamMember.objects.create(case=case, user=coordinator, lead=True, added_on=now)
            for number, compartments in enumerate(referral.people):
                person = new_person(case, secret, PersonRole.REQUESTER if number == 0 else PersonRole.OTHER, {})
                for kind, content in compartments.items():
                    create_compartment(coordinator, person, kind, clean_content(kind, content), [coordinator], secret)
            for upload in referral.documents:
                document = CaseDocument(
                    case=case, key=key, kind=upload.kind, size=len(upload.data), created_at=timezone.now()
                )
                encrypt_file_into(document, upload.data, upload.name, upload.removed, secret, key)
                document.save(force_insert=True)
            ImportedReferral.objects.create(
                organisation=coordinator.organisation, packet_id=referral.packet_id, case=case, imported_on=now
            )
            record(
                DisclosureEvent.REFERRAL_IMPORTED,
                actor_id=coordinator.pk,
                organisation_id=coordinator.organisation_id,
                object_type="case",
                object_id=case.pk,
            )
    except IntegrityError:
        raise UserError("already_imported", _("This packet has already been imported here.")) from None
    return case


@dataclass(frozen=True)
class Imported:
    case: Case
    acknowledgement: str  # to show the coordinator, who gives it to the sender ("" for an older packet)


def do_import_referral_file(*, coordinator: User, sealed: bytes, key_file: bytes) -> Imported:
    """The workspace's upload: the packet and the organisation's age key file, as the command takes them."""
    referral = read_referral(sealed, identity_in_key_file(key_file))
    return Imported(do_import_referral(coordinator=coordinator, referral=referral), referral.acknowledgement)
