"""Case documents in a packet: offered to the team by name, copied byte for byte under the packet's key.

Nothing is chosen by default. A chosen document is decrypted with the case key when the packet
is prepared and encrypted again under the packet's key (a `PacketDocument`), so that the
approving coordinator, who may not hold the case key, produces the packet with the packet key
alone; revoking the packet deletes the copies. In the archive a document is
`documents/<n>-<name>`, listed in packet.json with its size and SHA-256 (docs/disclosures.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from refuge.cases.models import Case, CaseDocument
from refuge.cases.queries import read_document_content, read_document_names
from refuge.core.errors import UserError
from refuge.crypto import sha256_hex
from refuge.disclosures.archive import DOCUMENTS_FOLDER
from refuge.disclosures.models import Packet, PacketDocument
from refuge.keyring.files import decrypt_file_content, encrypt_file_into
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import Key
from refuge.keyring.records import decrypt_column

MAX_PACKET_DOCUMENTS = 10
MAX_PACKET_DOCUMENTS_BYTES = 40 * 1024 * 1024  # all of them; the whole packet stays under an import's 60 MiB
_UNSAFE = re.compile(r"[^\w.\-]+")


def document_key(document: CaseDocument) -> str:
    """How one case document is named in a packet's checklist."""
    return f"document:{document.pk}"


def document_choices(case: Case, keyring: Keyring) -> list[tuple[str, str]]:
    """The case's documents a team member may put in a packet: (checklist key, file name), newest first."""
    secret = keyring.secret_for(case.key)
    return [(document_key(shown.row), shown.text) for shown in read_document_names(case, secret)]


def archive_name(position: int, name: str) -> str:
    """A document's file name inside the archive: numbered, no path, no character an unzip tool misreads."""
    stem = _UNSAFE.sub("_", name).strip("._")[:80] or "document"
    return f"{DOCUMENTS_FOLDER}{position}-{stem}"


def chosen_documents(case: Case, keyring: Keyring, chosen: Sequence[str]) -> list[tuple[str, bytes]]:
    """The chosen documents of the case, decrypted (name, bytes) in the checklist's order; UserError for a bad choice."""
    if len(chosen) > MAX_PACKET_DOCUMENTS:
        raise UserError("too_many_documents", _("Choose at most 10 documents."), field="documents")
    offered = dict(document_choices(case, keyring))
    if any(key not in offered for key in chosen):
        raise UserError("bad_document", _("One of the chosen documents is not on this case."), field="documents")
    wanted = set(chosen)
    rows = [d for d in CaseDocument.objects.filter(case=case).select_related("key") if document_key(d) in wanted]
    if sum(d.size for d in rows) > MAX_PACKET_DOCUMENTS_BYTES:
        raise UserError(
            "documents_too_big", _("The chosen documents are larger than 40 MiB together."), field="documents"
        )
    order = list(offered)
    rows.sort(key=lambda d: order.index(document_key(d)))
    return [(offered[document_key(d)], read_document_content(d, keyring.secret_for(d.key))) for d in rows]


def copy_into_packet(
    packet: Packet, documents: list[tuple[str, bytes]], secret: bytes, key: Key
) -> list[dict[str, Any]]:
    """Store each chosen document under the packet's key; what packet.json says of each."""
    listed = []
    for position, (name, data) in enumerate(documents, start=1):
        row = PacketDocument(packet=packet, key=key, position=position, size=len(data))
        encrypt_file_into(row, data, name, (), secret, key)
        row.save(force_insert=True)
        file = archive_name(position, name)
        listed.append({"file": file, "name": name, "size": len(data), "sha256": sha256_hex(data)})
    return listed


def packet_files(packet: Packet, keyring: Keyring, content: dict[str, Any]) -> dict[str, bytes]:
    """The packet's documents by their archive name, decrypted with the packet key (to produce the packet)."""
    secret = keyring.secret_for(packet.key)
    files: dict[str, bytes] = {}
    for row in PacketDocument.objects.filter(packet=packet).select_related("key"):
        name = decrypt_column(row, "name", secret, row.key).decode("utf-8")
        files[archive_name(row.position, name)] = decrypt_file_content(row, secret, row.key)
    listed = {d["file"] for d in content.get("documents", [])}
    if listed != set(files):
        raise UserError("documents_changed", _("This packet's documents do not match its list: prepare it again."))
    return files
