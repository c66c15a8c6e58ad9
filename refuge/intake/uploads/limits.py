"""Limits on uploads, and the process-wide decoder limits set from them on import.

Importing refuge.intake.uploads imports this module first, so no upload is decoded
before Pillow and qpdf are bounded.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import warnings

import pikepdf
from PIL import Image

# Limits (DESIGN.md §8). A legitimate upload is a phone photo or a scanned document.
MAX_FILE_BYTES = 10 * 1024 * 1024  # per file; a 12-megapixel phone photo is 2–5 MiB
MAX_FILES_PER_UPLOAD = 5  # per form submission
MAX_IMAGE_PIXELS = 40_000_000  # an A4 page scanned at 600 dpi is 35 MP; rebuilding takes ≈ 8 bytes per pixel
MAX_WEBP_PIXELS = 16_000_000  # Pillow's WebP decoder takes ≈ 16 bytes per pixel
# What decoding one picture may hold, estimated from its header before a pixel is decoded:
# pixels × the larger of the decoded samples (channels × bits) and Pillow's pixel (1 byte for
# grey or palette, 4 for colour), plus a progressive JPEG's coefficients and WebP's buffers.
# A 24-megapixel phone photo needs 96 MiB; a 16-bit RGBA PNG at 40 megapixels, 320 MB.
# Rebuilding holds a second copy of the pixels (BENCHMARKS.md, "uploads", measures the peak).
MAX_IMAGE_DECODED_BYTES = 128 * 1024 * 1024
# Half of what decoding and rebuilding a WebP holds at its peak (measured with Pillow 13: about
# 47 bytes a pixel for a lossless one, its encoder included), so that its peak matches the others'.
WEBP_DECODE_BYTES_PER_PIXEL = 24
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


# Decoded pixels must go back to the system when a decode ends. glibc raises its mmap
# threshold after the first large free, and from then on keeps freed pixel buffers in the
# malloc arena of the thread that used them: with 8 server threads taking turns at the one
# decode slot, a worker measured 2.2 GB instead of one decode's 350 MB (BENCHMARKS.md,
# "uploads"). A fixed threshold (which also turns the adjustment off) maps every buffer of
# 1 MiB or more on its own and unmaps it on free.
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1024 * 1024


def _return_large_buffers_to_the_system() -> bool:
    """Set glibc's mmap threshold; False where the C library is not glibc (nothing to do there)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    except (OSError, AttributeError):
        return False


LARGE_BUFFERS_UNMAPPED = _return_large_buffers_to_the_system()
