"""The one table of allowed stage changes (DESIGN.md §3: stages are not strictly linear).

Read it as "from this stage, a case may move to these". Closing needs a reason;
"lost contact" is not a stage but an alarm on an open case (see actions).
"""

from __future__ import annotations

from refuge.cases.models import Stage

# Relocation goes back and forth: a refused visa sends a case from applying back to
# documents or to shelter; a declined case can be screened again on new facts; a
# closed case can be reopened (to screening) if the person comes back.
TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.NEW: frozenset({Stage.SCREENING, Stage.ACCEPTED, Stage.DECLINED}),
    Stage.SCREENING: frozenset({Stage.ACCEPTED, Stage.DECLINED}),
    Stage.ACCEPTED: frozenset({Stage.SHELTERED, Stage.DOCUMENTS, Stage.APPLYING, Stage.TRAVEL, Stage.CLOSED}),
    Stage.DECLINED: frozenset({Stage.SCREENING, Stage.CLOSED}),
    Stage.SHELTERED: frozenset({Stage.DOCUMENTS, Stage.APPLYING, Stage.TRAVEL, Stage.CLOSED}),
    Stage.DOCUMENTS: frozenset({Stage.SHELTERED, Stage.APPLYING, Stage.TRAVEL, Stage.CLOSED}),
    Stage.APPLYING: frozenset({Stage.SHELTERED, Stage.DOCUMENTS, Stage.TRAVEL, Stage.CLOSED}),
    Stage.TRAVEL: frozenset({Stage.SHELTERED, Stage.APPLYING, Stage.ARRIVED, Stage.CLOSED}),
    Stage.ARRIVED: frozenset({Stage.CLOSED}),
    Stage.CLOSED: frozenset({Stage.SCREENING}),
}

# Stages in the order they are usually reached, for lists and filters.
ORDER: tuple[str, ...] = tuple(Stage.values)

# Stages that say someone left or arrived: only the records of that journey move a case there
# (the departure and the arrival, refuge/applications/travel.py), never the stage form, so the
# stage cannot claim a departure nobody recorded (issue #12).
RECORDED: frozenset[str] = frozenset({Stage.TRAVEL, Stage.ARRIVED})


def allowed_next(stage: str) -> list[str]:
    """The stages a case in `stage` may move to, in the usual order."""
    targets = TRANSITIONS.get(stage, frozenset())
    return [candidate for candidate in ORDER if candidate in targets]


def allowed_by_hand(stage: str) -> list[str]:
    """The stages a member may choose for a case in `stage` (the table's, less those made by records)."""
    return [candidate for candidate in allowed_next(stage) if candidate not in RECORDED]


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())
