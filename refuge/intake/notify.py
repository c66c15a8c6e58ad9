"""Intake's part in the content-free mail notices (refuge/accounts/notices.py).

Actions call `new_request` and `requester_message` inside the transaction that stores
the request or the message: the notice is owed exactly when it is stored, and sent later
by the scheduled job "notices", never by the request itself.
"""

from __future__ import annotations

import uuid

from refuge.accounts.notices import Kind, mail_configured, owe_notice

__all__ = ["mail_configured", "new_request", "requester_message"]


def new_request(organisation_id: uuid.UUID) -> None:
    """Count a new request towards the organisation's next notice."""
    owe_notice(organisation_id, Kind.REQUEST)


def requester_message(organisation_id: uuid.UUID) -> None:
    """Count a requester's message towards the organisation's next notice."""
    owe_notice(organisation_id, Kind.MESSAGE)
