"""Content-free notices to the organisation's role mailbox: "2 new requests".

Actions call `new_request` and `requester_message` after commit. A notice names
counts only — never a requester, a reference, an organisation or a word of
content — because mail passes through servers we do not control.

Mail is sent by one background thread per process, fed through a bounded queue:
a slow or unreachable SMTP server never slows or fails a submission. Events are
collected per organisation for REFUGE_NOTIFY_MIN_INTERVAL_SECONDS after the first
one and then sent as one mail, so an organisation gets at most one notice per
interval, and the time a mail arrives does not tell a mail provider when each
request came in. What is still waiting is sent when the process exits normally.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import threading
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import DatabaseError
from django.utils import translation
from django.utils.translation import gettext, ngettext

from refuge.accounts.models import Organisation

log = logging.getLogger(__name__)

# Events waiting for the sender thread. Counts are merged as soon as the thread
# reads them, so the queue only grows while a send is in progress.
MAX_QUEUED = 10_000
# A failed send is retried after at least this long, a few times, then dropped.
RETRY_SECONDS = 60
MAX_ATTEMPTS = 5
# How long a normal exit waits for the last notices (gunicorn's graceful timeout is 10 s).
FLUSH_SECONDS = 5.0

REQUESTS = "requests"
MESSAGES = "messages"


def new_request(organisation_id: uuid.UUID) -> None:
    """Count a new request towards the organisation's next notice."""
    _notifier.notice(organisation_id, REQUESTS)


def requester_message(organisation_id: uuid.UUID) -> None:
    """Count a requester's message towards the organisation's next notice."""
    _notifier.notice(organisation_id, MESSAGES)


def mail_configured() -> bool:
    """True if this installation sends mail at all (REFUGE_SMTP_HOST is set)."""
    return bool(settings.EMAIL_HOST)


@dataclass(frozen=True)
class _Event:
    organisation_id: uuid.UUID
    kind: str
    address: str


@dataclass
class _Batch:
    """What one organisation's next notice will say, and when it is due."""

    address: str
    due: float
    requests: int = 0
    messages: int = 0
    attempts: int = 0


class Notifier:
    """A queue and the thread that turns its events into at most one mail per organisation per interval."""

    def __init__(self, max_queued: int = MAX_QUEUED) -> None:
        self._queue: queue.Queue[_Event | None] = queue.Queue(maxsize=max_queued)
        self._batches: dict[uuid.UUID, _Batch] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # --- the request side: cheap, never blocks, never raises -------------------------

    def notice(self, organisation_id: uuid.UUID, kind: str) -> None:
        """Queue one event for the organisation's role mailbox, if it has one."""
        if not mail_configured() or self._stopping.is_set():
            return
        try:
            address = (
                Organisation.objects.filter(pk=organisation_id).values_list("notification_email", flat=True).first()
            )
        except DatabaseError:
            # Runs after commit: the request is stored, and a notice is not worth an error page.
            log.warning("could not look up where to send a notice")
            return
        if not address:
            return
        self._ensure_running()
        try:
            self._queue.put_nowait(_Event(organisation_id, kind, address))
        except queue.Full:
            # Names no one: losing a count is better than holding up a requester.
            log.warning("the notice queue is full: one notice was dropped")

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                # Daemon: a hung mail server must never keep the process from exiting.
                self._thread = threading.Thread(target=self._run, name="refuge-notices", daemon=True)
                self._thread.start()

    def shutdown(self, timeout: float = FLUSH_SECONDS) -> None:
        """Send what is waiting now (once, without retries) and stop the thread."""
        self._stopping.set()
        with self._lock:
            thread = self._thread
        if thread is None or not thread.is_alive():
            return
        # Wakes the thread at once; if the queue is full it wakes anyway and checks _stopping.
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        thread.join(timeout)

    # --- the sender thread ---------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                event = self._queue.get(timeout=self._seconds_to_next_due())
            except queue.Empty:
                event = None
            if event is not None:
                self._absorb(event)
            if self._stopping.is_set():
                self._drain()
                self._send_due(everything=True)
                return
            self._send_due(everything=False)

    def _seconds_to_next_due(self) -> float | None:
        if not self._batches:
            return None
        return max(0.0, min(batch.due for batch in self._batches.values()) - time.monotonic())

    def _absorb(self, event: _Event) -> None:
        batch = self._batches.get(event.organisation_id)
        if batch is None:
            # The first event opens a batch that closes one interval later.
            due = time.monotonic() + settings.REFUGE_NOTIFY_MIN_INTERVAL_SECONDS
            batch = self._batches[event.organisation_id] = _Batch(address=event.address, due=due)
        batch.address = event.address  # the latest address the organisation set
        if event.kind == REQUESTS:
            batch.requests += 1
        else:
            batch.messages += 1

    def _drain(self) -> None:
        while True:
            try:
                event = self._queue.get_nowait()
            except queue.Empty:
                return
            if event is not None:
                self._absorb(event)

    def _send_due(self, *, everything: bool) -> None:
        now = time.monotonic()
        for organisation_id, batch in list(self._batches.items()):
            if not everything and batch.due > now:
                continue
            del self._batches[organisation_id]
            if self._send(organisation_id, batch) or everything:
                continue
            batch.attempts += 1
            if batch.attempts >= MAX_ATTEMPTS:
                log.warning("gave up on a notice for organisation %s after %d attempts", organisation_id, MAX_ATTEMPTS)
                continue
            # Keep the counts; events arriving meanwhile join this batch.
            batch.due = now + max(settings.REFUGE_NOTIFY_MIN_INTERVAL_SECONDS, RETRY_SECONDS)
            self._batches[organisation_id] = batch

    def _send(self, organisation_id: uuid.UUID, batch: _Batch) -> bool:
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = compose(batch.requests, batch.messages)
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [batch.address], connection=get_connection())
        try:
            message.send()
        except (OSError, ValueError) as error:
            # SMTP errors are OSErrors; their text can quote the address, so only the type is logged.
            log.warning("could not send a notice for organisation %s: %s", organisation_id, type(error).__name__)
            return False
        return True


def compose(requests: int, messages: int) -> tuple[str, str]:
    """Subject and body of a notice: counts, and nothing else."""
    lines = []
    if requests:
        lines.append(
            ngettext(
                "%(counter)s new request since the last notice.",
                "%(counter)s new requests since the last notice.",
                requests,
            )
            % {"counter": requests}
        )
    if messages:
        lines.append(
            ngettext(
                "%(counter)s new message from a requester since the last notice.",
                "%(counter)s new messages from requesters since the last notice.",
                messages,
            )
            % {"counter": messages}
        )
    lines += [
        "",
        gettext("Log in to Refuge to read them. Notices never contain names, references or what anyone wrote."),
    ]
    return gettext("Refuge: new activity"), "\n".join(lines) + "\n"


_notifier = Notifier()


def _flush_at_exit() -> None:
    _notifier.shutdown(FLUSH_SECONDS)


def _reset_after_fork() -> None:
    # Threads do not survive fork(): a forked worker starts its own sender, with an empty queue.
    global _notifier
    _notifier = Notifier()


atexit.register(_flush_at_exit)
os.register_at_fork(after_in_child=_reset_after_fork)
