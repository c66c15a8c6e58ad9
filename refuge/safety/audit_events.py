"""Safety's audit codes: block 2 (2000–2999, docs/audit.md)."""

from __future__ import annotations

from refuge.audit.codes import AppEvent, events_of


@events_of("safety", block=2)
class SafetyEvent(AppEvent):
    SCHEDULE_SET = 2000
    SCHEDULE_STOPPED = 2001
    # A requester's check-in: held to the hour like every requester act.
    CHECK_IN_RECEIVED = 2002
    ALARM_RAISED = 2003
    ALARM_ACKNOWLEDGED = 2004
    ALARM_OUTCOME = 2005
    ALARM_TASK_DONE = 2006
    ESCALATION_STEP_ADDED = 2007
    ESCALATION_STEP_REMOVED = 2008
    CHECK_INS_READ = 2009
    # Staff under coercion (refuge/safety/actions/lockout.py).
    LOCKED_MYSELF_OUT = 2010
    EMERGENCY_LOCK = 2011
    EMERGENCY_LOCK_LIFTED = 2012
