"""An app's own audit events, declared as a new app declares them: in its own module, no hub edited."""

from __future__ import annotations

from refuge.audit.codes import AppEvent, events_of

# Block 999 is kept for tests (docs/audit.md).
TEST_BLOCK = 999


@events_of("audit_testapp", block=TEST_BLOCK)
class WidgetEvent(AppEvent):
    WIDGET_MADE = 999_000
    WIDGET_READ = 999_001
