"""Bidirectional controls cannot make requester text read differently to staff (issue #16.12)."""

from __future__ import annotations

import html as html_lib

import pytest
from django import forms
from django.test import Client

from refuge.core.forms import CleanCharField, strip_bidi_controls
from refuge.intake.actions.messages import do_requester_message
from refuge.intake.models import HelpRequest
from refuge.intake.queries import read_answers, read_messages
from refuge.keyring.keyring import Keyring
from tests.personas import World, log_in
from tests.requester.helpers import ANSWERS, intake_secret, open_request, page, receipt_in, send_request

RLO, PDF, RLI, PDI, RLM = "\u202e", "\u202c", "\u2067", "\u2069", "\u200f"
CONTROLS = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]


def test_the_request_form_drops_bidi_controls_before_anything_is_stored(world: World) -> None:
    story = f"They took my phone {RLO}gpj.exe{PDF} and {RLI}left{PDI}."
    receipt = receipt_in(
        send_request(Client(), {**ANSWERS, "what_happened": story, "name": f"Ali{RLO}veY"}).content.decode()
    )
    request = HelpRequest.objects.get()
    answers = read_answers(request, intake_secret(world.ivan, request))
    assert answers["what_happened"] == "They took my phone gpj.exe and left."
    assert answers["name"] == "AliveY"
    client = Client()
    open_request(client, receipt)
    token = page(client, "/r/request/").split('name="form_token" value="', 1)[1].split('"', 1)[0]
    client.post("/r/request/", {"body": f"{RLO}olleh", "form_token": token})
    [message] = read_messages(request, intake_secret(world.ivan, request))
    assert message.text == "olleh"


@pytest.mark.parametrize("control", CONTROLS)
def test_every_embedding_override_and_isolate_is_dropped_and_marks_stay(control: str) -> None:
    field = CleanCharField(max_length=100)
    assert field.clean(f"a{control}b") == "ab"
    # Right-to-left marks nudge punctuation in Arabic or Hebrew text; harmless, kept.
    assert field.clean(f"שלום{RLM}!") == f"שלום{RLM}!"
    assert strip_bidi_controls("".join(CONTROLS)) == ""


def test_staff_forms_drop_them_too() -> None:
    class NoteForm(forms.Form):
        text = CleanCharField(max_length=100)

    form = NoteForm({"text": f"call {RLO}9999"})
    assert form.is_valid() and form.cleaned_data["text"] == "call 9999"


def test_text_stored_before_is_isolated_where_staff_read_it(world: World) -> None:
    send_request(Client())
    request = HelpRequest.objects.get()
    keyring = Keyring(world.ivan.user, world.ivan.private_key)
    # Written past the forms (as text stored before this change would be).
    do_requester_message(request=request, secret=keyring.secret_for(request.key), body=f"ok {RLO}kcabllac")
    client = Client()
    log_in(client, world.ivan)
    html = html_lib.unescape(client.get(f"/requests/{request.pk}/").content.decode())
    # dir="auto" isolates it: the override cannot reach the staff page around it.
    assert f'<p class="intake-text" dir="auto">ok {RLO}kcabllac</p>' in html
    assert f'<span class="intake-text" dir="auto">{ANSWERS["what_happened"]}</span>' in html
