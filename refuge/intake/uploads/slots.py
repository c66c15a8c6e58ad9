"""How many files one process decodes at once: a queue, so a burst of uploads cannot exhaust memory.

Each decode may hold a few hundred MiB (limits.py: MAX_IMAGE_DECODED_BYTES, and a second
copy while the picture is rebuilt), so eight submissions of five pictures at once would
need gigabytes. Decodes wait for one of REFUGE_UPLOAD_DECODES slots; an upload that
waits longer than REFUGE_UPLOAD_WAIT_SECONDS is refused with "busy, try again", and the
form comes back as typed. Nothing is stored for a refused submission.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from refuge.core.errors import UserError

_guard = threading.Lock()
_slots: tuple[int, threading.BoundedSemaphore] | None = None


def _semaphore() -> threading.BoundedSemaphore:
    """The process's slots, sized from the setting (made again only if the setting changed)."""
    global _slots
    # The defaults of refuge/settings.py, for a process that configured Django without them (the fuzzer).
    size: int = getattr(settings, "REFUGE_UPLOAD_DECODES", 1)
    with _guard:
        if _slots is None or _slots[0] != size:
            _slots = (size, threading.BoundedSemaphore(size))
        return _slots[1]


@contextmanager
def decode_slot() -> Iterator[None]:
    """Hold one decode slot for the block, or refuse with "busy" after the configured wait."""
    semaphore = _semaphore()
    if not semaphore.acquire(timeout=getattr(settings, "REFUGE_UPLOAD_WAIT_SECONDS", 20)):
        raise UserError(
            "uploads_busy",
            _(
                "We are checking many files right now, so nothing was sent yet. "
                "Please wait a minute and send the form again; you will need to choose the files again."
            ),
            field="files",
        )
    try:
        yield
    finally:
        semaphore.release()
