"""The request form: what intake receives, and every bad input refused clearly with nothing written."""

from __future__ import annotations

import html as html_lib
import io
import uuid

import pytest
from django.db import connection
from django.test import Client, override_settings
from PIL import Image

from refuge.core import counters
from refuge.intake.models import HelpRequest, IntakeQuestion
from refuge.intake.queries import read_answers, read_file_content, read_files
from tests.personas import World
from tests.requester.helpers import (
    ANSWERS,
    TEXT_FIELDS,
    form_token,
    intake_secret,
    page,
    receipt_in,
    rows,
    send_request,
)


def _only_request() -> HelpRequest:
    assert HelpRequest.objects.count() == 1
    return HelpRequest.objects.get()


def _question(world: World, kind: str, **fields: object) -> IntakeQuestion:
    defaults = {"label_en": f"A {kind} question", "label_ru": f"Вопрос ({kind})", "position": 1}
    return IntakeQuestion.objects.create(organisation=world.north, kind=kind, **{**defaults, **fields})


def _jpeg(name: str = "photo.jpg") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def test_a_request_reaches_intake_with_every_answer_under_its_key(world: World) -> None:
    response = send_request(Client())
    assert response.status_code == 200
    assert receipt_in(response.content.decode())
    request = _only_request()
    answers = read_answers(request, intake_secret(world.ivan, request))
    expected = {key: value for key, value in ANSWERS.items() if key != "urgency"}
    assert answers == {**expected, "custom": {}}
    assert request.urgency == "now"
    assert request.language == "en"
    # name, phone and document number feed the duplicate search.
    assert set(request.indexes.values_list("field", flat=True)) == {"name", "phone", "document_number"}


def test_only_the_story_the_place_and_the_urgency_are_required(world: World) -> None:
    minimal = {"what_happened": "They know where I live.", "where_now": "Kazan", "urgency": "weeks"}
    response = send_request(Client(), minimal, language="ru")
    assert receipt_in(response.content.decode())
    request = _only_request()
    assert request.language == "ru"
    assert read_answers(request, intake_secret(world.ivan, request))["documents"] == []


def test_the_receipt_is_shown_once_and_kept_nowhere(world: World) -> None:
    client = Client()
    response = send_request(client)
    receipt = receipt_in(response.content.decode())
    assert "Cache-Control" in response and response["Cache-Control"] == "no-store"
    assert all(receipt not in cookie.value for cookie in response.cookies.values())
    assert receipt not in page(client, "/r/status/")
    assert not HelpRequest.objects.filter(lookup_id__icontains=receipt.replace("-", "")).exists()


def test_files_are_stored_cleaned_and_the_receipt_page_says_what_was_removed(world: World) -> None:
    photo = _jpeg()
    image = Image.open(photo)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    buffer.seek(0)
    buffer.name = "passport.jpg"
    response = send_request(Client(), {**ANSWERS, "files": [buffer]})
    html = response.content.decode()
    assert "passport.jpg" in html
    assert "camera make and model" in html
    request = _only_request()
    secret = intake_secret(world.ivan, request)
    [shown] = read_files(request, secret)
    assert shown.name == "passport.jpg"
    assert not Image.open(io.BytesIO(read_file_content(shown.file, secret))).getexif()


def test_the_organisations_own_questions_are_asked_and_stored_by_question_id(world: World) -> None:
    text = _question(world, "text", position=1)
    choice = _question(
        world, "choice", position=2, choices=[{"en": "Yes, a lawyer", "ru": "Да, адвокат"}, {"en": "No", "ru": "Нет"}]
    )
    yes_no = _question(world, "yesno", position=3)
    date = _question(world, "date", position=4)
    _question(world, "text", position=5, active=False, label_en="Retired question")
    html = page(Client(), "/r/north/ask/", "ru")
    assert "Вопрос (choice)" in html and "Да, адвокат" in html
    assert "Retired question" not in html
    custom = {
        f"q_{text.pk.hex}": "Nobody else",
        f"q_{choice.pk.hex}": "0",
        f"q_{yes_no.pk.hex}": "no",
        f"q_{date.pk.hex}": "2024-03-01",
    }
    send_request(Client(), {**ANSWERS, **custom}, language="ru")
    request = _only_request()
    assert read_answers(request, intake_secret(world.ivan, request))["custom"] == {
        str(text.pk): "Nobody else",
        str(choice.pk): 0,
        str(yes_no.pk): False,
        str(date.pk): "2024-03-01",
    }


# --- bad input: a clear error in the reader's language, everything typed kept, nothing written ---


def _refused(response, field_error: str) -> str:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    assert response.status_code == 400
    assert field_error in html_lib.unescape(html), html_lib.unescape(html)[:6000]
    assert 'class="receipt"' not in html
    return html


def _keeps_everything_typed(html: str, answers: dict[str, object]) -> None:
    for key in TEXT_FIELDS:
        assert html_lib.escape(str(answers[key])) in html, key


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "This field is required."), ("ru", "Обязательное поле.")],
)
def test_a_missing_answer_is_explained_and_nothing_typed_is_lost(world: World, language: str, message: str) -> None:
    before = rows()
    answers = {**ANSWERS, "where_now": ""}
    html = _refused(send_request(Client(), answers, language=language), message)
    _keeps_everything_typed(html, answers)
    assert 'id="id_where_now_error"' in html
    assert rows() == before


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "This is too long: at most 200 characters."), ("ru", "Слишком длинный текст: не более 200 символов.")],
)
def test_an_overlong_answer_is_refused_next_to_its_field(world: World, language: str, message: str) -> None:
    before = rows()
    _refused(send_request(Client(), {**ANSWERS, "where_now": "Я" * 201}, language=language), message)
    assert rows() == before


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This text contains characters that cannot be read"),
        ("ru", "В тексте есть символы, которые невозможно прочитать"),
    ],
)
def test_control_characters_are_refused(world: World, language: str, message: str) -> None:
    before = rows()
    _refused(send_request(Client(), {**ANSWERS, "name": "Ivan\x1b[2J"}, language=language), message)
    assert rows() == before


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This text contains characters that cannot be read"),
        ("ru", "В тексте есть символы, которые невозможно прочитать"),
    ],
)
def test_a_body_that_is_not_valid_utf8_is_refused(world: World, language: str, message: str) -> None:
    client = Client()
    token = form_token(page(client, "/r/north/ask/"))
    boundary = "XyZ"
    parts = {
        "form_token": token.encode(),
        "where_now": b"Kazan",
        "urgency": b"now",
        "what_happened": b"bad \xff\xfe bytes",
    }
    body = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
            for name, value in parts.items()
        )
        + f"--{boundary}--\r\n".encode()
    )
    before = rows()
    response = client.generic(
        "POST",
        "/r/north/ask/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    _refused(response, message)
    assert rows() == before


def test_a_huge_answer_to_an_own_question_is_refused(world: World) -> None:
    question = _question(world, "text")
    before = rows()
    _refused(send_request(Client(), {**ANSWERS, f"q_{question.pk.hex}": "x" * 2_001}), "at most 2,000 characters")
    assert rows() == before


@pytest.mark.parametrize(
    ("language", "message"), [("en", "Choose one of the answers."), ("ru", "Выберите один из вариантов ответа.")]
)
def test_a_choice_that_was_not_offered_is_refused(world: World, language: str, message: str) -> None:
    choice = _question(world, "choice", choices=[{"en": "A", "ru": "А"}])
    yes_no = _question(world, "yesno")
    before = rows()
    for field, value in [
        (f"q_{choice.pk.hex}", "7"),
        (f"q_{yes_no.pk.hex}", "maybe"),
        ("urgency", "yesterday"),
        ("documents", "visa"),
    ]:
        _refused(send_request(Client(), {**ANSWERS, field: value}, language=language), message)
    assert rows() == before


def test_a_date_must_be_a_real_date_and_not_in_the_future(world: World) -> None:
    date = _question(world, "date")
    before = rows()
    _refused(send_request(Client(), {**ANSWERS, f"q_{date.pk.hex}": "2024-02-31"}), "Enter a real date")
    _refused(send_request(Client(), {**ANSWERS, f"q_{date.pk.hex}": "2204-01-01"}), "This date is in the future.")
    _refused(
        send_request(Client(), {**ANSWERS, f"q_{date.pk.hex}": "2204-01-01"}, language="ru"),
        "Эта дата ещё не наступила.",
    )
    assert rows() == before


def test_a_required_own_question_must_be_answered(world: World) -> None:
    question = _question(world, "yesno", required=True)
    _refused(send_request(Client(), ANSWERS), "Choose an answer.")
    send_request(Client(), {**ANSWERS, f"q_{question.pk.hex}": "yes"})
    assert HelpRequest.objects.count() == 1


def test_none_and_a_document_cannot_both_be_chosen(world: World) -> None:
    _refused(send_request(Client(), {**ANSWERS, "documents": ["none", "internal_passport"]}), "not both")


def test_files_that_cannot_be_kept_are_asked_for_again(world: World) -> None:
    before = rows()
    html = _refused(send_request(Client(), {**ANSWERS, "where_now": "", "files": [_jpeg()]}), "This field is required.")
    assert "please choose your files again" in html
    assert rows() == before


def test_a_file_that_is_not_a_photo_or_pdf_is_refused_and_the_answers_kept(world: World) -> None:
    script = io.BytesIO(b"#!/bin/sh\nrm -rf /\n")
    script.name = "run.sh"
    before = rows()
    html = _refused(send_request(Client(), {**ANSWERS, "files": [script]}), "We cannot accept “run.sh”")
    _keeps_everything_typed(html, ANSWERS)
    assert rows() == before


def test_too_many_files_are_refused(world: World) -> None:
    before = rows()
    _refused(send_request(Client(), {**ANSWERS, "files": [_jpeg(f"p{i}.jpg") for i in range(6)]}), "at most 5 files")
    assert rows() == before


def test_a_file_over_the_limit_is_refused_without_being_read_whole(world: World) -> None:
    big = io.BytesIO(b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024))
    big.name = "huge.jpg"
    before = rows()
    _refused(send_request(Client(), {**ANSWERS, "files": [big]}), "“huge.jpg” is too large")
    assert rows() == before


# --- replays, floods, forged tokens, CSRF ---


def test_a_form_sent_twice_creates_one_request_and_says_so(world: World) -> None:
    client = Client()
    token = form_token(page(client, "/r/north/ask/"))
    first = client.post("/r/north/ask/", {**ANSWERS, "form_token": token})
    assert receipt_in(first.content.decode())
    before = rows()
    again = client.post("/r/north/ask/", {**ANSWERS, "form_token": token})
    html = _refused(again, "This form was already sent, and your receipt was shown then.")
    _keeps_everything_typed(html, ANSWERS)
    assert form_token(html) != token  # sending it once more is a deliberate new request
    assert rows() == before
    client.post("/r/north/ask/", {**ANSWERS, "form_token": form_token(html)})
    assert HelpRequest.objects.count() == 2


@pytest.mark.parametrize("token", ["", "made-up", "x" * 500, "abc:1:forged"])
def test_a_missing_or_forged_form_token_is_refused(world: World, token: str) -> None:
    before = rows()
    response = Client().post("/r/north/ask/", {**ANSWERS, "form_token": token})
    html = _refused(response, "This form could not be checked. Please send it again.")
    _keeps_everything_typed(html, ANSWERS)
    assert rows() == before


def test_an_expired_form_token_is_refused_kindly(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    client = Client()
    token = form_token(page(client, "/r/north/ask/"))
    later = time.time() + 25 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    _refused(client.post("/r/north/ask/", {**ANSWERS, "form_token": token}), "open for more than a day")
    assert HelpRequest.objects.count() == 0


@override_settings(REFUGE_SUBMISSIONS_PER_MINUTE=2)
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "We are receiving many requests right now. Please try again in a minute."),
        ("ru", "Сейчас приходит очень много обращений. Пожалуйста, попробуйте ещё раз через минуту."),
    ],
)
def test_a_flood_is_slowed_and_the_answers_kept(world: World, language: str, message: str) -> None:
    send_request(Client())
    send_request(Client())
    before = rows()
    html = _refused(send_request(Client(), language=language), message)
    _keeps_everything_typed(html, ANSWERS)
    assert rows() == before
    # Per organisation: another one is not affected.
    from tests.personas import make_member  # noqa: F401  (south needs no members to receive)

    assert receipt_in(send_request(Client(), org="south").content.decode())


@override_settings(REFUGE_SUBMISSIONS_PER_MINUTE=2)
def test_the_flood_brake_counts_what_is_stored_not_what_is_refused(world: World) -> None:
    # On SQLite the count is added in the transaction that stores the request (requester/limits.py):
    # a replayed form, refused and rolled back, uses none of the minute's budget. On PostgreSQL it is
    # counted in its own statement before the work, as every form sent.
    client = Client()
    token = form_token(page(client, "/r/north/ask/"))
    assert receipt_in(client.post("/r/north/ask/", {**ANSWERS, "form_token": token}).content.decode())
    _refused(client.post("/r/north/ask/", {**ANSWERS, "form_token": token}), "This form was already sent")
    in_transaction = connection.vendor == "sqlite"
    assert counters.highest("submissions", [str(world.north.pk)]) == (1 if in_transaction else 2)
    if in_transaction:
        assert receipt_in(send_request(Client()).content.decode())
    before = rows()
    _refused(send_request(Client()), "We are receiving many requests right now.")
    assert rows() == before
    # A refusal before the work writes nothing on SQLite (a read); PostgreSQL counts it.
    assert counters.highest("submissions", [str(world.north.pk)]) == (2 if in_transaction else 3)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_form_without_its_csrf_token_gets_the_form_expired_page(world: World, language: str) -> None:
    client = Client(enforce_csrf_checks=True)
    token = form_token(page(client, "/r/north/ask/"))
    before = rows()
    response = client.post("/r/north/ask/", {**ANSWERS, "form_token": token}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 403
    assert ("Form expired" if language == "en" else "Форма устарела") in response.content.decode()
    assert rows() == before


def test_the_csrf_token_is_enough_with_a_no_referrer_browser(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    html = page(client, "/r/north/ask/")
    csrf = client.cookies["__Host-refuge-csrf"].value
    data = {**ANSWERS, "form_token": form_token(html), "csrfmiddlewaretoken": csrf}
    response = client.post("/r/north/ask/", data, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin", secure=True)
    assert receipt_in(response.content.decode())


def test_an_unknown_question_id_in_the_form_is_ignored(world: World) -> None:
    send_request(Client(), {**ANSWERS, f"q_{uuid.uuid4().hex}": "smuggled"})
    request = _only_request()
    assert "smuggled" not in str(read_answers(request, intake_secret(world.ivan, request)))


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "The text of this form is too long"), ("ru", "Текст этой формы слишком длинный")],
)
def test_a_body_beyond_the_form_size_limit_is_a_clear_400(world: World, language: str, message: str) -> None:
    # Browsers stop typing at each field's maxlength; only a script sends 300 KB of text.
    before = rows()
    response = send_request(Client(), {**ANSWERS, "what_happened": "я" * 150_000}, language=language)
    assert response.status_code == 400
    # The form comes back with a message saying what to do, not a bare "Bad request" page.
    assert message in response.content.decode() and 'name="where_now"' in response.content.decode()
    assert rows() == before


def test_the_receipt_form_refuses_bytes_that_are_not_utf8(world: World) -> None:
    response = Client().generic(
        "POST", "/r/status/", b"receipt=%FF%FE%FD", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "This text contains characters that cannot be read." in response.content.decode()
