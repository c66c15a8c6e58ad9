"""The organisation's own wording of its support letters: written by coordinators, checked, encrypted, sent as approved.

A coordinator writes the wording of a letter per kind and language (the built-in text is where
they start); an unknown placeholder or a brace left open is refused with a clear error and writes
nothing; a packet approved afterwards carries the new wording in its letter.pdf (read back with
`pdftotext`, fonts checked with `pdffonts`), and keeps it after the wording changes again.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import translation

from refuge.audit.models import AuditEntry
from refuge.core.errors import UserError
from refuge.disclosures import packets
from refuge.disclosures.audit_events import DisclosureEvent
from refuge.disclosures.letter_templates import do_reset_letter_template, do_save_letter_template
from refuge.disclosures.letters import PARTS, TEMPLATES, checked_part, fill
from refuge.disclosures.models import LetterTemplate, Packet
from refuge.keyring.models import Key
from tests.disclosures.support import (
    CANARIES,
    LEGAL_NAME,
    add_partner,
    age_key,
    approve,
    case_with_identity,
    consent,
    embedded_fonts,
    open_with_age_cli,
    pdf_text,
    prepare,
)
from tests.personas import World
from tests.workspace.people_support import ring

pytestmark = pytest.mark.django_db

OWN_EN = {
    "title": "Support letter of {org}",
    "addressee": "To the visa section, Embassy of Lithuania",
    "opening": "{org} supports this person's application ({purpose}); we met them before {date}.",
    "closing": "Questions: write to our office in Vilnius, desk 4.",
}
OWN_RU = {
    "title": "Письмо организации {org}",
    "addressee": "В визовый отдел посольства Литвы",
    "opening": "{org} поддерживает заявление этого человека. Цель: {purpose}.",
    "closing": "Вопросы направляйте в наш офис в Вильнюсе, окно 4.",
}


def _save(world: World, parts: dict[str, str], language: str = "en", version: int = 0) -> LetterTemplate:
    return do_save_letter_template(
        actor=world.alice.refresh().user,
        keyring=ring(world.alice),
        kind="visa",
        language=language,
        parts=parts,
        version=version,
    )


def _letter_text(world: World, tmp_path: Path, language: str) -> tuple[str, Packet, bytes]:
    key = age_key(tmp_path)
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, key.recipient), letter="visa", letter_language=language)
    consent(world, packet)
    files = open_with_age_cli(packets.do_take_download(token=approve(world, packet).token) or b"", key, tmp_path)
    letter = files["letter.pdf"]
    return " ".join(pdf_text(letter, tmp_path, "letter.pdf").split()), packet, letter


@pytest.mark.parametrize(("language", "own"), [("en", OWN_EN), ("ru", OWN_RU)])
def test_a_packet_approved_after_a_change_carries_the_organisations_wording(
    world: World, tmp_path: Path, language: str, own: dict[str, str]
) -> None:
    _save(world, own, language)
    text, _packet, letter = _letter_text(world, tmp_path, language)
    org = world.north.name
    values = {"org": org, "date": datetime.date.today().isoformat(), "purpose": "Resettlement referral"}
    for part in PARTS:
        assert " ".join(fill(own[part], values).split()) in text, part
    assert TEMPLATES["visa"][language].title not in text  # the built-in wording is replaced
    assert LEGAL_NAME in text
    for canary in CANARIES:
        assert canary not in text
    fonts = embedded_fonts(letter, tmp_path)
    assert fonts and all(embedded == "yes" for _name, embedded in fonts), fonts


def test_a_sent_packet_keeps_the_wording_it_was_approved_with(world: World, client_for, tmp_path: Path) -> None:
    first = _save(world, OWN_EN)
    _text, packet, _letter = _letter_text(world, tmp_path, "en")
    _save(world, OWN_EN | {"closing": "A later wording, never sent."}, version=first.version)
    page = client_for(world.bob).get(f"/cases/{packet.case_id}/disclosures/{packet.pk}/").content.decode()
    assert "Questions: write to our office in Vilnius, desk 4." in page
    assert "A later wording, never sent." not in page


def test_before_approval_a_caseworker_is_told_the_wording_is_the_coordinators(
    world: World, client_for, tmp_path: Path
) -> None:
    _save(world, OWN_EN)
    case, person = case_with_identity(world)
    packet = prepare(
        world, case, person, add_partner(world, age_key(tmp_path).recipient), letter="visa", letter_language="en"
    )
    worker = client_for(world.bob).get(f"/cases/{case.pk}/disclosures/{packet.pk}/").content.decode()
    assert "which only coordinators hold" in worker
    assert "desk 4" not in worker  # Bob does not hold the wording's key
    review = client_for(world.alice).get(f"/disclosures/{packet.pk}/").content.decode()
    assert "Questions: write to our office in Vilnius, desk 4." in review and LEGAL_NAME in review


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Dear {officer}", "unknown_placeholder"),
        ("{org.__class__.__init__.__globals__}", "unknown_placeholder"),
        ("{org!r} and {date:>30}", "unknown_placeholder"),
        ("{}", "unknown_placeholder"),
        ("{org", "bad_braces"),
        ("a } alone", "bad_braces"),
    ],
)
def test_a_bad_placeholder_is_refused_and_nothing_is_written(world: World, text: str, code: str) -> None:
    entries = AuditEntry.objects.count()
    with pytest.raises(UserError) as refused:
        _save(world, OWN_EN | {"opening": text})
    assert refused.value.code == code and refused.value.field == "opening"
    assert not LetterTemplate.objects.exists() and AuditEntry.objects.count() == entries


def test_the_refusal_is_translated_and_names_the_placeholder() -> None:
    with translation.override("ru"), pytest.raises(UserError) as refused:
        checked_part("closing", "Подпись: {director}")
    assert "Неизвестная подстановка {director}" in str(refused.value.message)
    assert checked_part("closing", "Braces themselves: {{ and }}") == "Braces themselves: {{ and }}"
    assert fill("Braces themselves: {{ and }}", {}) == "Braces themselves: { and }"


def test_the_built_in_wordings_pass_their_own_check() -> None:
    for languages in TEMPLATES.values():
        for template in languages.values():
            for part in PARTS:
                assert checked_part(part, getattr(template, part))


def test_the_wording_is_encrypted_and_audited_without_content(world: World) -> None:
    row = _save(world, OWN_EN)
    assert b"desk 4" not in bytes(row.text)
    entry = AuditEntry.objects.get(code=DisclosureEvent.LETTER_TEMPLATE_CHANGED)
    assert entry.object_id == str(row.pk) or str(entry.object_id) == str(row.pk)
    assert "desk" not in repr(AuditEntry.objects.filter(code__gte=3000).values_list())


def test_an_edit_from_a_stale_form_is_refused(world: World) -> None:
    first = _save(world, OWN_EN)
    _save(world, OWN_EN | {"closing": "Second."}, version=first.version)
    with pytest.raises(UserError) as refused:
        _save(world, OWN_EN | {"closing": "Third, from an old page."}, version=first.version)
    assert refused.value.code == "conflict"


def test_going_back_to_the_built_in_wording_shreds_the_own(world: World, client_for, tmp_path: Path) -> None:
    row = _save(world, OWN_EN)
    do_reset_letter_template(actor=world.alice.refresh().user, kind="visa", language="en")
    assert not LetterTemplate.objects.exists() and not Key.objects.filter(pk=row.key_id).exists()
    text, _packet, _letter = _letter_text(world, tmp_path, "en")
    assert TEMPLATES["visa"]["en"].title in text
    with pytest.raises(UserError) as refused:
        do_reset_letter_template(actor=world.alice.refresh().user, kind="visa", language="en")
    assert refused.value.code == "already_built_in"


def test_a_caseworker_cannot_write_the_wording(world: World) -> None:
    with pytest.raises(UserError):
        do_save_letter_template(
            actor=world.bob.refresh().user, keyring=ring(world.bob), kind="visa", language="en", parts=OWN_EN, version=0
        )
    assert not LetterTemplate.objects.exists()


def test_the_pages_edit_preview_and_save(world: World, client_for) -> None:
    alice = client_for(world.alice)
    listing = alice.get("/disclosures/letters/").content.decode()
    assert listing.count("Built-in") == 6
    page = alice.get("/disclosures/letters/border/ru/").content.decode()
    assert TEMPLATES["border"]["ru"].title in page
    body = OWN_EN | {"version": "0"}
    preview = alice.post("/disclosures/letters/visa/en/", body | {"preview": "1"})
    assert preview.status_code == 200
    assert f"Support letter of {world.north.name}" in preview.content.decode()
    assert not LetterTemplate.objects.exists()  # a preview writes nothing
    bad = alice.post("/disclosures/letters/visa/en/", body | {"closing": "Ask {director}"})
    assert bad.status_code == 400 and "Unknown placeholder {director}" in bad.content.decode()
    assert not LetterTemplate.objects.exists()
    saved = alice.post("/disclosures/letters/visa/en/", body)
    assert saved.status_code == 302 and LetterTemplate.objects.count() == 1
    assert "Your own, changed on" in alice.get("/disclosures/letters/").content.decode()
    assert alice.get("/disclosures/letters/visa/de/").status_code == 404
    assert alice.post("/disclosures/letters/visa/en/reset/").status_code == 302
    assert not LetterTemplate.objects.exists()
