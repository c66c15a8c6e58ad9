"""A case's timeline in sentences: each event's decrypted detail told in the reader's language."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from refuge.cases.models import (
    Case,
    ClosingReason,
    CompartmentKind,
    EventKind,
    ExpenseCategory,
    PersonRole,
    Priority,
    Stage,
    choice_label,
)
from refuge.cases.money import MINOR_DIGITS, format_amount
from refuge.cases.queries import Shown
from refuge.relocation.queries import pathway_by_code

# --- the timeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineRow:
    event: Any
    text: str


def sentence(shown: Shown, case: Case) -> str:
    """One timeline entry as a sentence in the reader's language."""
    try:
        detail = json.loads(shown.text)
    except ValueError:
        detail = {}
    if not isinstance(detail, dict):
        detail = {}
    kind = shown.row.kind
    say = _SENTENCES.get(kind)
    text = say(detail, case) if say is not None else ""
    return text or choice_label(EventKind, kind)


def _text(detail: dict[str, Any], key: str) -> str:
    value = detail.get(key, "")
    return value if isinstance(value, str) else str(value)


def _opened(detail: dict[str, Any], case: Case) -> str:
    if _text(detail, "request"):
        return _("Case opened from request %(reference)s.") % {"reference": _text(detail, "request")}
    return _("Case opened.")


def _stage(detail: dict[str, Any], case: Case) -> str:
    new = choice_label(Stage, _text(detail, "to"))
    if _text(detail, "to") == Stage.CLOSED and _text(detail, "reason"):
        return _("Case closed: %(reason)s.") % {"reason": choice_label(ClosingReason, _text(detail, "reason"))}
    return _("Stage changed from %(old)s to %(new)s.") % {"old": choice_label(Stage, _text(detail, "from")), "new": new}


def _edited(detail: dict[str, Any], case: Case) -> str:
    parts = []
    priority = detail.get("priority")
    if isinstance(priority, list) and len(priority) == 2:
        parts.append(
            _("Priority changed from %(old)s to %(new)s; the due date moved with it.")
            % {"old": choice_label(Priority, priority[0]), "new": choice_label(Priority, priority[1])}
        )
    if "pathway" in detail:
        code = _text(detail, "pathway")
        pathway = pathway_by_code(code)
        if code:
            parts.append(_("Pathway set to %(pathway)s.") % {"pathway": pathway.short_name if pathway else code})
        else:
            parts.append(_("Pathway removed."))
    parts += _budget(detail)
    return " ".join(parts) or _("The summary or other details were edited.")


def _budget(detail: dict[str, Any]) -> list[str]:
    """The budget's change: "budget_minor" in minor units, or "budget" in whole units (events before cases 0011)."""
    if isinstance(detail.get("budget_minor"), list):
        change, whole_units = detail["budget_minor"], False
    elif isinstance(detail.get("budget"), list):
        change, whole_units = detail["budget"], True
    else:
        return []
    if len(change) != 2 or not isinstance(change[1], str):
        return []
    amount, currency = change
    if amount is None:
        return [_("Budget removed.")]
    if not isinstance(amount, int):
        return []
    minor = amount * 10 ** MINOR_DIGITS.get(currency, 2) if whole_units else amount
    return [
        _("Budget set to %(amount)s %(currency)s.") % {"amount": format_amount(minor, currency), "currency": currency}
    ]


def _message(detail: dict[str, Any], case: Case) -> str:
    if _text(detail, "request"):
        return _("A message was sent to the requester of %(reference)s.") % {"reference": _text(detail, "request")}
    return _("A message was sent to the requester.")


def _who(detail: dict[str, Any], case: Case, text: str) -> str:
    return text % {"member": _text(detail, "member") or _("a former member")}


def _compartment(detail: dict[str, Any], case: Case, text: str) -> str:
    return text % {
        "kind": choice_label(CompartmentKind, _text(detail, "kind")),
        "pseudonym": _text(detail, "pseudonym"),
        "member": _text(detail, "member"),
    }


def _task(detail: dict[str, Any], case: Case) -> str:
    due = _text(detail, "due_on")
    if due:
        return _("Task added: “%(title)s”, due %(due)s.") % {"title": _text(detail, "title"), "due": due}
    return _("Task added: “%(title)s”.") % {"title": _text(detail, "title")}


def _expense(detail: dict[str, Any], case: Case) -> str:
    minor, currency = detail.get("amount_minor"), detail.get("currency")
    if isinstance(minor, int) and isinstance(currency, str):
        amount = format_amount(minor, currency)
    else:  # recorded before amounts had minor units and their own currency: whole units of the case's
        amount, currency = _text(detail, "amount"), case.currency
    return _("Expense recorded: %(amount)s %(currency)s for %(category)s.") % {
        "amount": amount,
        "currency": currency,
        "category": choice_label(ExpenseCategory, _text(detail, "category")).lower(),
    }


def _rotated(detail: dict[str, Any], case: Case) -> str:
    count = detail.get("keys")
    if not isinstance(count, int):
        return ""
    return ngettext(
        "%(count)d key of the case was rotated: former holders can no longer open it.",
        "%(count)d keys of the case were rotated: former holders can no longer open them.",
        count,
    ) % {"count": count}


_SENTENCES: dict[str, Callable[[dict[str, Any], Case], str]] = {
    EventKind.OPENED: _opened,
    EventKind.STAGE: _stage,
    EventKind.PRIORITY: _edited,
    EventKind.EDITED: _edited,
    EventKind.TEAM_ADDED: lambda d, c: _who(d, c, _("%(member)s was added to the team.")),
    EventKind.TEAM_REMOVED: lambda d, c: _who(d, c, _("%(member)s was removed from the team.")),
    EventKind.LEAD_CHANGED: lambda d, c: _who(d, c, _("%(member)s leads the case now.")),
    EventKind.PERSON_ADDED: lambda d, c: (
        _("%(pseudonym)s was added to the case (%(role)s).")
        % {"pseudonym": _text(d, "pseudonym"), "role": choice_label(PersonRole, _text(d, "role")).lower()}
    ),
    EventKind.COMPARTMENT: lambda d, c: _compartment(d, c, _("“%(kind)s” of %(pseudonym)s was changed.")),
    EventKind.COMPARTMENT_SHARED: lambda d, c: _compartment(
        d, c, _("“%(kind)s” of %(pseudonym)s was shared with %(member)s.")
    ),
    EventKind.COMPARTMENT_UNSHARED: lambda d, c: _compartment(
        d, c, _("“%(kind)s” of %(pseudonym)s was taken back from %(member)s; its key was rotated.")
    ),
    EventKind.NOTE: lambda d, c: _("A note was added."),
    EventKind.TASK: _task,
    EventKind.TASK_DONE: lambda d, c: _("A task was marked done."),
    EventKind.EXPENSE: _expense,
    EventKind.MESSAGE: _message,
    EventKind.ATTACHED: lambda d, c: (
        _("Request %(reference)s was attached to the case.") % {"reference": _text(d, "request")}
    ),
    EventKind.DOCUMENT: lambda d, c: _("A document was added."),
    EventKind.PLACED: lambda d, c: (
        _("%(pseudonym)s was placed in the shelter %(shelter)s.")
        % {"pseudonym": _text(d, "pseudonym"), "shelter": _text(d, "shelter")}
    ),
    EventKind.PLACEMENT_ENDED: lambda d, c: (
        _("%(pseudonym)s left their shelter.") % {"pseudonym": _text(d, "pseudonym")}
    ),
    EventKind.LOST_CONTACT: lambda d, c: _("The lost-contact alarm was raised."),
    EventKind.CONTACT_BACK: lambda d, c: _("Contact was restored; the alarm was cleared."),
    EventKind.KEYS_ROTATED: _rotated,
}
