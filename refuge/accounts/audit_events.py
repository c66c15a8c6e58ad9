"""Block 6 of the audit codes: API tokens and the JSON API (docs/audit.md).

Declared here, in accounts, and not in refuge/api: a token is a member's credential (as a
session or a password is), created and revoked from the workspace's account page, and the
workspace may not import the API surface (they are siblings, docs/architecture.md "Layers").
The API records its own acts with the same block.
"""

from refuge.audit.codes import AppEvent, events_of


@events_of("api", block=6)
class ApiEvent(AppEvent):
    API_TOKEN_CREATED = 6000
    API_TOKEN_REVOKED = 6001
    # The member's private key was sealed to a script's key pair: a deliberate act.
    API_TOKEN_KEY_BOUND = 6002
    # A partner's referral arrived through the API (its request's own entry is 400, held to the hour).
    API_REFERRAL_RECEIVED = 6003
    API_CASE_EXPORTED = 6004
