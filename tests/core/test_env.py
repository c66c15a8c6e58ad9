"""Settings helpers fail loudly on bad values instead of guessing (STYLE.md #7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from refuge.core.env import ConfigurationError, env_bool, env_int, env_list, env_secret, env_str


def test_a_string_setting_falls_back_to_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REFUGE_X", raising=False)
    assert env_str("REFUGE_X", "fallback") == "fallback"
    monkeypatch.setenv("REFUGE_X", "set")
    assert env_str("REFUGE_X", "fallback") == "set"


def test_a_required_string_setting_that_is_missing_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REFUGE_X", raising=False)
    with pytest.raises(ConfigurationError, match="REFUGE_X must be set"):
        env_str("REFUGE_X")


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("TRUE", True), (" yes ", True), ("on", True),
                                               ("0", False), ("false", False), ("No", False), ("off", False),
                                               ("", False)])  # fmt: skip
def test_booleans_accept_the_usual_spellings(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("REFUGE_X", raw)
    assert env_bool("REFUGE_X", not expected) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled", "tru"])
def test_a_boolean_that_is_neither_true_nor_false_is_an_error(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    # "REFUGE_HTTPS=maybe" must not silently mean "off".
    monkeypatch.setenv("REFUGE_X", raw)
    with pytest.raises(ConfigurationError, match="REFUGE_X must be true or false"):
        env_bool("REFUGE_X", True)


def test_an_unset_boolean_takes_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REFUGE_X", raising=False)
    assert env_bool("REFUGE_X", True) is True


def test_an_integer_is_parsed_and_checked_against_its_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFUGE_X", " 42 ")
    assert env_int("REFUGE_X", 1, minimum=1, maximum=100) == 42
    monkeypatch.setenv("REFUGE_X", "0")
    with pytest.raises(ConfigurationError, match="at least 1, not 0"):
        env_int("REFUGE_X", 1, minimum=1)
    monkeypatch.setenv("REFUGE_X", "101")
    with pytest.raises(ConfigurationError, match="at most 100, not 101"):
        env_int("REFUGE_X", 1, maximum=100)


@pytest.mark.parametrize("raw", ["ten", "1.5", "", "0x10"])
def test_an_integer_that_is_not_a_whole_number_is_an_error(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("REFUGE_X", raw)
    with pytest.raises(ConfigurationError, match="REFUGE_X must be a whole number"):
        env_int("REFUGE_X", 1)


def test_a_default_outside_the_bounds_is_an_error_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REFUGE_X", raising=False)
    with pytest.raises(ConfigurationError):
        env_int("REFUGE_X", 0, minimum=1)


def test_a_list_is_split_on_commas_and_blanks_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFUGE_X", " a.example, ,b.example,")
    assert env_list("REFUGE_X", ["default"]) == ["a.example", "b.example"]
    monkeypatch.delenv("REFUGE_X")
    default = ["default"]
    result = env_list("REFUGE_X", default)
    assert result == ["default"]
    assert result is not default  # callers may change their copy


def test_a_secret_comes_from_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFUGE_X", "  s3cret\n")
    monkeypatch.delenv("REFUGE_X_FILE", raising=False)
    assert env_secret("REFUGE_X") == b"s3cret"


def test_a_secret_comes_from_the_file_named_by_its_file_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    monkeypatch.delenv("REFUGE_X", raising=False)
    monkeypatch.setenv("REFUGE_X_FILE", str(secret))
    assert env_secret("REFUGE_X", tmp_path / "fallback") == b"from-file"


def test_a_secret_falls_back_to_its_file_in_the_data_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("REFUGE_X", raising=False)
    monkeypatch.delenv("REFUGE_X_FILE", raising=False)
    assert env_secret("REFUGE_X", tmp_path / "missing") is None
    (tmp_path / "present").write_text("fallback\n")
    assert env_secret("REFUGE_X", tmp_path / "present") == b"fallback"


def test_a_secret_set_twice_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REFUGE_X", "one")
    monkeypatch.setenv("REFUGE_X_FILE", str(tmp_path / "two"))
    with pytest.raises(ConfigurationError, match="not both"):
        env_secret("REFUGE_X")


def test_an_empty_secret_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("REFUGE_X_FILE", raising=False)
    monkeypatch.setenv("REFUGE_X", "   ")
    with pytest.raises(ConfigurationError, match="REFUGE_X is empty"):
        env_secret("REFUGE_X")
    monkeypatch.delenv("REFUGE_X")
    empty = tmp_path / "empty"
    empty.write_text("\n")
    monkeypatch.setenv("REFUGE_X_FILE", str(empty))
    with pytest.raises(ConfigurationError, match="is empty"):
        env_secret("REFUGE_X")


def test_a_secret_file_variable_naming_a_missing_file_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A typo in REFUGE_SECRET_KEY_FILE must not fall back to another key silently.
    monkeypatch.delenv("REFUGE_X", raising=False)
    monkeypatch.setenv("REFUGE_X_FILE", str(tmp_path / "typo"))
    (tmp_path / "fallback").write_text("other")
    with pytest.raises(ConfigurationError, match="does not exist"):
        env_secret("REFUGE_X", tmp_path / "fallback")
