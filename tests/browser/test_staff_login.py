"""A member logs in as a person would: Chromium, JavaScript off, password and TOTP code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.personas import Persona, World, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# `make screenshots` sets this to docs/screenshots; a normal run writes nothing there.
SHOTS = os.environ.get("REFUGE_SCREENSHOT_DIR")


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _log_in(page: Page, base: str, persona: Persona, labels: dict[str, str]) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label(labels["organisation"]).fill(persona.org_slug)
    page.get_by_label(labels["username"]).fill(persona.user.username)
    page.get_by_label(labels["password"], exact=True).fill(persona.password)
    page.get_by_label(labels["code"]).fill(persona.code())
    page.get_by_role("button", name=labels["submit"]).click()


ENGLISH = {
    "organisation": "Organisation",
    "username": "Username",
    "password": "Password",
    "code": "Code from your authenticator app",
    "submit": "Log in",
}
RUSSIAN = {
    "organisation": "Организация",
    "username": "Имя пользователя",
    "password": "Пароль",
    "code": "Код из приложения-аутентификатора",
    "submit": "Войти",
}


def test_a_coordinator_logs_in_without_javascript_and_sees_the_workspace(live_server, new_page, world: World) -> None:  # noqa: F811
    page = new_page(java_script_enabled=False)
    page.goto(f"{live_server.url}/login/")
    _shot(page, "login-en")
    _log_in(page, live_server.url, world.alice, ENGLISH)
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    expect(page.get_by_text("North Rainbow")).to_be_visible()
    expect(page.get_by_role("link", name="Members")).to_be_visible()
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["__Host-refuge-key"]["httpOnly"]
    assert cookies["__Host-refuge-session"]["httpOnly"]
    _shot(page, "workspace-home-en")
    page.get_by_role("link", name="Members").click()
    expect(page.get_by_role("cell", name="bob")).to_be_visible()
    _shot(page, "members-en")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_a_caseworker_logs_in_in_russian_and_a_wrong_code_is_explained_in_russian(
    live_server,
    new_page,
    world: World,  # noqa: F811
) -> None:
    page = new_page(java_script_enabled=False, locale="ru-RU")
    page.goto(f"{live_server.url}/login/")
    _shot(page, "login-ru")
    page.get_by_label(RUSSIAN["organisation"]).fill("north")
    page.get_by_label(RUSSIAN["username"]).fill("bob")
    page.get_by_label(RUSSIAN["password"], exact=True).fill(world.bob.password)
    page.get_by_label(RUSSIAN["code"]).fill("000000" if world.bob.code() != "000000" else "111111")
    page.get_by_role("button", name=RUSSIAN["submit"]).click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert "не" in page.locator("main").inner_text()
    _shot(page, "login-error-ru")
    _log_in(page, live_server.url, world.bob, RUSSIAN)
    expect(page.get_by_role("heading", name="Сегодня")).to_be_visible()
    _shot(page, "workspace-home-ru")
    # A caseworker has no members page, in the menu or by address.
    assert page.get_by_role("link", name="Сотрудники").count() == 0
    assert page.goto(f"{live_server.url}/members/").status == 404
