"""The organisation's support letters (coordinators): the wording of each kind in each language.

A coordinator sees which letters have the organisation's own wording, edits one (the built-in
text is where they start), previews it filled with a sample person before saving, and can go
back to the built-in text. The wording is checked and written by refuge/disclosures/letter_templates.py.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from refuge.disclosures import letter_templates
from refuge.disclosures.letters import PARTS, LetterKind, LetterLanguage, Template, checked_template, letter_of
from refuge.workspace.decorators import LOCKED, UNREADABLE, Refusal, StaffRequest, staff_view
from refuge.workspace.forms_disclosures import LetterTemplateForm
from refuge.workspace.submit import submit


def _coordinator(request: StaffRequest) -> None:
    if not letter_templates.can_manage_letters(request.member):
        raise Http404


@staff_view()
def letter_template_list_view(request: StaffRequest) -> HttpResponse:
    _coordinator(request)
    rows = letter_templates.letter_template_rows(request.member.organisation_id)
    return render(request, "workspace/disclosures/letter_templates.html", {"rows": rows})


def sample_letter(request: StaffRequest, kind: str, language: str, template: Template) -> Any:
    """The letter as a partner would read it, for a sample person: nothing of any case is read."""
    with_words = {
        "from": request.member.organisation.name,
        "prepared_on": timezone.localdate().isoformat(),
        "purpose": _("(the purpose written for the packet)"),
        "people": [
            {
                "label": "",
                "fields": [
                    {"name": "identity.legal_name", "label": "", "value": _("(chosen from the case)")},
                    {"name": "identity.date_of_birth", "label": "", "value": _("(chosen from the case)")},
                ],
            }
        ],
        "letter": {"kind": kind, "language": language},
    }
    return letter_of(with_words, template)


def _render_edit(
    request: StaffRequest, kind: str, language: str, form: LetterTemplateForm, *, preview: Any = None, status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "kind": kind,
        "language": language,
        "kind_label": LetterKind(kind).label,
        "language_label": LetterLanguage(language).label,
        "preview": preview,
        "own": letter_templates.has_own_wording(request.member.organisation_id, kind, language),
    }
    return render(request, "workspace/disclosures/letter_template_edit.html", context, status=status)


def _read_form(request: StaffRequest, kind: str, language: str) -> LetterTemplateForm:
    wording = letter_templates.open_letter_template(request.member, request.keyring, kind, language)
    initial = wording.template.as_dict() | {"version": wording.own.version if wording.own else 0}
    return LetterTemplateForm(initial=initial)


def _edit_page(request: StaffRequest, refusal: Refusal, kind: str, language: str, **_rest: Any) -> HttpResponse:
    """The boundary's page: the letter as it is now, saying why nothing changed."""
    if refusal.code not in {LOCKED, UNREADABLE}:
        messages.error(request, refusal.message)
    return _render_edit(request, kind, language, _read_form(request, kind, language), status=refusal.status)


@never_cache
@staff_view(page=_edit_page)
def letter_template_edit_view(request: StaffRequest, kind: str, language: str) -> HttpResponse:
    _coordinator(request)
    kind, language = letter_templates.checked_kind(kind, language)
    if request.method != "POST":
        return _render_edit(request, kind, language, _read_form(request, kind, language))
    form = LetterTemplateForm(request.POST)
    parts = lambda data: {part: data[part] for part in PARTS}  # noqa: E731
    if "preview" in request.POST:
        # Checked as a save would be, and nothing written.
        checked = submit(form, lambda data: checked_template(parts(data)))
        preview = sample_letter(request, kind, language, checked.value) if checked else None
        return _render_edit(request, kind, language, form, preview=preview, status=200 if checked else 400)
    act = lambda data: letter_templates.do_save_letter_template(  # noqa: E731
        actor=request.member,
        keyring=request.keyring,
        kind=kind,
        language=language,
        parts=parts(data),
        version=data["version"],
    )
    if submit(form, act) is None:
        return _render_edit(request, kind, language, form, status=400)
    messages.success(request, _("The letter's wording is saved. Packets approved from now on use it."))
    return redirect("workspace:letter_templates")


def _list_page(request: StaffRequest, refusal: Refusal, **_rest: Any) -> HttpResponse:
    messages.error(request, refusal.message)
    rows = letter_templates.letter_template_rows(request.member.organisation_id)
    return render(request, "workspace/disclosures/letter_templates.html", {"rows": rows}, status=refusal.status)


@require_POST
@staff_view(page=_list_page)
def letter_template_reset_view(request: StaffRequest, kind: str, language: str) -> HttpResponse:
    _coordinator(request)
    kind, language = letter_templates.checked_kind(kind, language)
    letter_templates.do_reset_letter_template(actor=request.member, kind=kind, language=language)
    messages.success(request, _("The letter has the built-in wording again."))
    return redirect("workspace:letter_templates")
