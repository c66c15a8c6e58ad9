"""The packet as the partner opens it: a ZIP archive holding `packet.json`, `summary.pdf`, the letter and documents.

ZIP because every desktop opens it without installing anything; `packet.json` follows the schema
in docs/disclosures.md, and `summary.pdf` says the same for a person to read; `letter.pdf` is the
support letter if one was chosen, and `documents/` the chosen case documents, byte for byte.
Nothing about the sending installation goes in but the organisation's name: no ids of its
members, cases or keys.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

from refuge.disclosures.letters import letter_of, letter_pdf
from refuge.disclosures.pdf import new_pdf

SCHEMA = "refuge-disclosure/1"
DOCUMENTS_FOLDER = "documents/"
# A fixed date inside the archive: the time a packet was made is in packet.json, once.
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def summary_pdf(content: dict[str, Any], acknowledgement: str | None = None) -> bytes:
    """A human-readable summary of the packet (fonts embedded, Cyrillic included)."""
    pdf = new_pdf("Disclosure")
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 9, f"Disclosure from {content['from']}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    header = (("Purpose", content["purpose"]), ("Prepared on", content["prepared_on"]), ("Packet", content["packet"]))
    for label, value in header:
        pdf.multi_cell(0, 6, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    for person in content["people"]:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(0, 8, person["label"], new_x="LMARGIN", new_y="NEXT")
        for item in person["fields"]:
            pdf.set_font("DejaVu", "B", 10)
            pdf.multi_cell(0, 6, item["label"], new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(0, 6, item["value"], new_x="LMARGIN", new_y="NEXT")
    if content.get("documents"):
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(0, 8, "Documents", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)
        for document in content["documents"]:
            pdf.multi_cell(0, 6, f"{document['file']} ({document['size']} bytes)", new_x="LMARGIN", new_y="NEXT")
    if content.get("letter"):
        pdf.ln(4)
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 6, "A support letter is attached: letter.pdf", new_x="LMARGIN", new_y="NEXT")
    if acknowledgement:
        pdf.ln(4)
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(
            0,
            6,
            f"To confirm that you received this packet, give the sending organisation this code: {acknowledgement}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())


def packet_json(content: dict[str, Any], acknowledgement: str | None = None) -> dict[str, Any]:
    """The machine-readable packet (docs/disclosures.md, "packet.json")."""
    data = {
        "schema": SCHEMA,
        "packet": content["packet"],
        "from": content["from"],
        "purpose": content["purpose"],
        "prepared_on": content["prepared_on"],
        "people": [
            {
                "label": person["label"],
                "fields": [{"name": f["name"], "label": f["label"], "value": f["value"]} for f in person["fields"]],
            }
            for person in content["people"]
        ],
        "documents": [
            {"file": d["file"], "name": d["name"], "size": d["size"], "sha256": d["sha256"]}
            for d in content.get("documents", [])
        ],
        # Which letter, not its wording: letter.pdf is the letter.
        "letter": {"kind": content["letter"]["kind"], "language": content["letter"]["language"]}
        if content.get("letter")
        else None,
    }
    if acknowledgement:
        data["acknowledgement"] = acknowledgement  # the code its recipient gives back (acknowledgements.py)
    return data


def packet_archive(
    content: dict[str, Any], documents: Mapping[str, bytes], acknowledgement: str | None = None
) -> bytes:
    """The ZIP archive a partner gets once age has opened the packet; `documents` by their file name."""
    described = packet_json(content, acknowledgement)
    files = [
        ("packet.json", json.dumps(described, ensure_ascii=False, indent=2).encode("utf-8")),
        ("summary.pdf", summary_pdf(content, acknowledgement)),
    ]
    letter = letter_of(content)
    if letter is not None:
        files.append(("letter.pdf", letter_pdf(letter)))
    files += [(d["file"], documents[d["file"]]) for d in content.get("documents", [])]
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_DATE), data, compress_type=zipfile.ZIP_DEFLATED)
    return sink.getvalue()
