"""The disclosures app's audit codes: block 3 (docs/audit.md). Ids only, never who the partner is."""

from refuge.audit.codes import AppEvent, events_of


@events_of("disclosures", block=3)
class DisclosureEvent(AppEvent):
    PARTNER_ADDED = 3000
    PARTNER_CHANGED = 3001
    PARTNER_READ = 3002
    PACKET_PREPARED = 3100
    PACKET_READ = 3101
    CONSENT_RECORDED = 3102
    PACKET_APPROVED = 3103
    PACKET_DOWNLOADED = 3104
    PACKET_REVOKED = 3105
    CONSENT_ASKED = 3106
    CONSENT_ANSWERED = 3107
    CASE_REFERRED = 3108
    REFERRAL_IMPORTED = 3200
