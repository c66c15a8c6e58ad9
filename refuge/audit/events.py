"""The first numbering of audit codes (below 1000). Never renumber; only append in an open hundred.

New apps declare their codes in their own module instead (refuge/audit/codes.py).
"""

from __future__ import annotations

from enum import IntEnum

from refuge.audit.codes import registry


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
    # Privilege paths (2xx, from 210): a key owed to a member and a holder's decision on it,
    # and a coordinator's decision on an administrator's invitation to a content role
    # (issues #10.5 and #16.2; docs/keys.md "Grants").
    KEY_GRANT_QUEUED = 210
    KEY_GRANT_APPROVED = 211
    KEY_GRANT_REFUSED = 212
    KEY_GRANT_WITHDRAWN = 213
    INVITATION_APPROVED = 214
    INVITATION_REFUSED = 215
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
    REQUESTS_LINKED = 406
    REQUESTS_UNLINKED = 407
    # The surge signal (refuge/intake/surge.py): no actor, the organisation as object, held to the hour.
    REQUEST_SURGE_BEGAN = 408
    REQUEST_SURGE_ENDED = 409
    DANGER_SURGE_BEGAN = 410
    DANGER_SURGE_ENDED = 411
    # Many requests declined with one form: one entry for the act, beside each request's own 402 and 403.
    REQUESTS_BULK_DECLINED = 412
    # A request merged into another (or attached to a case through its request), and undone: one entry per request.
    REQUEST_MERGED = 413
    REQUEST_UNMERGED = 414
    # Cases (5xx): ids only; never what a case, person or note says
    CASE_OPENED = 500
    CASE_READ = 501
    CASE_STAGE_CHANGED = 502
    CASE_EDITED = 503
    TEAM_MEMBER_ADDED = 504
    TEAM_MEMBER_REMOVED = 505
    PERSON_ADDED = 506
    PERSON_EDITED = 507
    COMPARTMENT_WRITTEN = 508
    COMPARTMENT_READ = 509
    COMPARTMENT_SHARED = 510
    COMPARTMENT_UNSHARED = 511
    NOTE_ADDED = 512
    TASK_ADDED = 513
    TASK_DONE = 514
    EXPENSE_RECORDED = 515
    DOCUMENT_ADDED = 516
    DOCUMENT_READ = 517
    LOST_CONTACT_RAISED = 518
    LOST_CONTACT_CLEARED = 519
    CASE_MESSAGE_SENT = 520
    TEAM_LEAD_CHANGED = 521
    # A team member attached another request to the case (its key went to the team).
    CASE_REQUEST_ATTACHED = 522
    # Shelter (6xx)
    SHELTER_CREATED = 600
    SHELTER_EDITED = 601
    SHELTER_READ = 602
    SHELTER_ADDRESS_READ = 603
    PLACEMENT_STARTED = 604
    PLACEMENT_ENDED = 605
    SHELTER_KEYS_SHARED = 606
    # Audit itself (9xx)
    CHECKPOINT_SIGNED = 900
    # An auditor's or coordinator's checks from the workspace (/audit/): that the log was
    # looked at, verified or handed to a witness is itself accountable.
    LOG_VERIFIED = 901
    WITNESS_EXPORTED = 902


# Each hundred above belongs to one app (refuge/audit/codes.py); new apps declare a
# block of their own in their own module instead of appending here.
registry.declare_first_numbering(AuditEvent)
