"""Portal settings refuse what would mislead requesters; the session token opens only as sealed."""

from __future__ import annotations

import io
import random

import pytest
from django.core.files import uploadedfile
from django.http import HttpResponse
from django.test import Client
from PIL import Image

from refuge.core.env import ConfigurationError
from refuge.requester import session
from refuge.settings import _portal_exit_url, _portal_onion_origin
from tests.personas import World
from tests.requester.helpers import ANSWERS, receipt_in, send_request

ONION_NAME = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx"


def test_an_onion_location_is_reduced_to_its_origin() -> None:
    assert _portal_onion_origin("") == ""
    assert _portal_onion_origin(f"http://{ONION_NAME}.onion") == f"http://{ONION_NAME}.onion"
    assert _portal_onion_origin(f" HTTP://{ONION_NAME.upper()}.onion/r/north/ ") == f"http://{ONION_NAME}.onion"


@pytest.mark.parametrize(
    "value",
    [
        "example.org",
        "https://example.org",
        f"http://{ONION_NAME[:-1]}.onion",  # 55 characters: a v2 or mistyped address
        f"http://{ONION_NAME}1.onion",  # 1 is not base32
        f"http://{ONION_NAME}.onion.example.org",
        f"ftp://{ONION_NAME}.onion",
        f"http://{ONION_NAME}.onion\r\nSet-Cookie: x=1",
    ],
)
def test_a_wrong_onion_location_stops_the_start(value: str) -> None:
    with pytest.raises(ConfigurationError, match="REFUGE_ONION_LOCATION"):
        _portal_onion_origin(value)


@pytest.mark.parametrize(
    "value", ["", "weather", "javascript:alert(1)", "/local/page", 'https://x.example/"><b>', "https:// x.example"]
)
def test_a_quick_exit_address_must_be_an_absolute_web_address(value: str) -> None:
    with pytest.raises(ConfigurationError, match="REFUGE_QUICK_EXIT_URL"):
        _portal_exit_url(value)


def test_a_quick_exit_address_is_kept_as_given() -> None:
    assert _portal_exit_url("https://www.gismeteo.ru/ ") == "https://www.gismeteo.ru/"


def test_a_token_opens_only_unchanged_and_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    request_id, private_key, epoch = uuid.uuid4(), bytes(range(32)), 2**63 - 1
    token = session._seal(request_id, private_key, epoch)
    assert session._unseal(token) == (request_id, private_key, epoch)
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert session._unseal(flipped) is None
    assert session._unseal(token + "AAAA") is None
    later = session.time.time() + 31 * 60
    monkeypatch.setattr(session.time, "time", lambda: later)
    assert session._unseal(token) is None


def test_the_cookie_is_deleted_with_the_same_attributes() -> None:
    response = HttpResponse()
    session.forget_portal_cookie(response)
    cookie = response.cookies[session.COOKIE_NAME]
    assert cookie.value == "" and cookie["secure"] and cookie["path"] == "/" and cookie["samesite"] == "Strict"


def test_uploads_never_go_to_a_temporary_file_on_disk(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an upload was written to a temporary file")

    monkeypatch.setattr(uploadedfile.TemporaryUploadedFile, "__init__", refuse)
    photo = io.BytesIO()
    # Noise does not compress: well over Django's 2.5 MB in-memory limit.
    Image.frombytes("RGB", (1000, 1000), random.Random(1).randbytes(3_000_000)).save(photo, "PNG")
    assert photo.tell() > 2_621_440
    photo.seek(0)
    photo.name = "scan.png"
    response = send_request(Client(), {**ANSWERS, "files": [photo]})
    assert receipt_in(response.content.decode())
