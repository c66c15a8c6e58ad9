"""A requester, as they really arrive: a phone, JavaScript off, in Russian (then in English).

They send a request with a photo that carries their GPS position, keep the receipt,
come back later in a fresh browser, read the team's reply and answer it. The team
reads everything decrypted; the stored photo has no EXIF left.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from playwright.sync_api import Page, expect

from refuge.intake.actions.messages import do_reply
from refuge.intake.models import HelpRequest
from refuge.intake.queries import read_answers, read_file_content, read_files, read_messages
from refuge.keyring.keyring import Keyring
from tests.personas import World, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# `make screenshots` sets this to docs/screenshots; a normal run writes nothing there.
SHOTS = os.environ.get("REFUGE_SCREENSHOT_DIR")


def _shot(page: Page, name: str) -> None:
    # Requesters are on phones: the portal is shot at a phone's width, whole page.
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"portal-{name}.png"), full_page=True)


def _photo_with_gps(folder: Path) -> Path:
    """A phone photo that would betray where it was taken: GPS position and camera in EXIF."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Model 7"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (43.0, 19.0, 5.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (45.0, 41.0, 40.0)
    path = folder / "паспорт.jpg"
    Image.new("RGB", (320, 240), "olive").save(path, "JPEG", exif=exif)
    with Image.open(path) as written:
        assert written.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return path


RU = {
    "write": "Написать обращение",
    "what": "Что случилось?",
    "where": "Где вы сейчас?",
    "danger": "Мне угрожает опасность прямо сейчас",
    "contact": "Как и когда с вами безопасно связаться",
    "name": "Имя",
    "none": "Нет документов",
    "passport": "Внутренний паспорт",
    "files": "Файлы",
    "send": "Отправить",
    "written": "Код записан",
    "receipt": "Ваш код обращения",
    "open": "Открыть обращение",
    "message": "Ваше сообщение",
    "leave": "Выйти и забыть это устройство",
}
EN = {
    "write": "Write your request",
    "what": "What happened?",
    "where": "Where are you now?",
    "danger": "I am in danger right now",
    "contact": "Safe ways and times to contact you",
    "name": "Name",
    "none": "None",
    "passport": "Internal passport",
    "files": "Files",
    "send": "Send",
    "written": "I have written it down",
    "receipt": "Your receipt",
    "open": "Open my request",
    "message": "Your message",
    "leave": "Leave and forget this device",
}


def _fill_request(page: Page, words: dict[str, str], photo: Path) -> None:
    page.get_by_label(words["what"]).fill("Полиция приходила к родителям и спрашивала обо мне.")
    page.get_by_label(words["where"]).fill("Махачкала")
    page.get_by_label(words["danger"]).check()
    page.get_by_label(words["contact"]).fill("Signal после 20:00")
    page.get_by_label(words["name"], exact=False).first.fill("Юрий Иванов")
    page.get_by_label(words["files"]).set_input_files(str(photo))


def _receipt(page: Page) -> str:
    groups = page.locator(".receipt__group").all_inner_texts()
    assert len(groups) == 5
    return "-".join(groups)


def _team_replies(world: World, body: str) -> HelpRequest:  # noqa: F811
    request = HelpRequest.objects.get()
    keyring = Keyring(world.ivan.user, world.ivan.private_key)
    do_reply(actor=world.ivan.user, keyring=keyring, request=request, body=body)
    return request


def test_a_requester_in_russian_without_javascript_asks_comes_back_and_answers(
    live_server,
    new_page,
    world: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    photo = _photo_with_gps(tmp_path)
    page = new_page(java_script_enabled=False, locale="ru-RU")
    page.goto(f"{live_server.url}/r/north/")
    assert page.title() == "Форма связи"
    _shot(page, "landing-ru")
    # The first Tab reaches "Leave quickly", before anything else on the page.
    page.keyboard.press("Tab")
    assert page.locator(":focus").get_attribute("class") == "quick-exit"
    page.get_by_role("link", name=RU["write"]).first.click()
    _shot(page, "form-ru")

    # A mistake the server catches: everything typed comes back, files are asked for again.
    _fill_request(page, RU, photo)
    page.get_by_label(RU["none"]).check()
    page.get_by_label(RU["passport"]).check()
    page.get_by_role("button", name=RU["send"]).click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.get_by_label(RU["what"]).input_value() == "Полиция приходила к родителям и спрашивала обо мне."
    assert page.get_by_label(RU["where"]).input_value() == "Махачкала"
    expect(page.get_by_text("выберите их ещё раз")).to_be_visible()
    _shot(page, "form-error-ru")
    assert HelpRequest.objects.count() == 0

    page.get_by_label(RU["none"]).uncheck()
    page.get_by_label(RU["files"]).set_input_files(str(photo))
    page.get_by_role("button", name=RU["send"]).click()
    expect(page.get_by_role("heading", name="Ваше обращение отправлено")).to_be_visible()
    receipt = _receipt(page)
    expect(page.get_by_text("GPS-координаты")).to_be_visible()
    _shot(page, "receipt-ru")
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert cookies <= {"__Host-refuge-csrf", "__Host-refuge-lang"}

    # Intake reads the request; the stored photo carries no EXIF at all.
    request = HelpRequest.objects.get()
    secret = Keyring(world.ivan.user, world.ivan.private_key).secret_for(request.key)
    answers = read_answers(request, secret)
    assert answers["where_now"] == "Махачкала"
    assert answers["documents"] == ["internal_passport"]
    assert request.urgency == "now" and request.language == "ru"
    [stored] = read_files(request, secret)
    assert "gps" in stored.removed
    cleaned = Image.open(io.BytesIO(read_file_content(stored.file, secret)))
    assert dict(cleaned.getexif()) == {}
    assert cleaned.size == (320, 240)

    _team_replies(world, "Мы прочитали ваше обращение. Вы сейчас в безопасном месте?")

    # Days later, another browser: only the receipt, written on paper.
    later = new_page(java_script_enabled=False, locale="ru-RU")
    later.goto(f"{live_server.url}/r/north/")
    later.get_by_role("link", name="Проверить отправленное обращение").click()
    _shot(later, "status-ru")
    later.get_by_label(RU["receipt"]).fill(receipt.lower().replace("-", " "))
    later.get_by_role("button", name=RU["open"]).click()
    expect(later.get_by_text("Вы сейчас в безопасном месте?")).to_be_visible()
    expect(later.get_by_text("Мы ответили")).to_be_visible()
    expect(later.get_by_text("перед сохранением удалено: GPS-координаты")).to_be_visible()
    assert receipt not in later.content()
    assert "/r/request/" in later.url
    portal = {cookie["name"]: cookie for cookie in later.context.cookies()}["__Host-refuge-portal"]
    assert portal["httpOnly"] and portal["secure"] and portal["sameSite"] == "Strict"
    assert portal["expires"] == -1  # a browser-session cookie
    assert receipt.replace("-", "") not in portal["value"]
    _shot(later, "request-ru")

    later.get_by_label(RU["message"]).fill("Да, я у друга. Спасибо.")
    later.get_by_role("button", name=RU["send"]).click()
    expect(later.get_by_text("Ваше сообщение отправлено.")).to_be_visible()
    expect(later.get_by_text("Да, я у друга. Спасибо.")).to_be_visible()
    texts = [shown.text for shown in read_messages(HelpRequest.objects.get(), secret)]
    assert texts == ["Мы прочитали ваше обращение. Вы сейчас в безопасном месте?", "Да, я у друга. Спасибо."]

    later.get_by_role("button", name=RU["leave"]).click()
    expect(later.get_by_role("heading", name="Вы вышли из обращения")).to_be_visible()
    assert "__Host-refuge-portal" not in {cookie["name"] for cookie in later.context.cookies()}
    _shot(later, "left-ru")
    later.goto(f"{live_server.url}/r/request/")
    expect(later.get_by_label(RU["receipt"])).to_be_visible()


def test_the_portal_in_english_and_the_language_switch(
    live_server,
    new_page,
    world: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    page = new_page(java_script_enabled=False, locale="en-US")
    page.goto(f"{live_server.url}/r/north/")
    expect(page.get_by_role("heading", name="Ask North Rainbow for help")).to_be_visible()
    _shot(page, "landing-en")
    page.get_by_role("link", name=EN["write"]).first.click()
    _shot(page, "form-en")
    _fill_request(page, EN, _photo_with_gps(tmp_path))
    page.get_by_role("button", name=EN["send"]).click()
    receipt = _receipt(page)
    _shot(page, "receipt-en")
    page.get_by_role("link", name=EN["written"]).click()
    _shot(page, "status-en")
    page.get_by_label(EN["receipt"]).fill("0000-0000-0000-0000-0000")
    page.get_by_role("button", name=EN["open"]).click()
    expect(page.get_by_text("We could not open a request with this receipt.").first).to_be_visible()
    assert page.get_by_label(EN["receipt"]).input_value() == "0000-0000-0000-0000-0000"
    _shot(page, "status-error-en")
    page.get_by_label(EN["receipt"]).fill(receipt)
    page.get_by_role("button", name=EN["open"]).click()
    _team_replies(world, "We read your request. Are you somewhere safe tonight?")
    page.reload()
    expect(page.get_by_text("Are you somewhere safe tonight?")).to_be_visible()
    _shot(page, "request-en")

    # The language switch needs no script and keeps the requester on the same page.
    page.get_by_label("Language").select_option("ru")
    page.get_by_role("button", name="Change").click()
    assert "/r/request/" in page.url
    expect(page.get_by_role("heading", name="Ваше обращение")).to_be_visible()

    page.get_by_role("button", name=RU["leave"]).click()
    page.get_by_label("Язык").select_option("en")
    page.get_by_role("button", name="Сменить").click()
    _shot(page, "left-en")
    expect(page.get_by_role("heading", name="You have left your request")).to_be_visible()
