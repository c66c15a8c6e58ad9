"""The page shell: error pages in both languages, no inline code, a complete Russian catalogue."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import resolve
from django.utils import translation

REFUGE = Path(__file__).resolve().parents[2] / "refuge"
PO_FILE = REFUGE / "locale" / "ru" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")


# --- a small .po reader (no third-party package needed) ------------------------------


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (list), flags."""
    entries: list[dict] = []
    entry: dict = {}
    key: str | None = None

    def finish() -> None:
        if "msgid" in entry:
            entries.append(entry.copy())
        entry.clear()

    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            finish()
            key = None
        elif line.startswith("#,"):
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert key is not None, f"continuation without keyword in {path}: {raw!r}"
            if key.startswith("msgstr"):
                entry["msgstr"][-1] += _unquote(line)
            else:
                entry[key] += _unquote(line)
        else:
            keyword, _, value = line.partition(" ")
            if keyword.startswith("msgstr"):
                entry.setdefault("msgstr", []).append(_unquote(value))
                key = "msgstr"
            else:
                entry[keyword] = _unquote(value)
                key = keyword
    for item in entries:
        item.setdefault("flags", set())
        item.setdefault("msgctxt", None)
        item.setdefault("msgid_plural", None)
    return entries


def _messages() -> list[dict]:
    return [e for e in read_po(PO_FILE) if e["msgid"]]


# --- the Russian catalogue -------------------------------------------------------------


def test_every_russian_entry_is_translated_and_not_fuzzy() -> None:
    entries = _messages()
    assert len(entries) > 20
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"])]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_russian_plurals_have_all_four_forms() -> None:
    header = read_po(PO_FILE)[0]["msgstr"][0]
    assert "nplurals=4;" in header
    for entry in _messages():
        if entry["msgid_plural"]:
            assert len(entry["msgstr"]) == 4, entry["msgid"]


def test_russian_translations_keep_every_placeholder() -> None:
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
    for entry in _messages():
        expected = sorted(placeholder.findall(entry["msgid"]))
        for text in entry["msgstr"]:
            assert sorted(placeholder.findall(text)) == expected, entry["msgid"]


def test_compiled_catalogue_matches_the_po_file() -> None:
    # A .po edited without `compilemessages` would ship English to Russian readers.
    # Compared by content: a git checkout does not keep file times.
    with MO_FILE.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    for entry in _messages():
        msgid = entry["msgid"] if entry["msgctxt"] is None else f"{entry['msgctxt']}\x04{entry['msgid']}"
        if entry["msgid_plural"]:
            assert catalogue.ngettext(msgid, entry["msgid_plural"], 1) == entry["msgstr"][0]
            assert catalogue.ngettext(msgid, entry["msgid_plural"], 5) == entry["msgstr"][2]
        else:
            assert catalogue.gettext(msgid) == entry["msgstr"][0], entry["msgid"]


def test_role_names_are_translated() -> None:
    from refuge.accounts.models import Role

    with translation.override("ru"):
        assert str(Role.CASEWORKER.label) == "Куратор"
        assert str(Role.COORDINATOR.label) == "Координатор"


# --- error pages -------------------------------------------------------------------------


@pytest.mark.django_db
def test_not_found_page_is_in_english_by_default(client) -> None:
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert "<title>Not found</title>" in html
    assert "There is nothing here, or you do not have access to it." in html


@pytest.mark.django_db
def test_not_found_page_follows_the_browser_language(client) -> None:
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="ru"' in html
    assert "<title>Не найдено</title>" in html
    assert "Здесь ничего нет, или у вас нет к этому доступа." in html
    assert "Перейти к основному содержанию" in html


@pytest.mark.django_db
def test_error_page_names_neither_product_nor_organisation(client) -> None:
    # A requester's browser history must not show what they visited.
    html = client.get("/no-such-page/").content.decode()
    assert "Refuge" not in html


def test_error_page_renders_every_title_in_russian() -> None:
    from refuge.core import views

    request = RequestFactory().get("/x/")
    request.user = AnonymousUser()
    with translation.override("ru"):
        html = views.server_error(request).content.decode()
    assert "<title>Что-то пошло не так</title>" in html
    assert "Если вы что-то сохраняли" in html


@pytest.mark.django_db
def test_language_switch_sets_russian_and_returns_to_the_page(client) -> None:
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/no-such-page/"})
    assert response.status_code == 302
    assert response["Location"] == "/no-such-page/"
    html = client.get("/no-such-page/").content.decode()
    assert '<html lang="ru"' in html


# --- the staff layout -------------------------------------------------------------------


def _render_layout(user, path: str = "/") -> str:
    request = RequestFactory().get(path)
    request.user = user
    request.resolver_match = resolve(request.path)
    return render_to_string("workspace/base.html", {"user": user}, request=request)


def _staff(role: str) -> SimpleNamespace:
    return SimpleNamespace(
        is_authenticated=True,
        username="alice",
        role=role,
        get_role_display=lambda: {"caseworker": "Caseworker", "coordinator": "Coordinator"}.get(role, role),
        organisation=SimpleNamespace(name="Safe Passage"),
    )


def test_layout_has_skip_link_language_and_landmarks() -> None:
    with translation.override("ru"):
        html = _render_layout(AnonymousUser())
    assert '<html lang="ru"' in html
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert '<meta name="referrer" content="no-referrer">' in html
    assert 'name="viewport"' in html


def test_layout_shows_who_is_logged_in_and_a_post_logout() -> None:
    with translation.override("en"):
        html = _render_layout(_staff("caseworker"))
    assert "Safe Passage" in html
    assert "alice" in html
    assert "Caseworker" in html
    assert re.search(r'<form[^>]*method="post"[^>]*action="/logout/"', html)
    assert 'aria-current="page"' in html


def test_anonymous_visitors_see_no_navigation() -> None:
    html = _render_layout(AnonymousUser())
    assert "site-nav" not in html
    assert "/logout/" not in html


def test_members_link_only_for_coordinators_and_administrators() -> None:
    assert 'href="/members/"' in _render_layout(_staff("coordinator"))
    assert 'href="/members/"' not in _render_layout(_staff("caseworker"))


def test_language_switch_posts_back_to_the_current_page() -> None:
    html = _render_layout(AnonymousUser(), "/login/?next=/account/")
    form = re.search(r'<form class="lang-switch" method="post" action="/i18n/setlang/">.*?</form>', html, re.S)
    assert form
    assert 'name="csrfmiddlewaretoken"' in form.group(0)
    assert 'name="next" value="/login/?next=/account/"' in form.group(0)
    assert '<label class="lang-switch__label" for="language-select">' in form.group(0)


# --- form partials ----------------------------------------------------------------------


class _SampleForm(forms.Form):
    name = forms.CharField(label="Pseudonym", help_text="Not a legal name.")
    note = forms.CharField(label="Note", required=False)


def test_field_partial_links_label_help_and_error_to_the_input() -> None:
    form = _SampleForm(data={"name": ""})
    with translation.override("en"):
        html = render_to_string("includes/form.html", {"form": form})
    assert '<label class="field__label" for="id_name">Pseudonym</label>' in html
    assert 'id="id_name_helptext"' in html
    assert 'id="id_name_error"' in html
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert 'aria-invalid="true"' in html
    assert '<span class="visually-hidden">Error: </span>This field is required.' in html
    assert '<a href="#id_name">' in html
    assert "(optional)" in html


# --- no inline code anywhere (CSP: style-src 'self'; script-src 'self') ------------------

INLINE_CODE = [
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style[\s>]", re.I), "<style> element"),
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def _template_files() -> list[Path]:
    roots = [REFUGE / "templates", *REFUGE.glob("*/templates")]
    return sorted(p for root in roots for p in root.rglob("*") if p.suffix in {".html", ".txt", ".svg"})


def test_templates_carry_no_inline_style_or_script() -> None:
    files = _template_files()
    assert any(p.name == "base.html" for p in files)
    problems = [
        f"{path.relative_to(REFUGE)}: {what}"
        for path in files
        for pattern, what in INLINE_CODE
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert problems == []


def test_inline_code_scan_catches_what_it_should() -> None:
    bad = ['<p style="x">', "<style>p{}</style>", "<script>x()</script>", '<a href="#" onclick="x()">']
    for sample in bad:
        assert any(pattern.search(sample) for pattern, _ in INLINE_CODE), sample
    assert not any(pattern.search('<script src="/static/a.js"></script>') for pattern, _ in INLINE_CODE)


# --- words that mean two things, and numbers in sentences ------------------------------


def test_a_stage_a_status_and_an_expense_that_share_an_english_word_are_told_apart_in_russian() -> None:
    """ "Accepted" is a case's stage and a request's status; "Travel" a stage and an expense."""
    from refuge.cases.models import ExpenseCategory, Stage, choice_label
    from refuge.intake.models import RequesterStatus

    with translation.override("ru"):
        assert choice_label(Stage, "accepted") == "Принят"  # кейс
        assert choice_label(RequesterStatus, "accepted") == "Принято"  # обращение
        assert choice_label(Stage, "travel") == "В пути"
        assert choice_label(ExpenseCategory, "travel") == "Дорога"
        assert choice_label(Stage, "documents") == "Оформление документов"
        assert choice_label(ExpenseCategory, "documents") == "Документы"
    with translation.override("en"):
        assert choice_label(Stage, "accepted") == choice_label(RequesterStatus, "accepted") == "Accepted"
        assert choice_label(Stage, "travel") == choice_label(ExpenseCategory, "travel") == "Travel"


def test_a_due_date_is_not_called_a_destruction_date_in_russian() -> None:
    """The case list, the case header, tasks and the home panels head their dates "Due": a deadline.

    The retention page once shared that word for its count of records to shred, and the Russian
    "К уничтожению" ("to be destroyed") then stood over every emergency case's deadline.
    """
    from django.template.loader import get_template

    pages = (
        "workspace/cases/list.html",
        "workspace/cases/_header.html",
        "workspace/cases/_tasks.html",
        "workspace/cases/_home_emergencies.html",
        "workspace/cases/_home_tasks.html",
    )
    for name in pages:
        source = get_template(name).template.source
        assert '{% translate "Due" %}' in source or '{% translate "Due" as' in source, name
    retention = get_template("workspace/retention/page.html").template.source
    assert '{% translate "Due" %}' not in retention
    with translation.override("ru"):
        assert translation.gettext("Due") == "Срок"
        assert translation.gettext("Records to shred") == "Записей к уничтожению"


def test_a_limit_in_an_error_is_written_the_readers_way() -> None:
    from refuge.core.errors import too_long

    with translation.override("en"):
        assert too_long(20_000) == "This is too long: at most 20,000 characters."
    with translation.override("ru"):
        # Russian groups thousands with a (non-breaking) space, not a comma.
        assert too_long(20_000) == "Слишком длинный текст: не более 20\xa0000 символов."


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_language_menu_names_each_language_in_its_own_words(client, language: str) -> None:
    # A Russian speaker on an English page (or the reverse) must find their language by its own name.
    client.cookies["__Host-refuge-lang"] = language
    html = client.get("/login/").content.decode()
    menu = html[html.index('id="language-select"') : html.index("</select>")]
    assert re.findall(r'<option value="(\w+)" lang="\w+"[^>]*>([^<]+)</option>', menu) == [
        ("en", "English"),
        ("ru", "Русский"),
    ]
