"""The PDFs a packet holds are made with fpdf2 and the shipped DejaVu fonts (embedded: Cyrillic and Latin)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"


def new_pdf(title: str) -> FPDF:
    """An A4 document with DejaVu Sans (regular and bold) and one page begun; no date or author in it."""
    # Imported here, not at the top: fpdf2 and the fontTools it loads add ~54 MiB and ~1 s to
    # every worker that imports them, and only the few requests that write a packet or a letter
    # need them (tests/core/test_startup.py keeps them out of a worker's start).
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Refuge")
    pdf.set_producer("Refuge")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    return pdf
