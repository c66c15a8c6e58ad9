"""Driving the portal as a browser without JavaScript would: GET a form, POST it back."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from refuge.intake.models import HelpRequest, RequestFile, RequestMessage
from refuge.keyring.keyring import Keyring
from refuge.requester.models import UsedFormNonce
from tests.personas import Persona

ANSWERS = {
    "what_happened": "Police came to my flat in Grozny and took my phone.",
    "where_now": "Makhachkala",
    "urgency": "now",
    "contact": "Signal after 20:00",
    "name": "Юрий Иванов",
    "phone": "+7 916 123-45-67",
    "documents": ["internal_passport"],
    "document_number": "96 05 123456",
    "others_at_risk": "My partner",
    "languages": ["ru", "other"],
    "languages_other": "Chechen",
    "anything_else": "I can only write at night.",
}
TEXT_FIELDS = [key for key, value in ANSWERS.items() if isinstance(value, str) and key != "urgency"]
ALLOWED_COOKIES = {"__Host-refuge-portal", "__Host-refuge-csrf", "__Host-refuge-lang"}


def form_token(html: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', html)
    assert match, "the page has no one-time form token"
    return match.group(1)


def page(client: Client, url: str, language: str = "en") -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, url
    return response.content.decode()


def send_request(
    client: Client, answers: dict[str, Any] | None = None, *, language: str = "en", org: str = "north", **extra: Any
):  # type: ignore[no-untyped-def]
    """GET the form, then POST it with the answers (and files), as a browser would."""
    token = form_token(page(client, f"/r/{org}/ask/", language))
    data = {**(ANSWERS if answers is None else answers), "form_token": token, **extra}
    return client.post(f"/r/{org}/ask/", data, HTTP_ACCEPT_LANGUAGE=language)


def receipt_in(html: str) -> str:
    groups = re.findall(r'<span class="receipt__group">([0-9A-Z]{4})</span>', html)
    assert len(groups) == 5, "no receipt on the page"
    return "-".join(groups)


def open_request(client: Client, receipt: str, language: str = "en"):  # type: ignore[no-untyped-def]
    return client.post("/r/status/", {"receipt": receipt}, HTTP_ACCEPT_LANGUAGE=language)


def rows() -> dict[str, int]:
    """What the portal could have written: a failed attempt leaves every count as it was."""
    from refuge.accounts.models import StaffSession
    from refuge.audit.models import AuditEntry

    return {
        "requests": HelpRequest.objects.count(),
        "messages": RequestMessage.objects.count(),
        "files": RequestFile.objects.count(),
        "nonces": UsedFormNonce.objects.count(),
        "sessions": StaffSession.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def intake_secret(persona: Persona, request: HelpRequest) -> bytes:
    return Keyring(persona.user, persona.private_key).secret_for(request.key)
