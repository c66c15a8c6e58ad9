"""System checks refuse settings that would weaken protection, each with an id and a hint."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core import checks as django_checks
from django.test import override_settings

from refuge.core import checks
from refuge.core.secrets_files import resolve_secrets_dir

# The SQLite checks read settings.DATABASES only; no connection is opened with those.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")

PRODUCTION = {"SETTINGS_MODULE": "refuge.settings"}
STRONG_KDF = {"REFUGE_KDF_OPSLIMIT": 3, "REFUGE_KDF_MEMLIMIT": 64 * 1024 * 1024}


def ids(messages: list[django_checks.CheckMessage]) -> list[str]:
    assert all(message.hint for message in messages), "every check message says what to do"
    return [str(message.id) for message in messages]


def test_the_checks_are_registered_with_django() -> None:
    registered = {
        check.__name__ for check in django_checks.registry.registry.get_checks(include_deployment_checks=True)
    }
    assert {"check_kdf_parameters", "check_debug", "check_postgres_version", "check_https_in_production"} <= registered


def test_the_test_settings_pass_every_check() -> None:
    messages = django_checks.run_checks(include_deployment_checks=False)
    assert [message for message in messages if not message.is_silenced()] == []


def test_weak_key_derivation_is_allowed_in_the_test_settings_only() -> None:
    assert checks.check_kdf_parameters() == []
    with override_settings(**PRODUCTION):
        assert ids(checks.check_kdf_parameters()) == ["refuge.E001"]
    with override_settings(**PRODUCTION, **STRONG_KDF):
        assert checks.check_kdf_parameters() == []


def test_an_md5_password_hasher_is_refused_outside_the_test_settings() -> None:
    md5 = ["django.contrib.auth.hashers.PBKDF2PasswordHasher", "django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(**PRODUCTION, **STRONG_KDF, PASSWORD_HASHERS=md5):
        assert ids(checks.check_kdf_parameters()) == ["refuge.E002"]
    with override_settings(PASSWORD_HASHERS=md5):
        assert checks.check_kdf_parameters() == []


@pytest.mark.parametrize(("https", "hosts"), [(True, ["127.0.0.1"]), (False, ["refuge.example.org"])])
def test_debug_is_refused_when_the_site_is_reachable_from_elsewhere(https: bool, hosts: list[str]) -> None:
    with override_settings(DEBUG=True, HTTPS=https, ALLOWED_HOSTS=hosts):
        assert ids(checks.check_debug()) == ["refuge.E003"]


def test_debug_is_allowed_on_a_loopback_only_development_machine() -> None:
    with override_settings(DEBUG=True, HTTPS=False, ALLOWED_HOSTS=["127.0.0.1", "localhost", "[::1]"]):
        assert checks.check_debug() == []
    with override_settings(DEBUG=False, HTTPS=True, ALLOWED_HOSTS=["refuge.example.org"]):
        assert checks.check_debug() == []


@pytest.mark.parametrize("key", ["short", "a" * 60])
def test_a_short_or_repetitive_secret_key_is_refused(key: str) -> None:
    with override_settings(SECRET_KEY=key):
        assert ids(checks.check_secrets_strength()) == ["refuge.E004"]


def test_a_short_receipt_pepper_is_refused() -> None:
    with override_settings(REFUGE_RECEIPT_PEPPER=b"x" * 31):
        assert ids(checks.check_secrets_strength()) == ["refuge.E005"]


def test_a_wildcard_allowed_host_is_refused() -> None:
    with override_settings(ALLOWED_HOSTS=["refuge.example.org", "*"]):
        assert ids(checks.check_allowed_hosts()) == ["refuge.E008"]


def test_csrf_protection_is_required_even_as_a_subclass() -> None:
    assert checks.check_csrf_middleware() == []
    without = [m for m in settings.MIDDLEWARE if "csrf" not in m.lower()]
    with override_settings(MIDDLEWARE=without):
        assert ids(checks.check_csrf_middleware()) == ["refuge.E009"]
    with override_settings(MIDDLEWARE=[*without, "django.middleware.csrf.CsrfViewMiddleware"]):
        assert checks.check_csrf_middleware() == []


def _sqlite(path: Path) -> dict[str, dict[str, object]]:
    return {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}}


def test_a_sqlite_database_in_a_read_only_directory_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # os.access stands in for a read-only directory: CI runs as root, who can write anywhere.
    monkeypatch.setattr(checks.os, "access", lambda path, mode: Path(path) != tmp_path)
    with override_settings(DATABASES=_sqlite(tmp_path / "refuge.sqlite3")):
        assert ids(checks.check_sqlite_writable()) == ["refuge.E006"]


def test_a_read_only_sqlite_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "refuge.sqlite3"
    database.write_bytes(b"")
    monkeypatch.setattr(checks.os, "access", lambda path, mode: Path(path) != database)
    with override_settings(DATABASES=_sqlite(database)):
        assert ids(checks.check_sqlite_writable()) == ["refuge.E006"]


def test_a_sqlite_database_under_a_file_is_refused(tmp_path: Path) -> None:
    # Fails for root too: nothing can create a directory below a regular file.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with override_settings(DATABASES=_sqlite(blocker / "data" / "refuge.sqlite3")):
        assert ids(checks.check_sqlite_writable()) == ["refuge.E006"]


def test_a_sqlite_database_in_a_writable_directory_passes(tmp_path: Path) -> None:
    with override_settings(DATABASES=_sqlite(tmp_path / "not-yet" / "refuge.sqlite3")):
        assert checks.check_sqlite_writable() == []


class _FakeConnections(dict):
    pass


@pytest.mark.parametrize(("version", "expected"), [(140012, ["refuge.E007"]), (150008, []), (170000, [])])
def test_postgresql_older_than_15_is_refused(
    monkeypatch: pytest.MonkeyPatch, version: int, expected: list[str]
) -> None:
    fake = _FakeConnections(default=SimpleNamespace(vendor="postgresql", pg_version=version))
    monkeypatch.setattr(checks, "connections", fake)
    assert ids(checks.check_postgres_version(databases=["default"])) == expected


def test_the_postgresql_version_check_ignores_sqlite_and_runs_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeConnections(default=SimpleNamespace(vendor="sqlite"))
    monkeypatch.setattr(checks, "connections", fake)
    assert checks.check_postgres_version(databases=["default"]) == []
    assert checks.check_postgres_version(databases=None) == []


def test_secret_files_readable_by_others_are_flagged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    (secrets / "secret_key").write_text("x")
    (secrets / "secret_key").chmod(0o600)
    (secrets / "receipt_pepper").write_text("x")
    (secrets / "receipt_pepper").chmod(0o644)
    elsewhere = tmp_path / "server_key"
    elsewhere.write_text("x")
    elsewhere.chmod(0o640)
    monkeypatch.setenv("REFUGE_SERVER_KEY_FILE", str(elsewhere))
    with override_settings(SECRETS_DIR=secrets):
        messages = checks.check_secret_file_permissions()
    assert ids(messages) == ["refuge.W001", "refuge.W001"]
    assert {Path(str(m.msg).split()[3]) for m in messages} == {secrets / "receipt_pepper", elsewhere}


def test_a_secrets_directory_others_can_list_is_flagged(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    secrets.chmod(0o755)
    with override_settings(SECRETS_DIR=secrets):
        assert ids(checks.check_secret_file_permissions()) == ["refuge.W002"]


def test_private_secret_files_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("REFUGE_") and n.endswith("_FILE")]:
        monkeypatch.delenv(name)
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    (secrets / "secret_key").write_text("x")
    (secrets / "secret_key").chmod(0o600)
    with override_settings(SECRETS_DIR=secrets):
        assert checks.check_secret_file_permissions() == []


@pytest.mark.parametrize(
    ("https", "hosts", "expected"),
    [
        (False, ["refuge.example.org"], ["refuge.W003"]),
        (True, ["refuge.example.org"], []),
        (False, ["abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion"], []),
        (False, ["127.0.0.1", "localhost"], []),
    ],
)
def test_a_public_host_without_https_is_flagged_before_deployment(
    https: bool, hosts: list[str], expected: list[str]
) -> None:
    with override_settings(HTTPS=https, ALLOWED_HOSTS=hosts):
        assert ids(checks.check_https_in_production()) == expected


def test_secret_files_inside_the_data_directory_are_flagged_with_the_move(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    legacy = data_dir / "secrets"
    legacy.mkdir(parents=True, mode=0o700)
    (legacy / "server_key").write_text("x")
    with override_settings(DATA_DIR=data_dir, SECRETS_DIR=legacy):
        messages = checks.check_secrets_outside_data_dir()
    assert ids(messages) == ["refuge.W004"]
    assert f"mv {legacy} {tmp_path / 'var-secrets'}" in str(messages[0].hint)


def test_a_secret_file_variable_pointing_into_the_data_directory_is_flagged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    (data_dir / "pepper").write_text("x")
    monkeypatch.setenv("REFUGE_RECEIPT_PEPPER_FILE", str(data_dir / "pepper"))
    with override_settings(DATA_DIR=data_dir, SECRETS_DIR=tmp_path / "elsewhere"):
        messages = checks.check_secrets_outside_data_dir()
    assert ids(messages) == ["refuge.W004"]
    assert "REFUGE_SECRETS_DIR" in str(messages[0].hint)


def test_secrets_beside_the_data_directory_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("REFUGE_") and n.endswith("_FILE")]:
        monkeypatch.delenv(name)
    data_dir, secrets = tmp_path / "var", tmp_path / "var-secrets"
    secrets.mkdir(mode=0o700)
    (secrets / "server_key").write_text("x")
    with override_settings(DATA_DIR=data_dir, SECRETS_DIR=secrets):
        assert checks.check_secrets_outside_data_dir() == []


def test_the_secrets_directory_is_beside_the_data_directory_unless_only_the_old_place_has_them(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "var"
    assert resolve_secrets_dir(data_dir, "") == tmp_path / "var-secrets"
    assert resolve_secrets_dir(data_dir, str(tmp_path / "etc")) == tmp_path / "etc"
    (data_dir / "secrets").mkdir(parents=True)
    (data_dir / "secrets" / "receipt_pepper").write_text("x")
    assert resolve_secrets_dir(data_dir, "") == data_dir / "secrets"
    (tmp_path / "var-secrets").mkdir()
    (tmp_path / "var-secrets" / "receipt_pepper").write_text("x")
    assert resolve_secrets_dir(data_dir, "") == tmp_path / "var-secrets"
