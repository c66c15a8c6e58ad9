"""Support letters: a PDF in Russian or English inside the packet, filled with the chosen fields only.

The packet is opened with the real `age` tool; the letter's text is read back with `pdftotext`
(the names and dates are there, no canary of an unchosen field is) and its fonts with `pdffonts`
(all embedded). Each page is rendered with `pdftoppm`; with REFUGE_SCREENSHOT_DIR set the pages
are saved as docs/screenshots/letter-<kind>-<language>-<page>.png.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from refuge.core.errors import UserError
from refuge.disclosures import packets
from refuge.disclosures.models import Packet
from tests.disclosures.support import (
    CANARIES,
    DATE_OF_BIRTH,
    LEGAL_NAME,
    PARTNER_CANARY,
    add_partner,
    age_key,
    approve,
    case_with_identity,
    consent,
    embedded_fonts,
    open_with_age_cli,
    packet_json,
    pdf_text,
    prepare,
)
from tests.personas import World
from tests.workspace.people_support import ring

SCREENSHOTS = os.environ.get("REFUGE_SCREENSHOT_DIR", "")
WORDS = {
    ("visa", "ru"): ("Письмо поддержки заявления на гуманитарную визу", "Полное имя (как в паспорте)", "Дата рождения"),
    ("visa", "en"): (
        "Letter of support for a humanitarian visa application",
        "Legal name (as in the passport)",
        "Date of birth",
    ),
    ("resettlement", "ru"): ("Направление на переселение", "Полное имя (как в паспорте)", "Дата рождения"),
    ("border", "en"): ("Letter for the border guard or the police", "Legal name (as in the passport)", "Date of birth"),
}


def _letter_files(world: World, tmp_path: Path, kind: str, language: str) -> dict[str, bytes]:
    key = age_key(tmp_path)
    case, person = case_with_identity(world)
    packet = prepare(world, case, person, add_partner(world, key.recipient), letter=kind, letter_language=language)
    consent(world, packet)
    return open_with_age_cli(packets.do_take_download(token=approve(world, packet).token) or b"", key, tmp_path)


def _pages(pdf: bytes, tmp_path: Path, stem: str) -> list[Path]:
    """Each page rendered to PNG by pdftoppm (poppler), as a reader's viewer would draw it."""
    source = tmp_path / f"{stem}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(source), str(tmp_path / stem)], check=True)
    return sorted(tmp_path.glob(f"{stem}-*.png"))


@pytest.mark.parametrize(("kind", "language"), sorted(WORDS))
def test_the_letter_holds_the_chosen_names_and_dates_and_nothing_unchosen(
    world: World, tmp_path: Path, kind: str, language: str
) -> None:
    files = _letter_files(world, tmp_path, kind, language)
    assert sorted(files) == ["letter.pdf", "packet.json", "summary.pdf"]
    assert packet_json(files)["letter"] == {"kind": kind, "language": language}
    text = " ".join(pdf_text(files["letter.pdf"], tmp_path, "letter.pdf").split())
    title, name_label, birth_label = WORDS[(kind, language)]
    assert title in text
    assert f"{name_label}: {LEGAL_NAME}" in text
    assert f"{birth_label}: {DATE_OF_BIRTH}" in text
    assert datetime.date.today().isoformat() in text  # the letter's date
    assert world.north.name in text  # the organisation that writes it
    for canary in (*CANARIES, "CANARY-PARTNER-NAME", "CANARY-CONTACT", PARTNER_CANARY):
        assert canary not in text


@pytest.mark.parametrize(("kind", "language"), sorted(WORDS))
def test_the_letter_embeds_its_fonts_and_renders_every_page(
    world: World, tmp_path: Path, kind: str, language: str
) -> None:
    letter = _letter_files(world, tmp_path, kind, language)["letter.pdf"]
    fonts = embedded_fonts(letter, tmp_path)
    assert fonts and all(embedded == "yes" for _name, embedded in fonts), fonts
    pages = _pages(letter, tmp_path, f"letter-{kind}-{language}")
    assert pages and all(page.stat().st_size > 1_000 for page in pages)
    if SCREENSHOTS:
        for page in pages:
            shutil.copy(page, Path(SCREENSHOTS) / page.name)


def test_an_unknown_letter_or_language_or_nothing_chosen_is_refused_and_writes_nothing(
    world: World, tmp_path: Path
) -> None:
    case, person = case_with_identity(world)
    partner = add_partner(world, age_key(tmp_path).recipient)
    with pytest.raises(UserError) as refused:
        prepare(world, case, person, partner, letter="passport-office", letter_language="ru")
    assert refused.value.code == "bad_letter"
    with pytest.raises(UserError) as refused:
        prepare(world, case, person, partner, letter="visa", letter_language="de")
    assert refused.value.code == "bad_language"
    with pytest.raises(UserError) as refused:
        packets.do_prepare_packet(
            actor=world.bob.refresh().user,
            keyring=ring(world.bob),
            case=case,
            partner=partner,
            purpose="x",
            selection=[],
            letter="visa",
            letter_language="en",
        )
    assert refused.value.code == "nothing_chosen"
    assert not Packet.objects.exists()


def test_the_packet_page_previews_the_letter_in_its_language(world: World, client_for, tmp_path: Path) -> None:
    case, person = case_with_identity(world)
    packet = prepare(
        world, case, person, add_partner(world, age_key(tmp_path).recipient), letter="visa", letter_language="ru"
    )
    page = client_for(world.bob).get(f"/cases/{case.pk}/disclosures/{packet.pk}/").content.decode()
    assert "Письмо поддержки заявления на гуманитарную визу" in page
    assert LEGAL_NAME in page and 'lang="ru"' in page
    for canary in CANARIES:
        assert canary not in page
