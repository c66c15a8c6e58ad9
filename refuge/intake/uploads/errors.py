"""What a refused upload raises: one UserError per problem, and the failures expected."""

from __future__ import annotations

import struct

from django.utils.translation import gettext_lazy as _

from refuge.core.errors import UserError
from refuge.intake.uploads.limits import MAX_FILE_BYTES, MAX_PDF_PAGES
from refuge.intake.uploads.names import safe_name


def _refusal(code: str, name: str, limit: int = 0) -> UserError:
    """The UserError for `code`, naming the file so that a requester sending five knows which."""
    messages = {
        "file_empty": _("“%(name)s” is empty. Please choose the file again."),
        "file_too_big": _(
            "“%(name)s” is too large: each file can be at most %(limit)d MB. "
            "Please send a smaller photo, or split the document into parts."
        ),
        "file_type_not_allowed": _(
            "We cannot accept “%(name)s”. Please send photos as JPEG, PNG or WebP, and documents as PDF."
        ),
        "file_type_heic": _(
            "“%(name)s” is a HEIC photo, which we cannot accept. Please send it as JPEG: "
            "for example, take a screenshot of it and send the screenshot."
        ),
        "file_damaged": _(
            "“%(name)s” seems to be damaged, so we could not open it. "
            "Please send it again, or take a new photo of the document."
        ),
        "image_too_large": _(
            "The picture “%(name)s” is too large (more than %(limit)d megapixels). "
            "Please send a smaller version; a screenshot of it works too."
        ),
        "image_too_heavy": _(
            "The picture “%(name)s” is too large for us to check: it has too many pixels for its kind of "
            "colour. Please send a smaller version, or a JPEG photo; a screenshot of it works too."
        ),
        "pdf_too_long": _(
            "“%(name)s” has more than %(limit)d pages. "
            "Please send only the pages that matter, or split it into several files."
        ),
        "pdf_too_complex": _(
            "“%(name)s” is too complex for us to check. Please send fewer pages at a time, or photos of the pages."
        ),
        "pdf_password": _(
            "“%(name)s” is protected with a password, so we cannot check it. "
            "Please send it without the password, or send photos of the pages instead."
        ),
    }
    limits = {"file_too_big": MAX_FILE_BYTES // (1024 * 1024), "pdf_too_long": MAX_PDF_PAGES}
    values = {"name": safe_name(name) or _("untitled"), "limit": limit or limits.get(code, 0)}
    # HEIC is refused like any other type; its own message only says how to fix it.
    public_code = {
        "file_type_heic": "file_type_not_allowed",
        "pdf_too_complex": "pdf_too_long",
        "image_too_heavy": "image_too_large",
    }.get(code, code)
    return UserError(public_code, messages[code] % values, field="files")


# Everything the decoders may raise on hostile input. Nothing else is expected.
# OSError: truncated data, unknown formats; SyntaxError: Pillow's "not a valid header";
# Warning: a library warning that the process raises as an error (python -W error).
_IMAGE_FAILURES: tuple[type[Exception], ...] = (OSError, SyntaxError, EOFError, struct.error, ValueError)
_IMAGE_FAILURES += (TypeError, KeyError, IndexError, OverflowError, ZeroDivisionError, Warning)
