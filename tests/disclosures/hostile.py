"""The hostile packets an import must refuse (with one clear message, writing nothing): shared by the
command's tests and the workspace upload's, so that both entry points face the same corpus."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import subprocess
import warnings
import zipfile
from pathlib import Path

from PIL import Image

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
    # A hostile sender (issue #14's red team): each of these was imported, or crashed the import, before.
    "surrogate-in-sender",
    "surrogate-in-value",
    "bidi-override-in-sender",
    "control-in-purpose",
    "bidi-override-in-value",
    "duplicate-member",
    "duplicate-field",
    "document-listed-twice",
    "document-size-wrong",
    "member-outside-archive",
    "member-symlink",
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


def _png() -> bytes:
    """A small image any upload accepts: a document the import would take if nothing else stopped it."""
    sink = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(sink, "PNG")
    return sink.getvalue()


_PNG = _png()


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


def _json(**changed: object) -> bytes:
    return zipped(**{"packet.json": json.dumps({**_VALID, **changed}).encode()})


def _person(*fields: tuple[str, str]) -> list[dict[str, object]]:
    return [{"label": "Person 1", "fields": [{"name": name, "value": value} for name, value in fields]}]


def _raw_zip(*members: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    """An archive as a hostile sender can write it: duplicate names and any member attributes."""
    sink = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(sink, "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name: that is the point
        for info, data in members:
            archive.writestr(info, data)
    return sink.getvalue()


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _documents(listed: list[dict[str, object]], **files: bytes) -> bytes:
    return zipped(**{"packet.json": json.dumps({**_VALID, "documents": listed}).encode(), **files})


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
    png = {
        "file": "documents/1-a.png",
        "name": "a.png",
        "size": len(_PNG),
        "sha256": hashlib.sha256(_PNG).hexdigest(),
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
        # A lone surrogate is valid JSON ("\\ud800") but no text: it crashed the import's encryption (a 500).
        "surrogate-in-sender": lambda: sealed(_json(**{"from": "Good NGO \ud800"})),
        "surrogate-in-value": lambda: sealed(_json(people=_person(("identity.legal_name", "Ivan \udc80")))),
        # Shown to staff in the provenance note and the compartments: an override disguises what they read.
        "bidi-override-in-sender": lambda: sealed(_json(**{"from": "Rainbow \u202eOGN liveE"})),
        "control-in-purpose": lambda: sealed(_json(purpose="Referral\x00\x1b[2J")),
        "bidi-override-in-value": lambda: sealed(_json(people=_person(("identity.legal_name", "Ivan \u2067Petrov")))),
        # Two packet.json: Refuge read the last one, `unzip` shows the first to whoever checks it by hand.
        "duplicate-member": lambda: sealed(
            _raw_zip(("packet.json", json.dumps(_VALID).encode()), ("packet.json", json.dumps(_VALID).encode()))
        ),
        "duplicate-field": lambda: sealed(
            _json(people=_person(("identity.legal_name", "Ivan"), ("identity.legal_name", "Someone else")))
        ),
        "document-listed-twice": lambda: sealed(_documents([png] * 10, **{png["file"]: _PNG})),
        "document-size-wrong": lambda: sealed(_documents([{**png, "size": 3}], **{png["file"]: _PNG})),
        "member-outside-archive": lambda: sealed(
            _raw_zip(("packet.json", json.dumps(_VALID).encode()), ("../../etc/cron.d/x", b"* * * * * root id"))
        ),
        "member-symlink": lambda: sealed(
            _raw_zip(("packet.json", json.dumps(_VALID).encode()), (_symlink("documents/1-a.png"), b"/etc/shadow"))
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
