"""Cases, the people in them, their compartments, and the work done on them: one module per
resource (named as the actions, views and forms of the same resource), all importable from
`refuge.cases.models` as Django finds them.

Keys (DESIGN.md §5, docs/keys.md): every case has its own record key, held by the
members of its team and by the organisation recovery key. Notes, tasks, expenses'
notes, timeline details and documents are encrypted under it. Each compartment of a
person (legal identity, SOGIESC, medical, contacts) has a key of its own, held only
by the members granted that compartment (and recovery). What stays in clear — stage,
priority, dates to the day, pseudonyms, amounts — is listed with its reason in
docs/threat-model.md.
"""

from refuge.cases.models.case import (
    CLOSED_STAGES,
    PRIORITY_DUE_DAYS,
    PRIORITY_RANK,
    Case,
    ClosingReason,
    Currency,
    Priority,
    Stage,
    TeamMember,
    choice_label,
)
from refuge.cases.models.compartments import Compartment, CompartmentKind
from refuge.cases.models.documents import CaseDocument
from refuge.cases.models.events import CaseEvent, EventKind
from refuge.cases.models.expenses import Expense, ExpenseCategory
from refuge.cases.models.notes import Note
from refuge.cases.models.people import CaseIndex, Person, PersonRole
from refuge.cases.models.tasks import Task, TaskKind

__all__ = [
    "CLOSED_STAGES",
    "PRIORITY_DUE_DAYS",
    "PRIORITY_RANK",
    "Case",
    "CaseDocument",
    "CaseEvent",
    "CaseIndex",
    "ClosingReason",
    "Compartment",
    "CompartmentKind",
    "Currency",
    "EventKind",
    "Expense",
    "ExpenseCategory",
    "Note",
    "Person",
    "PersonRole",
    "Priority",
    "Stage",
    "Task",
    "TaskKind",
    "TeamMember",
    "choice_label",
]
