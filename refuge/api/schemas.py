"""The API's typed bodies: pydantic models that validate input and generate the OpenAPI document."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any, Generic, Literal, TypeVar

from ninja import Schema
from pydantic import AfterValidator, Field

from refuge.core.forms import strip_bidi_controls

T = TypeVar("T")

MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
# The request form's own limits (refuge/requester/forms.py): a referral is held to the same.
MAX_STORY_CHARS = 20_000
MAX_NOTE_CHARS = 5_000


def _clean(text: str) -> str:
    """Refuse control characters and lone surrogates, drop bidi controls, trim (as the forms do)."""
    if any((ord(ch) < 32 and ch not in "\r\n\t") or 0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise ValueError("This text contains characters that cannot be read.")
    return strip_bidi_controls(text).strip()


def _required(text: str) -> str:
    if not text:
        raise ValueError("This is required.")
    return text


# The same rules written into the OpenAPI document, so that a client knows them before sending:
# no control characters but tab and line breaks, no bidi controls; a required text says something.
_REFUSED = r"\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\u2066-\u2069"
ANY_TEXT = rf"^[^{_REFUSED}]*$"
SOME_TEXT = rf"^[^{_REFUSED}]*[^\s{_REFUSED}][^{_REFUSED}]*$"
Clean = AfterValidator(_clean)
Required = AfterValidator(_required)


def _text(max_length: int) -> Any:
    return Field(max_length=max_length, pattern=ANY_TEXT)


def _some_text(max_length: int) -> Any:
    return Field(min_length=1, max_length=max_length, pattern=SOME_TEXT)


# Text of at most N characters; "Required" ones must say something once trimmed.
Text40 = Annotated[str, _text(40), Clean]
Text60 = Annotated[str, _text(60), Clean]
Text200 = Annotated[str, _text(200), Clean]
Text1000 = Annotated[str, _text(1_000), Clean]
Text2000 = Annotated[str, _text(2_000), Clean]
NoteText = Annotated[str, _text(MAX_NOTE_CHARS), Clean]
RequiredText200 = Annotated[str, _some_text(200), Clean, Required]
StoryText = Annotated[str, _some_text(MAX_STORY_CHARS), Clean, Required]


class Page(Schema, Generic[T]):
    """One page of a list: `items`, and where the list goes on."""

    items: list[T]
    page: int
    per_page: int
    total: int
    next_page: int | None


# --- cases ------------------------------------------------------------------------------------

StageName = Literal[
    "new", "screening", "accepted", "declined", "sheltered", "documents", "applying", "travel", "arrived", "closed"
]
ClosingReasonName = Literal["relocated", "self_relocated", "withdrew", "ineligible", "referred"]


class CaseOut(Schema):
    """A case's metadata: what is kept in clear for lists (docs/threat-model.md), never its content."""

    id: uuid.UUID
    reference: str
    stage: str
    priority: str
    closing_reason: str
    lost_contact_since: datetime.date | None
    pathway_id: int | None
    opened_on: datetime.date
    due_on: datetime.date
    stage_changed_on: datetime.date
    last_activity_on: datetime.date
    closed_on: datetime.date | None
    # Minor units (cents, kopecks) of `currency`, as the case stores it (refuge/cases/money.py): never a float.
    budget_minor: int | None = Field(
        description="The budget in minor units of `currency` (1500.50 EUR is 150050); null: none."
    )
    currency: str
    version: int


class StageChange(Schema):
    stage: StageName
    # The case's version as last read: a change made meanwhile is refused (409), not overwritten.
    version: int = Field(ge=1, le=2_147_483_647)
    closing_reason: ClosingReasonName | Literal[""] = ""


# --- tasks ------------------------------------------------------------------------------------


class TaskOut(Schema):
    id: uuid.UUID
    kind: str
    # Encrypted under the case key: null unless the request unlocked the member's keys.
    title: str | None
    due_on: datetime.date | None
    done_on: datetime.date | None
    owner_id: uuid.UUID | None
    created_on: datetime.date


class TaskIn(Schema):
    title: RequiredText200
    kind: Literal["task", "appointment"] = "task"
    due_on: datetime.date | None = None
    owner_id: uuid.UUID | None = None


# --- referrals --------------------------------------------------------------------------------

DocumentName = Literal["internal_passport", "international_passport", "none"]
LanguageName = Literal["ru", "en", "other"]


class ReferralIn(Schema):
    """A request for help referred by a partner: the questions of the portal's request form."""

    what_happened: StoryText
    where_now: RequiredText200
    urgency: Literal["now", "weeks", "later"]
    contact: Text1000 = ""
    name: Text200 = ""
    phone: Text40 = ""
    documents: list[DocumentName] = Field(default_factory=list, max_length=3)
    document_number: Text60 = ""
    others_at_risk: Text2000 = ""
    languages: list[LanguageName] = Field(default_factory=list, max_length=3)
    languages_other: Text200 = ""
    anything_else: NoteText = ""
    # The language the requester reads: replies and the status page are shown in it.
    language: Literal["en", "ru"] = "en"


class ReferralOut(Schema):
    reference: str
    # The requester's receipt, shown once: hand it to the person, never store it (docs/api.md).
    receipt: str


# --- exports ----------------------------------------------------------------------------------


class ExportedText(Schema):
    at: datetime.datetime | datetime.date | None
    text: str


class CaseExport(Schema):
    """A case with its content decrypted: only for a team member whose keys the request unlocked."""

    case: CaseOut
    summary: dict[str, Any] | str
    notes: list[ExportedText]
    tasks: list[TaskOut]
    timeline: list[ExportedText]
    documents: list[str]
