"""Limits on uploads, and the process-wide decoder limits set from them on import.

Importing refuge.intake.uploads imports this module first, so no upload is decoded
before Pillow and qpdf are bounded.
"""

from __future__ import annotations

import warnings

import pikepdf
from PIL import Image

# Limits (DESIGN.md §8). A legitimate upload is a phone photo or a scanned document.
MAX_FILE_BYTES = 10 * 1024 * 1024  # per file; a 12-megapixel phone photo is 2–5 MiB
MAX_FILES_PER_UPLOAD = 5  # per form submission
MAX_IMAGE_PIXELS = 40_000_000  # an A4 page scanned at 600 dpi is 35 MP; rebuilding takes ≈ 8 bytes per pixel
MAX_WEBP_PIXELS = 16_000_000  # Pillow's WebP decoder takes ≈ 15 bytes per pixel
MAX_JPEG_SCANS = 100  # progressive JPEGs use ~10 scans; thousands are a CPU bomb
MAX_IMAGE_PARTS = 20_000  # JPEG segments, PNG or WebP chunks: a photo has tens, a big PNG ~1,000
MAX_PDF_PAGES = 200
MAX_PDF_OBJECTS = 50_000  # a 200-page scan has a few thousand; more is a bomb, not a document
MAX_PDF_ENTRIES = 500_000  # dictionary and array entries inspected, all objects together
MAX_PDF_STREAM_MEMORY = 64 * 1024 * 1024  # qpdf's ceiling for decoding one stream (e.g. an object stream)
MAX_NAME_CHARS = 100  # of the display name, extension included
MAX_METADATA_TEXT_BYTES = 1024 * 1024  # of compressed metadata (PNG text, PDF XMP) read to classify it

# Pillow refuses larger images itself (DecompressionBombError above twice this), and a
# DecompressionBombWarning is an error in this process: a bomb never gets to allocate.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
# A PDF whose streams inflate to gigabytes (a zip bomb inside a PDF) fails instead of
# exhausting memory; a damaged file that floods qpdf with warnings is given up on.
pikepdf.settings.set_qpdf_limits(
    flate_max_memory=MAX_PDF_STREAM_MEMORY,
    png_max_memory=MAX_PDF_STREAM_MEMORY,
    run_length_max_memory=MAX_PDF_STREAM_MEMORY,
    tiff_max_memory=MAX_PDF_STREAM_MEMORY,
    dct_max_memory=MAX_PDF_STREAM_MEMORY,
    doc_max_warnings=1000,
)
