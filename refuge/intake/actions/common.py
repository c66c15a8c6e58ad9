"""What the intake's acts share: the hour requester times are kept to, and encrypted files."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from refuge.intake.models import HelpRequest, RequestFile, RequestMessage
from refuge.intake.uploads import CleanUpload
from refuge.keyring.files import encrypt_file_into
from refuge.keyring.models import Key


def this_hour() -> datetime:
    """Now, rounded down to the hour: requester times are never kept more exactly."""
    return hour_of(timezone.now())


def hour_of(moment: datetime) -> datetime:
    """A moment rounded down to the hour, as every requester time is kept."""
    return moment.replace(minute=0, second=0, microsecond=0)


def encrypted_file(
    request: HelpRequest, key: Key, secret: bytes, upload: CleanUpload, message: RequestMessage | None
) -> RequestFile:
    """One sanitised upload encrypted in chunks under a fresh file key; not saved yet."""
    stored = RequestFile(
        request=request, message=message, key=key, kind=upload.kind, size=len(upload.data), created_at=this_hour()
    )
    encrypt_file_into(stored, upload.data, upload.name, upload.removed, secret, key)
    return stored


def store_file(
    request: HelpRequest, key: Key, secret: bytes, upload: CleanUpload, message: RequestMessage | None
) -> RequestFile:
    """Encrypt one sanitised upload in chunks under a fresh file key, and save it."""
    stored = encrypted_file(request, key, secret, upload, message)
    stored.save(force_insert=True)
    return stored
