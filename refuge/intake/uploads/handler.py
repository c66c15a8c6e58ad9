"""Uploads are read into memory only, only as much as the limits allow, and only from whole bodies.

Requesters' files (the portal) and case documents (the workspace) both come in through
`memory_uploads`; it lives here, beside the limits and the sanitising it feeds, so that
neither surface imports the other.

Django's default handlers write any upload over 2.5 MB to a temporary file: a
document with its GPS position would then sit in /tmp, unencrypted, where a disk
seizure finds it even after deletion. This handler, the only one of every route
(FILE_UPLOAD_HANDLERS in refuge/settings.py), never touches the disk.

It keeps at most one byte more than MAX_FILE_BYTES of each file and nothing of
files beyond MAX_FILES_PER_UPLOAD + 1, so memory stays bounded whatever is sent,
and `sanitise_uploads` still sees enough to say "too big" or "too many files".

It also parses the body itself (`handle_raw_input`), so that a body Django would
refuse with a bare 400 is refused with the fields that arrived before the problem
kept for the form (refuge/core/request_body.py says why in the reader's language),
and a body that ends before its closing boundary, such as an upload whose connection
was cut inside a file, is refused instead of quietly losing its last file.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from io import BytesIO
from typing import IO, Any, cast

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt

from refuge.core.csrf import RefugeCsrfViewMiddleware
from refuge.core.request_body import MAX_FORM_BODY_BYTES, body_error, refuse_body
from refuge.intake.uploads.limits import MAX_FILE_BYTES, MAX_FILES_PER_UPLOAD

View = Callable[..., HttpResponse]
# Our CSRF middleware (it accepts `Origin: null` with `Sec-Fetch-Site: same-origin`,
# which no-referrer pages send), as a decorator.
_refuge_csrf_protect = cast(Callable[[View], View], decorator_from_middleware(RefugeCsrfViewMiddleware))

# The body of an upload form: its fields, and each allowed file with its part headers.
MAX_UPLOAD_BODY_BYTES = MAX_FORM_BODY_BYTES + MAX_FILES_PER_UPLOAD * (MAX_FILE_BYTES + 16 * 1024)
# What Django raises for each body it will not parse, as the code the reader is told.
_REFUSALS: tuple[tuple[type[Exception], str], ...] = (
    (RequestDataTooBig, "form_too_large"),
    (TooManyFieldsSent, "too_many_fields"),
    (TooManyFilesSent, "too_many_files"),
    (UnreadablePostError, "body_incomplete"),
)


class BoundedMemoryUploadHandler(FileUploadHandler):
    """Collect each uploaded file in memory, truncated just past the limits."""

    def __init__(self, request: HttpRequest | None = None, *, outer: bool = True) -> None:
        super().__init__(request)
        self.outer = outer
        self.files_seen = 0
        self.buffer = BytesIO()

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,  # bytes at run time, whatever the stubs say
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict[str, Any]] | None:
        """Parse the body with Django's own parser over a counted stream; refuse it unless whole."""
        if not self.outer or self.request is None:
            return None
        close_delimiter = b"--" + (boundary if isinstance(boundary, bytes) else boundary.encode()) + b"--"
        counted = _CountedStream(input_data, len(close_delimiter) + 4)
        inner = [BoundedMemoryUploadHandler(self.request, outer=False)]
        parser = MultiPartParser(META, cast(IO[bytes], counted), inner, encoding)
        try:
            post, files = parser.parse()
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, UnreadablePostError) as error:
            refuse_body(self.request, next(code for kind, code in _REFUSALS if isinstance(error, kind)))
        except MultiPartParserError as error:
            # Django's only words for a part whose headers (the file name) exceed its limit.
            too_large = "header size" in str(error)
            refuse_body(self.request, "part_too_large" if too_large else "body_incomplete")
        else:
            if counted.read_bytes == content_length and counted.ends_with(close_delimiter):
                return post, files
            # Cut short (inside a file, Django would drop that file and keep the rest).
            refuse_body(self.request, "body_incomplete")
        # The fields read before the problem come back in the form; no file is kept.
        kept = getattr(parser, "_post", None) or QueryDict(mutable=True)
        kept._mutable = False
        return kept, MultiValueDict()

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.files_seen += 1
        self.buffer = BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.files_seen > MAX_FILES_PER_UPLOAD + 1:
            return  # counted, not kept: "too many files" needs no content
        room = MAX_FILE_BYTES + 1 - self.buffer.tell()
        if room > 0:
            self.buffer.write(raw_data[:room])

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=self.buffer.getbuffer().nbytes,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


class _CountedStream:
    """The request body as read by the parser: how many bytes came, and the last few of them."""

    def __init__(self, stream: Any, keep: int) -> None:
        self.stream = stream
        self.keep = keep
        self.read_bytes = 0
        self.tail = b""

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.stream.read(size)
        self.read_bytes += len(data)
        self.tail = (self.tail + data)[-self.keep :]
        return data

    def ends_with(self, close_delimiter: bytes) -> bool:
        """True if the body ends with the closing boundary (and at most a line break after it)."""
        return self.tail.rstrip(b"\r\n").endswith(close_delimiter)


def memory_uploads(view: View) -> View:
    """Let the view take uploads (a larger body cap); CSRF is still checked.

    Every route keeps uploads in memory only (FILE_UPLOAD_HANDLERS); this marks the
    routes whose forms carry files, so refuge/core/request_body.py allows them a body
    of MAX_UPLOAD_BODY_BYTES instead of MAX_FORM_BODY_BYTES. A view marked
    `shows_body_errors` is given a refused body (and must not act on it) without a CSRF
    check: its token did not arrive, and it only shows the form again.
    """
    protected = _refuge_csrf_protect(view)
    shows_errors = getattr(view, "shows_body_errors", False)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if shows_errors and body_error(request) is not None:
            return view(request, *args, **kwargs)
        return protected(request, *args, **kwargs)

    wrapper.max_body_bytes = MAX_UPLOAD_BODY_BYTES  # type: ignore[attr-defined]
    wrapper.max_files = MAX_FILES_PER_UPLOAD  # type: ignore[attr-defined]
    return csrf_exempt(wrapper)
