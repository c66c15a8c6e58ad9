"""System checks: refuse to start on settings that would quietly weaken protection.

Run by `refuge check` (add `--deploy` before going live), `migrate` and the
development server. Every check has a stable id and a hint that says what to do;
docs/configuration.md lists the settings they look at.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import connections
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.module_loading import import_string

from refuge.core.secrets_files import (
    SECRET_FILE_NAMES,
    is_inside,
    legacy_secrets_dir,
    sibling_secrets_dir,
)

# Weak KDF parameters and the fast hasher exist so the test suite runs in seconds;
# anywhere else they would let a seized database be brute-forced (DESIGN.md §5).
TEST_SETTINGS_MODULES = frozenset({"refuge.test_settings"})
MIN_KDF_OPSLIMIT = 3
MIN_KDF_MEMLIMIT = 64 * 1024 * 1024
MIN_SECRET_KEY_LENGTH = 50
MIN_PEPPER_BYTES = 32
MIN_POSTGRES_VERSION = 150000
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})

AppConfigs = Sequence[AppConfig] | None


def _is_test_settings() -> bool:
    # override_settings() hides SETTINGS_MODULE (it reads None): fall back to the environment.
    module = getattr(settings, "SETTINGS_MODULE", None) or os.environ.get("DJANGO_SETTINGS_MODULE")
    return module in TEST_SETTINGS_MODULES


def _is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


@register(Tags.security)
def check_kdf_parameters(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """refuge.E001, refuge.E002: no test-strength key derivation or password hashing outside tests."""
    if _is_test_settings():
        return []
    errors: list[CheckMessage] = []
    opslimit = getattr(settings, "REFUGE_KDF_OPSLIMIT", 0)
    memlimit = getattr(settings, "REFUGE_KDF_MEMLIMIT", 0)
    if opslimit < MIN_KDF_OPSLIMIT or memlimit < MIN_KDF_MEMLIMIT:
        errors.append(
            Error(
                f"Argon2id parameters t={opslimit}, {memlimit // 1024} KiB are below "
                f"t={MIN_KDF_OPSLIMIT}, {MIN_KDF_MEMLIMIT // 1024} KiB (64 MiB).",
                hint="Weak key-derivation parameters belong in refuge/test_settings.py only; "
                "remove the override from the settings in use.",
                id="refuge.E001",
            )
        )
    # MD5 is only ever a test speed-up: a hash it made falls to a GPU in seconds.
    weak_hashers = [path for path in settings.PASSWORD_HASHERS if issubclass(import_string(path), MD5PasswordHasher)]
    if weak_hashers:
        errors.append(
            Error(
                f"The MD5-based password hasher {', '.join(weak_hashers)} is configured.",
                hint="Remove it from PASSWORD_HASHERS: MD5 hashing is for test settings only.",
                id="refuge.E002",
            )
        )
    return errors


@register(Tags.security)
def check_debug(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """refuge.E003: debug pages show settings and stack traces; only ever on a loopback-only install."""
    if not settings.DEBUG:
        return []
    exposed = [host for host in settings.ALLOWED_HOSTS if not _is_loopback(host)]
    if getattr(settings, "HTTPS", False) or exposed:
        reason = f"ALLOWED_HOSTS contains {', '.join(exposed)}" if exposed else "REFUGE_HTTPS is on"
        return [
            Error(
                f"REFUGE_DEBUG is on while {reason}: error pages would show stack traces and settings.",
                hint="Unset REFUGE_DEBUG. Debug mode is for a developer's machine, served on 127.0.0.1 only.",
                id="refuge.E003",
            )
        ]
    return []


@register(Tags.security)
def check_secrets_strength(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """refuge.E004, refuge.E005: SECRET_KEY and the receipt pepper are long and random."""
    errors: list[CheckMessage] = []
    key = str(settings.SECRET_KEY)
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 5:
        errors.append(
            Error(
                f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters or not random.",
                hint="Delete REFUGE_SECRET_KEY and let `refuge init` write a random one to "
                "<data dir>/secrets/secret_key, or generate 50+ random characters.",
                id="refuge.E004",
            )
        )
    pepper = getattr(settings, "REFUGE_RECEIPT_PEPPER", b"")
    if len(pepper) < MIN_PEPPER_BYTES:
        errors.append(
            Error(
                f"REFUGE_RECEIPT_PEPPER is shorter than {MIN_PEPPER_BYTES} bytes.",
                hint="The pepper protects every receipt code: let `refuge init` generate it. "
                "Changing it later orphans every existing receipt.",
                id="refuge.E005",
            )
        )
    return errors


@register(Tags.security)
def check_allowed_hosts(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """refuge.E008: a wildcard host lets anyone put their own domain into generated links."""
    if "*" in settings.ALLOWED_HOSTS:
        return [
            Error(
                "REFUGE_ALLOWED_HOSTS contains '*'.",
                hint="List the host names the site is served under, e.g. refuge.example.org.",
                id="refuge.E008",
            )
        ]
    return []


@register(Tags.security)
def check_surface_hosts(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """refuge.E010: the portal's and the staff's host names must be separate, known and both given."""
    portal, staff = set(settings.REFUGE_PORTAL_HOSTS), set(settings.REFUGE_STAFF_HOSTS)
    if not portal and not staff:
        return []
    problems = []
    if not portal or not staff:
        problems.append("only one of REFUGE_PORTAL_HOSTS and REFUGE_STAFF_HOSTS is set")
    if portal & staff:
        problems.append(f"{', '.join(sorted(portal & staff))} is in both lists")
    allowed = {host.lower() for host in settings.ALLOWED_HOSTS}
    unknown = sorted((portal | staff) - allowed)
    if unknown:
        problems.append(f"{', '.join(unknown)} is not in REFUGE_ALLOWED_HOSTS")
    return [
        Error(
            f"The portal and staff host names are not separate: {problem}.",
            hint="Set both lists, each host name in one of them and in REFUGE_ALLOWED_HOSTS, e.g. "
            "REFUGE_PORTAL_HOSTS=<address>.onion,help.example.org REFUGE_STAFF_HOSTS=staff.example.org "
            "(docs/operations.md, 'Portal and staff on separate host names').",
            id="refuge.E010",
        )
        for problem in problems
    ]


@register(Tags.security)
def check_csrf_middleware(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """refuge.E009: CSRF protection is on (Django's middleware or a subclass of it).

    Stands in for Django's security.W003, which is silenced because it only
    recognises CsrfViewMiddleware by its exact name.
    """
    for path in settings.MIDDLEWARE:
        middleware = import_string(path)
        if isinstance(middleware, type) and issubclass(middleware, CsrfViewMiddleware):
            return []
    return [
        Error(
            "No CSRF middleware in MIDDLEWARE: forms could be posted from other sites.",
            hint="Keep refuge.core.csrf.RefugeCsrfViewMiddleware (or Django's CsrfViewMiddleware) in MIDDLEWARE.",
            id="refuge.E009",
        )
    ]


@register(Tags.files)
def check_sqlite_writable(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """refuge.E006: the SQLite file and its directory (WAL needs -wal and -shm files beside it) are writable."""
    errors: list[CheckMessage] = []
    for alias, database in settings.DATABASES.items():
        name = str(database.get("NAME") or "")
        if database["ENGINE"] != "django.db.backends.sqlite3" or name in {"", ":memory:"} or name.startswith("file:"):
            continue
        path = Path(name)
        problem = _unwritable(path)
        if problem:
            errors.append(
                Error(
                    f"The SQLite database {alias!r} at {path} cannot be written: {problem}.",
                    hint="Run Refuge as the user that owns REFUGE_DATA_DIR, or point REFUGE_DATA_DIR "
                    "(or DATABASE_URL) at a writable directory.",
                    id="refuge.E006",
                )
            )
    return errors


def _unwritable(path: Path) -> str | None:
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is read-only for this user"
    directory = path.parent
    while not directory.exists():
        if directory.parent == directory:
            return "no part of its directory exists"
        directory = directory.parent
    if not directory.is_dir():
        return f"{directory} is not a directory"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"the directory {directory} is read-only for this user"
    return None


@register(Tags.database)
def check_postgres_version(
    app_configs: AppConfigs = None, databases: Iterable[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """refuge.E007: PostgreSQL 15 or newer (runs with `check --database default` and before migrate)."""
    errors: list[CheckMessage] = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        version = connection.pg_version  # type: ignore[attr-defined]
        if version < MIN_POSTGRES_VERSION:
            errors.append(
                Error(
                    f"Database {alias!r} is PostgreSQL {version // 10000}; Refuge needs 15 or newer.",
                    hint="Upgrade the server (Debian 12 ships PostgreSQL 15), or use SQLite on one machine.",
                    id="refuge.E007",
                )
            )
    return errors


# Run by `refuge serve` before it starts and by `refuge check --deploy --database default`; not
# by `migrate`, which checks before it migrates (a deployment check, tagged on its own).
MIGRATIONS_TAG = "migrations"


@register(MIGRATIONS_TAG, deploy=True)
def check_migrations_applied(
    app_configs: AppConfigs = None, databases: Iterable[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """refuge.E011: the database lacks migrations of this release; refuge.W005: it has some this release lacks."""
    from django.db.migrations.executor import MigrationExecutor

    messages: list[CheckMessage] = []
    for alias in databases or ():
        executor = MigrationExecutor(connections[alias])
        missing = [migration for migration, _backwards in executor.migration_plan(executor.loader.graph.leaf_nodes())]
        if missing:
            first = missing[0]
            messages.append(
                Error(
                    f"Database {alias!r} lacks {len(missing)} migration(s) of this release "
                    f"(first: {first.app_label}.{first.name}): pages would fail on tables and columns it does not have.",
                    hint="Run `refuge init` (it migrates, and is safe to run again) before starting this release; on "
                    "several app servers, migrate once, then start the new release (docs/operations.md, 'Upgrades').",
                    id="refuge.E011",
                )
            )
        ours = {config.label for config in apps.get_app_configs() if config.name.startswith("refuge.")}
        unknown = sorted(
            f"{app}.{name}"
            for app, name in executor.loader.applied_migrations
            if app in ours and (app, name) not in executor.loader.graph.nodes
        )
        if unknown:
            messages.append(
                CheckWarning(
                    f"Database {alias!r} has {len(unknown)} migration(s) this release does not know "
                    f"(first: {unknown[0]}): a newer release migrated it.",
                    hint="The previous release runs on the next one's schema only while an upgrade is under way "
                    "(docs/operations.md, 'Upgrades'): finish the upgrade, or restore the backup taken before it.",
                    id="refuge.W005",
                )
            )
    return messages


@register(Tags.security)
def check_secret_file_permissions(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """refuge.W001, refuge.W002: secret files are 0600 and the secrets directory is 0700."""
    warnings: list[CheckMessage] = []
    secrets_dir = getattr(settings, "SECRETS_DIR", None)
    files: list[Path] = []
    if secrets_dir is not None and Path(secrets_dir).is_dir():
        directory = Path(secrets_dir)
        if _mode(directory) & 0o077:
            warnings.append(
                CheckWarning(
                    f"The secrets directory {directory} is mode {_mode(directory):o}: other users can list it.",
                    hint=f"chmod 700 {directory}",
                    id="refuge.W002",
                )
            )
        files.extend(path for path in sorted(directory.iterdir()) if path.is_file())
    files.extend(
        Path(value)
        for name, value in sorted(os.environ.items())
        if name.startswith("REFUGE_") and name.endswith("_FILE") and value and Path(value).is_file()
    )
    for path in files:
        if _mode(path) & 0o077:
            warnings.append(
                CheckWarning(
                    f"The secret file {path} is mode {_mode(path):o}: other users on this machine can read it.",
                    hint=f"chmod 600 {path} (and make it owned by the user Refuge runs as).",
                    id="refuge.W001",
                )
            )
    return warnings


@register(Tags.security)
def check_secrets_outside_data_dir(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """refuge.W004: no secret file inside the data directory, which is what gets backed up and copied."""
    data_dir = getattr(settings, "DATA_DIR", None)
    secrets_dir = getattr(settings, "SECRETS_DIR", None)
    if data_dir is None or secrets_dir is None:
        return []
    data_dir, secrets_dir = Path(data_dir), Path(secrets_dir)
    # A copy of the data directory with the server key in it opens every blind-index key;
    # with the pepper, it tests receipts offline (issue #16, docs/threat-model.md).
    inside = [secrets_dir / name for name in SECRET_FILE_NAMES if (secrets_dir / name).is_file()]
    inside = [path for path in inside if is_inside(path, data_dir)]
    inside += [
        Path(value)
        for name, value in sorted(os.environ.items())
        if name.startswith("REFUGE_") and name.endswith("_FILE") and value and is_inside(Path(value), data_dir)
    ]
    if not inside:
        return []
    target = sibling_secrets_dir(data_dir)
    if secrets_dir == legacy_secrets_dir(data_dir) and not target.exists():
        hint = (
            f"Stop Refuge, run `mv {secrets_dir} {target}`, and start it again (docs/operations.md, "
            '"Moving the secrets out of the data directory"). Delete copies of the data directory '
            "made before the move, or keep them as safe as the secrets."
        )
    else:
        hint = (
            f"Move them to a directory outside {data_dir} and point REFUGE_SECRETS_DIR (or the *_FILE "
            'variables) at it (docs/operations.md, "Moving the secrets out of the data directory").'
        )
    return [
        CheckWarning(
            f"Secret files are inside the data directory {data_dir}: {', '.join(str(p) for p in inside)}. "
            "A backup or copy of the data directory would hold them.",
            hint=hint,
            id="refuge.W004",
        )
    ]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@register(Tags.security, deploy=True)
def check_https_in_production(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """refuge.W003: a public host name without REFUGE_HTTPS (onion services are exempt)."""
    if getattr(settings, "HTTPS", False):
        return []
    public = [host for host in settings.ALLOWED_HOSTS if not _is_loopback(host) and not host.endswith(".onion")]
    if not public:
        return []
    return [
        CheckWarning(
            f"REFUGE_HTTPS is off but the site is served as {', '.join(public)}.",
            hint="Serve over HTTPS behind the reverse proxy and set REFUGE_HTTPS=1 (HSTS, secure redirects). "
            "A Tor onion service is exempt: list only its .onion name.",
            id="refuge.W003",
        )
    ]
