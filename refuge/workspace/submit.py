"""A form's own refusals, shown next to its fields: the form half of the error boundary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django import forms
from django.views.decorators.debug import sensitive_variables

from refuge.core.errors import UserError
from refuge.core.forms import add_user_error
from refuge.workspace.decorators import CONFLICT

T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    """The action ran; what it returned."""

    value: T


# What was typed (passwords among it) stays out of error reports' frame variables.
@sensitive_variables()
def submit(form: forms.Form, act: Callable[[dict[str, Any]], T], *also: Any) -> Done[T] | None:
    """Validate the form (and any formsets with it), run its action; None if refused.

    A refusal is shown on the form, next to its field (invalid input, or the action's
    `UserError`), so the member corrects what they typed. A conflict (someone saved first) and
    a key the member lacks are not the form's to show: they go on to `staff_view`'s boundary,
    which renders the view's page as it is now.
    """
    # Every one validated, so that each shows its own errors.
    results = [form.is_valid()] + [other.is_valid() for other in also]
    if not all(results):
        return None
    try:
        return Done(act(form.cleaned_data))
    except UserError as error:
        if error.code == CONFLICT:
            raise
        add_user_error(form, error)
        return None
