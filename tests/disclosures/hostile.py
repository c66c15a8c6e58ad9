"""The hostile packets an import must refuse (with one clear message, writing nothing): shared by the
command's tests and the workspace upload's, so that both entry points face the same corpus."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

from refuge.cases.models import Case, CaseDocument, Compartment
from refuge.disclosures import packets
from refuge.disclosures.models import ImportedReferral
from tests.disclosures.support import AgeKey, add_partner, age_key, approve, case_with_identity, consent, prepare
from tests.personas import World

HOSTILE = (
    "foreign",
    "truncated",
    "garbage",
    "empty",
    "not-a-zip",
    "no-packet-json",
    "bad-schema",
    "unknown-field",
    "bad-json",
    "document-missing",
    "document-altered",
    "document-not-allowed",
    "document-outside-folder",
    "bad-acknowledgement",
)
_VALID = {
    "schema": "refuge-disclosure/1",
    "packet": "9f0c2b1e-8d1a-4c7e-9a51-0b1c2d3e4f50",
    "from": "x",
    "purpose": "y",
    "prepared_on": "2026-12-01",
    "people": [{"label": "Person 1", "fields": []}],
}
_EXE = b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode"


def sent(world: World, receiving: AgeKey) -> bytes:
    """North's packet for the receiving organisation (south), as its partner downloads it."""
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, receiving.recipient, code_name="south-refuge"))
    consent(world, packet)
    return packets.do_take_download(token=approve(world, packet).token) or b""


def age_encrypt(data: bytes, key: AgeKey, tmp_path: Path) -> bytes:
    plain = tmp_path / "plain"
    plain.write_bytes(data)
    return subprocess.run(["age", "-r", key.recipient, str(plain)], check=True, capture_output=True).stdout


def zipped(**files: bytes) -> bytes:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return sink.getvalue()


def _with_document(listed: dict[str, object], name: str, data: bytes) -> bytes:
    packet = {**_VALID, "documents": [listed]}
    return zipped(**{"packet.json": json.dumps(packet).encode(), name: data})


def hostile_packet(world: World, tmp_path: Path, receiving: AgeKey, hostile: str) -> bytes:
    """One file of the corpus, addressed (where it can be) to `receiving`."""
    unknown = [{"fields": [{"name": "identity.shoe_size", "value": "44"}]}]

    def sealed(data: bytes) -> bytes:
        return age_encrypt(data, receiving, tmp_path)

    def foreign() -> bytes:
        (tmp_path / "other").mkdir()
        return sent(world, age_key(tmp_path / "other"))

    file = "documents/1-x.pdf"
    exe: dict[str, object] = {
        "file": file,
        "name": "x.pdf",
        "size": len(_EXE),
        "sha256": hashlib.sha256(_EXE).hexdigest(),
    }
    make = {
        "foreign": foreign,
        "truncated": lambda: sent(world, receiving)[:-40],
        "garbage": lambda: b"age-encryption.org/v1\n-> X25519 nonsense\n",
        "empty": lambda: b"",
        "not-a-zip": lambda: sealed(b"not a zip at all"),
        "no-packet-json": lambda: sealed(zipped(**{"summary.pdf": b"%PDF-1.4"})),
        "bad-schema": lambda: sealed(zipped(**{"packet.json": json.dumps({**_VALID, "schema": "other/9"}).encode()})),
        "unknown-field": lambda: sealed(zipped(**{"packet.json": json.dumps({**_VALID, "people": unknown}).encode()})),
        "bad-json": lambda: sealed(zipped(**{"packet.json": b'{"schema": '})),
        "document-missing": lambda: sealed(_with_document(exe, "documents/2-other.pdf", _EXE)),
        "document-altered": lambda: sealed(_with_document({**exe, "sha256": "0" * 64}, file, _EXE)),
        "document-not-allowed": lambda: sealed(_with_document(exe, file, _EXE)),
        "document-outside-folder": lambda: sealed(_with_document({**exe, "file": "../x.pdf"}, "../x.pdf", _EXE)),
        "bad-acknowledgement": lambda: sealed(
            zipped(**{"packet.json": json.dumps({**_VALID, "acknowledgement": ["ABCD"] * 5}).encode()})
        ),
    }
    return make[hostile]()


def rows() -> tuple[int, int, int, int]:
    """What an import writes: cases, imported packets, compartments, documents."""
    return (
        Case.objects.count(),
        ImportedReferral.objects.count(),
        Compartment.objects.count(),
        CaseDocument.objects.count(),
    )
