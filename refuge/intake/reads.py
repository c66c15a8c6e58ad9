"""What the intake pages show of a request, opened in one call: access, decrypt, audit the read.

Views receive plaintext, never key bytes (STYLE.md #18). A request the member cannot open
yet (the intake key not shared with them) or whose stored data was altered is said on its
page (`locked` / `unreadable`); a download that does not open raises for the workspace's
error boundary.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from django.http import Http404

from refuge.accounts.models import User
from refuge.core.lookup import by_id_or_404
from refuge.crypto import CryptoError
from refuge.intake.access import access_request, can_read_requests
from refuge.intake.actions.status import do_record_read, do_record_reads
from refuge.intake.merge import merged_into
from refuge.intake.models import HelpRequest, RequestFile
from refuge.intake.queries import (
    ShownFile,
    ShownMessage,
    duplicates_of_page,
    inbox,
    merged_requests,
    read_answers,
    read_file_content,
    read_files,
    read_messages,
)
from refuge.intake.similarity import group_alike
from refuge.keyring.keyring import KeyNotHeld, Keyring

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestPage:
    help_request: HelpRequest
    answers: dict[str, Any] = field(default_factory=dict)
    conversation: list[ShownMessage] = field(default_factory=list)
    files: list[ShownFile] = field(default_factory=list)
    # An intake member whose copy of the intake key a coordinator has not shared yet.
    locked: bool = False
    # A key wrap or ciphertext that does not open was altered in the database.
    unreadable: bool = False
    # The requests merged into this one, each decrypted (or saying why not), and the one it is merged into.
    merged: list[RequestPage] = field(default_factory=list)
    merged_into: HelpRequest | None = None


def open_request_page(member: User, keyring: Keyring, request_id: uuid.UUID | str) -> RequestPage:
    """A request decrypted for intake (audited before anything is shown), or why it does not open.

    The requests merged into it are decrypted with it (each read audited): it is read as one.
    """
    help_request = access_request(member, request_id)
    page = read_request(member, keyring, help_request)
    merged = [read_request(member, keyring, other) for other in merged_requests(help_request)]
    return replace(page, merged=merged, merged_into=merged_into(help_request))


def read_request(member: User, keyring: Keyring, help_request: HelpRequest) -> RequestPage:
    """One request the member reached with `access_request` (or through a case) decrypted, its read audited."""
    try:
        secret = keyring.secret_for(help_request.key)
        do_record_read(actor=member, request=help_request)
        return RequestPage(
            help_request,
            answers=read_answers(help_request, secret),
            conversation=read_messages(help_request, secret),
            files=read_files(help_request, secret),
        )
    except KeyNotHeld:
        return RequestPage(help_request, locked=True)
    except CryptoError:
        log.error("request %s did not decrypt; it may have been tampered with", help_request.pk)
        return RequestPage(help_request, unreadable=True)


@dataclass(frozen=True)
class OpenedFile:
    """A stored file, decrypted: its detected kind (jpeg, png, webp, pdf, ...), its id and its bytes."""

    kind: str
    pk: uuid.UUID
    content: bytes


def access_request_file(help_request: HelpRequest, file_id: uuid.UUID | str) -> RequestFile:
    """A file sent with a request the member reached with `access_request`; else 404."""
    return by_id_or_404(RequestFile.objects.select_related("key").filter(request=help_request), file_id)


def open_request_file(
    member: User, keyring: Keyring, help_request: HelpRequest, file_id: uuid.UUID | str
) -> OpenedFile:
    """A requester's file decrypted for intake (audited); raises KeyNotHeld / CryptoError if it does not open."""
    stored = access_request_file(help_request, file_id)
    content = read_file_content(stored, keyring.secret_for(help_request.key))
    do_record_read(actor=member, request=help_request)
    return OpenedFile(stored.kind, stored.pk, content)


# Open requests grouped per view at most: each is decrypted (and its read audited) for the
# grouping, so the page's cost is bounded whatever a flood left in the inbox.
MAX_GROUPED = 500
# A group this large is "a large group": the inbox can hide them to show what stands apart.
LARGE_GROUP = 5


@dataclass(frozen=True)
class InboxGroups:
    """The first MAX_GROUPED open requests in inbox order, grouped by what they look like."""

    groups: list[list[HelpRequest]]
    # Open requests beyond MAX_GROUPED, not grouped on this view.
    left_out: int = 0
    # Requests whose key this member does not hold yet, or whose data does not open: each alone.
    unopened: int = 0
    # Each grouped request's place in inbox order (most urgent, oldest first).
    place: dict[Any, int] = field(default_factory=dict)


def open_inbox_groups(member: User, keyring: Keyring) -> InboxGroups:
    """Decrypt the stories of the open requests (audited), group the alike ones in memory, store nothing."""
    if not can_read_requests(member):
        raise Http404
    open_requests = inbox(member.organisation).select_related("key")
    shown = list(open_requests[:MAX_GROUPED])
    total = len(shown) if len(shown) < MAX_GROUPED else open_requests.count()
    texts: dict[Any, str] = {}
    unopened = 0
    opened: list[HelpRequest] = []
    for help_request in shown:
        try:
            answers = read_answers(help_request, keyring.secret_for(help_request.key))
        except KeyNotHeld:
            unopened += 1
            texts[help_request.pk] = ""
            continue
        except CryptoError:
            log.error("request %s did not decrypt; it may have been tampered with", help_request.pk)
            unopened += 1
            texts[help_request.pk] = ""
            continue
        opened.append(help_request)
        story = answers.get("what_happened")
        texts[help_request.pk] = story if isinstance(story, str) else ""
    # Every request decrypted for the grouping is a read, as on its own page.
    do_record_reads(actor=member, requests=opened)
    duplicates = duplicates_of_page(shown)
    same_person = [(pk, other.pk) for pk, others in duplicates.items() for other in others]
    by_id = {help_request.pk: help_request for help_request in shown}
    groups = group_alike(texts, same_person, order=[help_request.pk for help_request in shown])
    return InboxGroups(
        [[by_id[pk] for pk in group] for group in groups],
        max(0, total - len(shown)),
        unopened,
        {help_request.pk: place for place, help_request in enumerate(shown)},
    )
