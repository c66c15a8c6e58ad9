"""Uploads are read into memory only, and only as much as the limits allow.

Requesters' files (the portal) and case documents (the workspace) both come in
through `memory_uploads`; it lives here, beside the limits and the sanitising it
feeds, so that neither surface imports the other.

Django's default handlers write any upload over 2.5 MB to a temporary file: a
document with its GPS position would then sit in /tmp, unencrypted, where a disk
seizure finds it even after deletion. This handler never touches the disk.

It keeps at most one byte more than MAX_FILE_BYTES of each file and nothing of
files beyond MAX_FILES_PER_UPLOAD + 1, so memory stays bounded whatever is sent,
and `sanitise_uploads` still sees enough to say "too big" or "too many files".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from io import BytesIO
from typing import Any, cast

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt

from refuge.core.csrf import RefugeCsrfViewMiddleware
from refuge.intake.uploads.limits import MAX_FILE_BYTES, MAX_FILES_PER_UPLOAD

View = Callable[..., HttpResponse]
# Our CSRF middleware (it accepts `Origin: null` with `Sec-Fetch-Site: same-origin`,
# which no-referrer pages send), as a decorator.
_refuge_csrf_protect = cast(Callable[[View], View], decorator_from_middleware(RefugeCsrfViewMiddleware))


class BoundedMemoryUploadHandler(FileUploadHandler):
    """Collect each uploaded file in memory, truncated just past the limits."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.files_seen = 0
        self.buffer = BytesIO()

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


def memory_uploads(view: View) -> View:
    """Give the view bounded in-memory uploads; CSRF is still checked.

    Upload handlers can only be replaced before the body is read, and the CSRF
    middleware reads it before the view runs: so the middleware is skipped for
    the wrapper and applied to the view itself (Django's documented pattern).
    """
    protected = _refuge_csrf_protect(view)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.upload_handlers = [BoundedMemoryUploadHandler(request)]
        return protected(request, *args, **kwargs)

    return csrf_exempt(wrapper)
