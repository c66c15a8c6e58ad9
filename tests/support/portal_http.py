"""The requester's steps on the portal over real HTTP (tests that drive `refuge serve`, with or without nginx)."""

from __future__ import annotations

import random
import re
from typing import Any

from tests.support.http import LoopbackClient, Response
from tests.support.load import requester_answers

RECEIPT_GROUP = re.compile(r'<span class="receipt__group">([0-9A-Z]{4})</span>')
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def submit(
    client: LoopbackClient, org: str, rng: random.Random, serial: str
) -> tuple[Response, Response, dict[str, Any]]:
    """GET the request form, POST it back as a browser does: (form page, answer, the fields sent)."""
    path = f"/r/{org}/ask/"
    form = client.get(path)
    assert form.status == 200, form.status
    token = FORM_TOKEN.search(form.text)
    assert token is not None, "no form token"
    answers, urgency = requester_answers(rng, serial)
    fields = {"csrfmiddlewaretoken": form.csrf_token(), "form_token": token.group(1), "urgency": urgency, **answers}
    return form, client.post_multipart(path, fields, []), fields


def receipt_of(answer: Response) -> str:
    """The receipt on the page that acknowledged a request."""
    groups = RECEIPT_GROUP.findall(answer.text)
    assert answer.status == 200 and len(groups) == 5, f"HTTP {answer.status}: no receipt"
    return "-".join(groups)


def open_with_receipt(receipt: str, port: int) -> tuple[Response, Response | None]:
    """ "Check a request you sent" in a fresh browser: the answer, and the request page it leads to."""
    client = LoopbackClient("127.0.0.1", port)
    page = client.get("/r/status/")
    answer = client.request("POST", "/r/status/", {"csrfmiddlewaretoken": page.csrf_token(), "receipt": receipt})
    if answer.status != 302:
        return answer, None
    return answer, client.get("/r/request/")
