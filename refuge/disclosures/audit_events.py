"""The disclosures app's audit codes: block 3 (docs/audit.md). Ids only, never who the partner is."""

from refuge.audit.codes import AppEvent, events_of


@events_of("disclosures", block=3)
class DisclosureEvent(AppEvent):
    PARTNER_ADDED = 3000
    PARTNER_CHANGED = 3001
    PARTNER_READ = 3002
    LETTER_TEMPLATE_CHANGED = 3003
    LETTER_TEMPLATE_RESET = 3004
    LETTER_TEMPLATE_READ = 3005
    PACKET_PREPARED = 3100
    PACKET_READ = 3101
    CONSENT_RECORDED = 3102
    PACKET_APPROVED = 3103
    PACKET_DOWNLOADED = 3104
    PACKET_REVOKED = 3105
    CONSENT_ASKED = 3106
    CONSENT_ANSWERED = 3107
    CASE_REFERRED = 3108
    PACKET_TAKEN_AS_FILE = 3109
    PACKET_RECEIVED = 3110
    REFERRAL_IMPORTED = 3200
