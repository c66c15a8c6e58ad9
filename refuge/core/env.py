"""Typed readers for settings from the environment that fail loudly.

Every setting Refuge reads goes through these helpers, and every name passed to
them must be documented in docs/configuration.md (a test enforces it).
"""

from __future__ import annotations

import os
from pathlib import Path


class ConfigurationError(Exception):
    """A setting in the environment is missing or malformed."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    """Return a string setting, or the default; fail if neither exists."""
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ConfigurationError(f"{name} must be set")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    """Return a boolean setting written as 1/0, true/false, yes/no, on/off."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return an integer setting, checked against optional bounds."""
    raw = os.environ.get(name)
    if raw is None:
        value = default
    else:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise ConfigurationError(f"{name} must be at most {maximum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated list setting."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, fallback_file: Path | None = None) -> bytes | None:
    """Return a secret from NAME, from the file named by NAME_FILE, or from fallback_file.

    Secrets are read from files so that they stay out of process listings and
    out of the database (a seized database dump must not contain them).
    """
    value = os.environ.get(name)
    path_value = os.environ.get(f"{name}_FILE")
    if value is not None and path_value is not None:
        raise ConfigurationError(f"set {name} or {name}_FILE, not both")
    if value is not None:
        if not value.strip():
            raise ConfigurationError(f"{name} is empty")
        return value.strip().encode()
    path = Path(path_value) if path_value is not None else fallback_file
    if path is None:
        return None
    if not path.exists():
        if path_value is not None:
            raise ConfigurationError(f"{name}_FILE names {path}, which does not exist")
        return None
    content = path.read_bytes().strip()
    if not content:
        raise ConfigurationError(f"the secret file {path} is empty")
    return content
