"""The packet as the partner opens it: a ZIP archive holding `packet.json` and `summary.pdf`.

ZIP because every desktop opens it without installing anything; `packet.json` follows the schema
in docs/disclosures.md, and `summary.pdf` says the same for a person to read. Nothing about the
sending installation goes in but the organisation's name: no ids of its members, cases or keys.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

SCHEMA = "refuge-disclosure/1"
FONTS = Path(__file__).resolve().parent / "fonts"
# A fixed date inside the archive: the time a packet was made is in packet.json, once.
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def summary_pdf(content: dict[str, Any]) -> bytes:
    """A human-readable summary of the packet (fonts embedded, Cyrillic included)."""
    # Imported here, not at the top: fpdf2 and the fontTools it loads add ~54 MiB and ~1 s to
    # every worker that imports them, and only the few workers that write a packet need them
    # (tests/core/test_startup.py keeps them out of a worker's start).
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title("Disclosure")
    pdf.set_creator("Refuge")
    pdf.set_producer("Refuge")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
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
    return bytes(pdf.output())


def packet_json(content: dict[str, Any]) -> dict[str, Any]:
    """The machine-readable packet (docs/disclosures.md, "packet.json")."""
    return {
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
    }


def packet_archive(content: dict[str, Any]) -> bytes:
    """The ZIP archive a partner gets once age has opened the packet."""
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in (
            ("packet.json", json.dumps(packet_json(content), ensure_ascii=False, indent=2).encode("utf-8")),
            ("summary.pdf", summary_pdf(content)),
        ):
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_DATE), data, compress_type=zipfile.ZIP_DEFLATED)
    return sink.getvalue()
