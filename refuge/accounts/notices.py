"""Content-free notices to the organisation's role mailbox: "2 new requests".

What a notice counts is owed in the same transaction that stores it (`owe_notice`, a
`PendingNotice` row); the scheduled job "notices" (refuge/scheduler/) sends what is
owed, one mail per organisation, every REFUGE_NOTIFY_MIN_INTERVAL_SECONDS, and deletes
what it sent. So a notice is owed exactly when a request, a requester's message or an
alert is stored, by whichever process stored it; it is sent once across every process
and server (the job's lease), survives a restart or a kill -9, and a slow or
unreachable mail server never slows or fails a submission (nothing in a request waits
for mail).

A notice names counts only — never a requester, a reference, an organisation, a member
or a word of content — because mail passes through servers we do not control and a
mailbox can be read by whoever holds the phone it is open on. An alert (a duress login,
later a missed check-in) is counted as "an alert for coordinators" and nothing more:
docs/threat-model.md, "Coerced caseworker", says what that line gives away.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext, ngettext

from refuge.accounts.models import Organisation, PendingNotice
from refuge.core.jobs import register

log = logging.getLogger(__name__)

Kind = PendingNotice.Kind
# A notice that failed this many times is given up (the job runs once per interval).
MAX_ATTEMPTS = 5
# Rows read per run: a flood is counted over several notices rather than read at once.
MAX_ROWS_PER_RUN = 50_000
DELETE_CHUNK = 500


def mail_configured() -> bool:
    """True if this installation sends mail at all (REFUGE_SMTP_HOST is set)."""
    return bool(settings.EMAIL_HOST)


def owe_notice(organisation_id: uuid.UUID, kind: str) -> None:
    """Count one event towards the organisation's next notice (inside the transaction that stores the event)."""
    if mail_configured():
        PendingNotice.objects.create(organisation_id=organisation_id, kind=kind)


def _interval() -> float:
    # At least a second: an interval of 0 sends at every turn of the scheduler loop.
    return max(1.0, float(settings.REFUGE_NOTIFY_MIN_INTERVAL_SECONDS))


@register("notices", every=_interval, lease=300)
def send_notices() -> str:
    """Send each organisation what it is owed as one notice; idempotent (an unsent notice stays owed)."""
    owed_rows = PendingNotice.objects.order_by("id").values_list("id", "organisation_id", "kind", "attempts")
    rows = list(owed_rows[:MAX_ROWS_PER_RUN])
    if not mail_configured():
        # Mail was switched off: owed notices have nowhere to go.
        _delete(row[0] for row in rows)
        return "mail is off"
    by_organisation: dict[uuid.UUID, list[tuple[int, str, int]]] = defaultdict(list)
    for row_id, organisation_id, kind, attempts in rows:
        by_organisation[organisation_id].append((row_id, kind, attempts))
    addresses = dict(Organisation.objects.filter(pk__in=by_organisation).values_list("id", "notification_email"))
    sent = failed = 0
    for organisation_id, owed in by_organisation.items():
        address = addresses.get(organisation_id)
        if address and not _send(organisation_id, address, Counter(kind for _, kind, _ in owed)):
            failed += 1
            _note_failure(organisation_id, owed)
            continue
        sent += bool(address)
        _delete(row_id for row_id, _, _ in owed)
    return f"{sent} sent, {failed} failed"


def _delete(row_ids: Iterable[int]) -> None:
    ids = list(row_ids)
    for start in range(0, len(ids), DELETE_CHUNK):
        with transaction.atomic():
            PendingNotice.objects.filter(id__in=ids[start : start + DELETE_CHUNK]).delete()


def _note_failure(organisation_id: uuid.UUID, owed: list[tuple[int, str, int]]) -> None:
    given_up = [row_id for row_id, _, attempts in owed if attempts + 1 >= MAX_ATTEMPTS]
    retried = [row_id for row_id, _, attempts in owed if attempts + 1 < MAX_ATTEMPTS]
    if given_up:
        log.warning("gave up on a notice for organisation %s after %d attempts", organisation_id, MAX_ATTEMPTS)
        _delete(given_up)
    for start in range(0, len(retried), DELETE_CHUNK):
        with transaction.atomic():
            chunk = PendingNotice.objects.filter(id__in=retried[start : start + DELETE_CHUNK])
            chunk.update(attempts=F("attempts") + 1)


def _send(organisation_id: uuid.UUID, address: str, counts: Counter[str]) -> bool:
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = compose(
            counts[Kind.REQUEST],
            counts[Kind.MESSAGE],
            counts[Kind.ALERT],
            surge=bool(counts[Kind.SURGE]),
            danger=bool(counts[Kind.DANGER]),
        )
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address], connection=get_connection())
    try:
        message.send()
    except (OSError, ValueError) as error:
        # SMTP errors are OSErrors; their text can quote the address, so only the type is logged.
        log.warning("could not send a notice for organisation %s: %s", organisation_id, type(error).__name__)
        return False
    return True


def compose(
    requests: int, messages: int, alerts: int = 0, *, surge: bool = False, danger: bool = False
) -> tuple[str, str]:
    """Subject and body of a notice: counts, and nothing else."""
    lines = []
    # A surge (refuge/intake/surge.py) says only that the rate is far above usual: no count, no time.
    if danger:
        lines.append(gettext("Requests marked “in danger right now” are arriving far faster than usual."))
    if surge:
        lines.append(gettext("New requests are arriving far faster than usual."))
    if alerts:
        lines.append(
            ngettext(
                "%(counter)s alert for coordinators since the last notice.",
                "%(counter)s alerts for coordinators since the last notice.",
                alerts,
            )
            % {"counter": alerts}
        )
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
