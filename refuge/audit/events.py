"""Stable numeric codes for every audited act. Never renumber; only append."""

from __future__ import annotations

from enum import IntEnum


class AuditEvent(IntEnum):
    # Accounts (1xx)
    LOGIN_SUCCEEDED = 100
    LOGIN_FAILED = 101
    LOGGED_OUT = 102
    ACCOUNT_LOCKED = 103
    DURESS_LOGIN = 104
    PASSWORD_CHANGED = 105
    ACCOUNT_RECOVERED = 106
    SESSIONS_REVOKED = 107
    MEMBER_INVITED = 108
    MEMBER_ENROLLED = 109
    MEMBER_DEACTIVATED = 110
    MEMBER_CREATED = 111
    DURESS_PASSWORD_SET = 112
    ACCOUNT_UNLOCKED = 113
    # Keys (2xx)
    KEY_CREATED = 200
    KEY_WRAPPED_FOR_MEMBER = 201
    KEY_WRAP_REMOVED = 202
    KEY_ROTATED = 203
    KEY_SHREDDED = 204
    # Organisation (3xx)
    ORGANISATION_CREATED = 300
    RECOVERY_KEY_VERIFIED = 301
    ORGANISATION_SETTINGS_CHANGED = 302
    # Intake (4xx): ids only; never what a request or message says
    REQUEST_RECEIVED = 400
    REQUESTER_MESSAGE_RECEIVED = 401
    REQUEST_REPLIED = 402
    REQUEST_STATUS_CHANGED = 403
    REQUEST_OPENED = 404
    REQUEST_MARKED_PLANT = 405
    # Audit itself (9xx)
    CHECKPOINT_SIGNED = 900
