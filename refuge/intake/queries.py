"""Reading requests: lists (metadata only) and decryption of the one being shown."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from refuge.accounts.models import Organisation
from refuge.intake.models import (
    URGENCY_RANK,
    HelpRequest,
    MergedRequest,
    RequestFile,
    RequestIndex,
    RequestLink,
    RequestMessage,
)
from refuge.keyring.files import decrypt_file_content
from refuge.keyring.records import decrypt_text


def inbox(organisation: Organisation) -> QuerySet[HelpRequest]:
    """Open requests, most urgent and oldest first; decrypts nothing."""
    rank = Case(*[When(urgency=u, then=Value(r)) for u, r in URGENCY_RANK.items()], output_field=IntegerField())
    return (
        HelpRequest.objects.filter(organisation=organisation)
        .exclude(status__in=["accepted", "declined"])
        # A merged request is read on the page of the one it was merged into.
        .exclude(pk__in=MergedRequest.objects.filter(organisation=organisation).values("request_id"))
        .annotate(rank=rank)
        .order_by("rank", "received_at", "reference")
    )


def possible_duplicates(request: HelpRequest) -> list[HelpRequest]:
    """Other requests of the organisation sharing a blind index with this one."""
    digests = RequestIndex.objects.filter(request=request).values_list("field", "digest")
    matches: set[Any] = set()
    for field_name, digest in digests:
        matches.update(
            RequestIndex.objects.filter(organisation_id=request.organisation_id, field=field_name, digest=digest)
            .exclude(request=request)
            .values_list("request_id", flat=True)
        )
    return list(HelpRequest.objects.filter(pk__in=matches).order_by("received_at"))


def linked_requests(request: HelpRequest) -> list[HelpRequest]:
    """The requests linked to this one, oldest first; decrypts nothing."""
    links = RequestLink.objects.filter(Q(first=request) | Q(second=request)).values_list("first_id", "second_id")
    others = {second if first == request.pk else first for first, second in links}
    return list(HelpRequest.objects.filter(pk__in=others).order_by("received_at", "reference"))


def duplicates_of_page(requests: list[HelpRequest]) -> dict[Any, list[HelpRequest]]:
    """For a page of requests: each one's possible duplicates, in three queries whatever the page size."""
    if not requests:
        return {}
    own = RequestIndex.objects.filter(request__in=requests).values_list("request_id", "field", "digest")
    by_value: dict[tuple[str, str], set[Any]] = {}
    for request_id, field_name, digest in own:
        by_value.setdefault((field_name, digest), set()).add(request_id)
    matches = RequestIndex.objects.filter(
        organisation_id=requests[0].organisation_id, digest__in={digest for _field, digest in by_value}
    ).values_list("request_id", "field", "digest")
    other_ids: dict[Any, set[Any]] = {request.pk: set() for request in requests}
    for other_id, field_name, digest in matches:
        for request_id in by_value.get((field_name, digest), ()):
            if other_id != request_id:
                other_ids[request_id].add(other_id)
    wanted = set().union(*other_ids.values())
    others = {r.pk: r for r in HelpRequest.objects.filter(pk__in=wanted).only("id", "reference", "received_at")}
    return {
        request_id: sorted((others[i] for i in ids if i in others), key=lambda r: (r.received_at, r.reference))
        for request_id, ids in other_ids.items()
    }


def read_answers(request: HelpRequest, secret: bytes) -> dict[str, Any]:
    """The requester's answers, decrypted."""
    answers: dict[str, Any] = json.loads(decrypt_text(request, "content", secret, request.key))
    return answers


@dataclass(frozen=True)
class ShownMessage:
    message: RequestMessage
    text: str
    files: list[ShownFile]


@dataclass(frozen=True)
class ShownFile:
    file: RequestFile
    name: str
    removed: list[str]


def read_messages(request: HelpRequest, secret: bytes, files: list[ShownFile] | None = None) -> list[ShownMessage]:
    """The conversation, oldest first, with each message's files (`files`: read_files, if read already)."""
    files_by_message: dict[Any, list[ShownFile]] = {}
    for shown in read_files(request, secret) if files is None else files:
        files_by_message.setdefault(shown.file.message_id, []).append(shown)
    return [
        ShownMessage(message, decrypt_text(message, "body", secret, request.key), files_by_message.get(message.pk, []))
        # The author's name is shown with each staff message: one query for all of them.
        for message in request.messages.select_related("author")
    ]


def read_files(request: HelpRequest, secret: bytes) -> list[ShownFile]:
    """Names and removed-metadata notes of every file (not their content)."""
    return [
        ShownFile(
            f, decrypt_text(f, "name", secret, request.key), json.loads(decrypt_text(f, "removed", secret, request.key))
        )
        for f in request.files.defer("data").order_by("created_at", "id")
    ]


def read_file_content(stored: RequestFile, secret: bytes) -> bytes:
    """Decrypt one file's content (CryptoError if tampered with or truncated)."""
    return decrypt_file_content(stored, secret, stored.key)


def merged_requests(request: HelpRequest) -> list[HelpRequest]:
    """The requests merged into this one (or attached to its case), oldest first; decrypts nothing."""
    merged = MergedRequest.objects.filter(into=request).values("request_id")
    return list(HelpRequest.objects.filter(pk__in=merged).select_related("key").order_by("received_at", "reference"))
