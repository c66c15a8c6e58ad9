"""Uploads from requesters: type checked by content, metadata stripped, limits enforced.

A requester's file is hostile until proven otherwise: it may come from a plant, and it
may carry what betrays the requester (the GPS position in a photo, a phone's serial
number, the author of a PDF). Every accepted file is rebuilt, never passed through:

- images (JPEG, PNG, WebP) are decoded and their pixels alone re-encoded into a new
  file, so no EXIF, XMP, ICC profile, comment, thumbnail or appended data survives;
- PDFs are rewritten by qpdf without the Info dictionary, XMP metadata, scripts,
  actions that open links or programs, embedded files and thumbnails. The content of
  the pages (text, drawings, images placed on them) is NOT altered: a photo placed
  inside a PDF keeps whatever metadata it carries inside the page.

Work is bounded before it starts: at most MAX_FILE_BYTES + 1 bytes are read, image
dimensions and the bytes decoding will hold are checked from the header before any
pixel is decoded, qpdf runs under memory and object limits, and each process decodes
at most REFUGE_UPLOAD_DECODES files at once (slots.py).
"""

from PIL import Image

from refuge.core.errors import UserError
from refuge.intake.uploads.limits import (
    MAX_FILE_BYTES,
    MAX_FILES_PER_UPLOAD,
    MAX_IMAGE_DECODED_BYTES,
    MAX_IMAGE_PARTS,
    MAX_IMAGE_PIXELS,
    MAX_JPEG_SCANS,
    MAX_METADATA_TEXT_BYTES,
    MAX_NAME_CHARS,
    MAX_PDF_ENTRIES,
    MAX_PDF_OBJECTS,
    MAX_PDF_PAGES,
    MAX_PDF_STREAM_MEMORY,
    MAX_WEBP_PIXELS,
)
from refuge.intake.uploads.names import safe_name
from refuge.intake.uploads.sanitise import REMOVED_LABELS, CleanUpload, sanitise_upload, sanitise_uploads

# The public API. UserError (what every refusal raises) and Pillow's Image (whose
# process-wide limits limits.py sets) stay reachable as uploads.UserError and
# uploads.Image, as they were when this package was one module.
__all__ = [
    "MAX_FILES_PER_UPLOAD",
    "MAX_FILE_BYTES",
    "MAX_IMAGE_DECODED_BYTES",
    "MAX_IMAGE_PARTS",
    "MAX_IMAGE_PIXELS",
    "MAX_JPEG_SCANS",
    "MAX_METADATA_TEXT_BYTES",
    "MAX_NAME_CHARS",
    "MAX_PDF_ENTRIES",
    "MAX_PDF_OBJECTS",
    "MAX_PDF_PAGES",
    "MAX_PDF_STREAM_MEMORY",
    "MAX_WEBP_PIXELS",
    "REMOVED_LABELS",
    "CleanUpload",
    "Image",
    "UserError",
    "safe_name",
    "sanitise_upload",
    "sanitise_uploads",
]
