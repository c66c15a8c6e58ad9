"""Audit codes of relocation: block 1 (docs/audit.md).

The pathway catalogue (1000–1099) is written here; applications, travel and arrival
(1100–1399) by refuge/applications, which sits above this app and records these codes:
one block for the whole of relocation, as docs/audit.md reserved it.
"""

from refuge.audit.codes import AppEvent, events_of


@events_of("relocation", block=1)
class RelocationEvent(AppEvent):
    CATALOGUE_IMPORTED = 1000
    PATHWAY_ADDED = 1001
    PATHWAY_EDITED = 1002
    PATHWAY_RETIRED = 1003
    PATHWAY_RESTORED = 1004
    # Applications (refuge/applications): 1100-1199.
    APPLICATION_STARTED = 1100
    APPLICATION_EDITED = 1101
    APPLICATION_STATUS_CHANGED = 1102
    APPLICATION_APPOINTMENT_ADDED = 1103
    APPLICATION_READ = 1104
    # Travel and arrival (refuge/applications): 1200-1299.
    TRAVEL_LEG_ADDED = 1200
    DEPARTURE_RECORDED = 1201
    ARRIVAL_RECORDED = 1202
    RELOCATION_CLOSED = 1203
    TRAVEL_READ = 1204
    FIRST_ADDRESS_MOVED = 1205
