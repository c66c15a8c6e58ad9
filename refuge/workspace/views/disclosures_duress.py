"""The empty duress versions of the coordinators' disclosure pages (refuge/workspace/duress.py).

What a new organisation shows: no disclosure, no partner, every support letter with its
built-in wording, and the import form.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from refuge.accounts.models import User
from refuge.disclosures.access import can_import_referrals, can_manage_partners
from refuge.disclosures.letter_templates import TemplateRow, can_manage_letters
from refuge.disclosures.letters import LetterKind, LetterLanguage
from refuge.workspace.duress import EmptyPage, register_empty_page
from refuge.workspace.forms_disclosures import ReferralImportForm


def _register(request: HttpRequest, user: User) -> HttpResponse:
    return render(request, "workspace/disclosures/register.html", {"rows": []})


def _partners(request: HttpRequest, user: User) -> HttpResponse:
    return render(request, "workspace/disclosures/partners.html", {"partners": []})


def _letters(request: HttpRequest, user: User) -> HttpResponse:
    rows = [
        TemplateRow(kind.value, str(kind.label), language.value, str(language.label), None)
        for kind in LetterKind
        for language in LetterLanguage
    ]
    return render(request, "workspace/disclosures/letter_templates.html", {"rows": rows})


def _import(request: HttpRequest, user: User) -> HttpResponse:
    return render(request, "workspace/disclosures/referral_import.html", {"form": ReferralImportForm()})


def register() -> None:
    register_empty_page(EmptyPage("workspace:disclosure_register", _register, can_manage_partners))
    register_empty_page(EmptyPage("workspace:partner_list", _partners, can_manage_partners))
    register_empty_page(EmptyPage("workspace:letter_templates", _letters, can_manage_letters))
    register_empty_page(EmptyPage("workspace:referral_import", _import, can_import_referrals))
