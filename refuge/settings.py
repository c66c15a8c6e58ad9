"""Django settings for Refuge, read from the environment (docs/configuration.md)."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from refuge.core.env import ConfigurationError, env_bool, env_int, env_list, env_secret, env_str
from refuge.core.secrets_files import make_database_file_private, resolve_secrets_dir

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("REFUGE_DATA_DIR", str(BASE_DIR.parent / "var"))).resolve()
# Outside the data directory, so that a backup or copy of it holds no secret (issue #16):
# `<data dir>-secrets/` by default, or an older installation's `<data dir>/secrets/`
# until it is moved (refuge.W004).
SECRETS_DIR = resolve_secrets_dir(DATA_DIR, env_str("REFUGE_SECRETS_DIR", ""))

DEBUG = env_bool("REFUGE_DEBUG", False)
ALLOWED_HOSTS = env_list("REFUGE_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
HTTPS = env_bool("REFUGE_HTTPS", False)


def _required_secret(name: str, filename: str) -> bytes:
    value = env_secret(name, SECRETS_DIR / filename)
    if value is None:
        raise ConfigurationError(
            f"{name} is not set and {SECRETS_DIR / filename} does not exist: run `refuge init` first"
        )
    return value


# Secrets live outside the database (DESIGN.md §5): a seized dump alone opens nothing.
SECRET_KEY = _required_secret("REFUGE_SECRET_KEY", "secret_key").decode()
REFUGE_RECEIPT_PEPPER = _required_secret("REFUGE_RECEIPT_PEPPER", "receipt_pepper")


def _required_key(name: str, filename: str) -> bytes:
    """A 32-byte key written in base64."""
    raw = _required_secret(name, filename)
    try:
        key = base64.b64decode(raw, validate=True)
    except binascii.Error:
        raise ConfigurationError(f"{name} must be 32 bytes written in base64") from None
    if len(key) != 32:
        raise ConfigurationError(f"{name} must be 32 bytes written in base64, not {len(key)} bytes")
    return key


# Wraps the blind-index keys that the server must use at submission time.
REFUGE_SERVER_KEY = _required_key("REFUGE_SERVER_KEY", "server_key")
# Ed25519 seed that signs audit checkpoints for an off-host witness.
REFUGE_AUDIT_SIGNING_KEY = _required_key("REFUGE_AUDIT_SIGNING_KEY", "audit_signing_key")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "refuge.core",
    "refuge.accounts",
    "refuge.keyring",
    "refuge.audit",
    "refuge.intake",
    "refuge.relocation",
    "refuge.applications",
    "refuge.cases",
    "refuge.shelter",
    "refuge.safety",
    "refuge.disclosures",
    "refuge.requester",
    "refuge.workspace",
    "refuge.api",
    "refuge.scheduler",
    "refuge.retention",
    # Operations last: the management commands, demo data and the server runner (the top layer).
    "refuge.ops",
]

MIDDLEWARE = [
    "refuge.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF (which would parse the body itself): caps, parses and checks every form body.
    "refuge.core.request_body.RequestBodyMiddleware",
    "refuge.core.csrf.RefugeCsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "refuge.accounts.middleware.KeyringMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "refuge.urls"
WSGI_APPLICATION = "refuge.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'refuge.sqlite3'}"
# Persistent connections, one per server thread (Django keeps them thread-local): opening
# one (and, on SQLite, running the PRAGMAs below) on every request cost more than many a
# request's own work. A connection found broken (a restarted PostgreSQL) is replaced at the
# start of the next request instead of failing it (CONN_HEALTH_CHECKS).
DATABASES = {
    "default": dj_database_url.parse(env_str("DATABASE_URL", _default_db), conn_max_age=600, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + synchronous=FULL: no acknowledged write is lost on a crash (DESIGN.md §4).
    # IMMEDIATE transactions take the write lock up front, so concurrent writers
    # queue on busy_timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=30000; PRAGMA secure_delete=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    make_database_file_private(Path(DATABASES["default"]["NAME"]))
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No parallel workers for Refuge's queries: they are short, and on the 2 cores the
    # server threads share, starting workers cost more than it saved (about 9 ms on a
    # member's case list of 3,000 cases, BENCHMARKS.md). Set per connection, so it holds
    # whatever the cluster's own configuration says; other clients of the cluster keep theirs.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c max_parallel_workers_per_gather=0"
else:
    raise ConfigurationError("DATABASE_URL must name a sqlite:// or postgres:// database")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Login goes through refuge.accounts.actions.check_login only; this backend just
# loads the user of an existing session.
AUTHENTICATION_BACKENDS = ["refuge.accounts.backends.SessionOnlyBackend"]
# auth.W004: usernames are unique per organisation, not per installation, so that
# one organisation cannot probe another's account names.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
# security.W003 looks for Django's CsrfViewMiddleware by name and misses our subclass
# (refuge.core.csrf); refuge.E009 checks for CSRF protection instead.
SILENCED_SYSTEM_CHECKS += ["security.W003"]
LOGIN_URL = "workspace:login"

# Django never hashes a Refuge password: the password is checked by unwrapping the
# member's private key with Argon2id (refuge/accounts/login.py), and accounts carry
# an unusable Django password. Django still wants a hasher named here.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Argon2id parameters for wrapping users' private keys (DESIGN.md §5: at least t=3, 64 MiB).
REFUGE_KDF_OPSLIMIT = 3
REFUGE_KDF_MEMLIMIT = 64 * 1024 * 1024
# How many Argon2id runs may work at once in one process (each holds 64 MiB).
REFUGE_KDF_CONCURRENCY = env_int("REFUGE_KDF_CONCURRENCY", 1, minimum=1, maximum=16)

LANGUAGE_CODE = env_str("REFUGE_LANGUAGE", "en")
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
# Our static files are for our own pages only.
WHITENOISE_ALLOW_ALL_ORIGINS = False

# Sessions: short, server-side, in our own table so that an administrator can
# revoke every session of a user (a seized or lost laptop).
SESSION_ENGINE = "refuge.accounts.sessions"
SESSION_IDLE_MINUTES = env_int("REFUGE_SESSION_IDLE_MINUTES", 30, minimum=5, maximum=24 * 60)
SESSION_MAX_HOURS = env_int("REFUGE_SESSION_MAX_HOURS", 12, minimum=1, maximum=72)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# __Host- cookies: Secure, no Domain, Path=/ — browsers accept them on https and on
# http://127.0.0.1 / localhost (a secure context), which is where the demo runs.
SESSION_COOKIE_NAME = "__Host-refuge-session"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_NAME = "__Host-refuge-csrf"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
# A browser-session cookie, not a year-long one: a seized phone keeps no trace of a
# visit once the browser is closed (DESIGN.md §1, phones seized at checkpoints).
CSRF_COOKIE_AGE = None
CSRF_FAILURE_VIEW = "refuge.core.views.csrf_failure"
LANGUAGE_COOKIE_NAME = "__Host-refuge-lang"
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Strict"
KEY_COOKIE_NAME = "__Host-refuge-key"

# Login throttling counts failures per account, never per requester IP.
LOGIN_MAX_FAILURES = env_int("REFUGE_LOGIN_MAX_FAILURES", 5, minimum=1, maximum=100)
LOGIN_LOCKOUT_MINUTES = env_int("REFUGE_LOGIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("REFUGE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 63072000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
CSRF_TRUSTED_ORIGINS = env_list("REFUGE_CSRF_TRUSTED_ORIGINS", [])

# Requester portal (DESIGN.md §3.1). Receipt guessing: refuge/intake/receipt_brake.py.

DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
DATA_UPLOAD_MAX_NUMBER_FILES = 100
# Pictures and PDFs checked at once per process (each decode may hold about 2 × 128 MiB),
# and how long an upload waits for its turn before the form says "busy, try again".
REFUGE_UPLOAD_DECODES = env_int("REFUGE_UPLOAD_DECODES", 1, minimum=1, maximum=16)
REFUGE_UPLOAD_WAIT_SECONDS = env_int("REFUGE_UPLOAD_WAIT_SECONDS", 20, minimum=1, maximum=120)
# Uploads of every route are held in memory, bounded, never in a temporary file (docs/limits.md).
FILE_UPLOAD_HANDLERS = ["refuge.intake.uploads.handler.BoundedMemoryUploadHandler"]

# Logs never carry request bodies or personal data: only our own logger's lines and
# Django's request errors (path and status, no body, no query string values).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"scrub": {"()": "refuge.core.logging.ScrubFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub"]},
    },
    "root": {"handlers": ["console"], "level": env_str("REFUGE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "django.security": {"level": "WARNING"},
        # pikepdf announces "C++ to Python logger bridge initialized" at INFO on import,
        # i.e. on every command and every process start: noise, not news.
        "pikepdf": {"level": "WARNING"},
    },
}

# --- Requester portal (refuge/requester; docs/configuration.md "Requester portal") ------------
# Everything the public portal reads. Values are checked here so that a typo stops the start
# instead of quietly sending requesters somewhere unexpected.
_ONION_ORIGIN = re.compile(r"^(https?://[a-z2-7]{56}\.onion)(?:/.*)?$")


def _portal_onion_origin(raw: str) -> str:
    """The onion origin for the Onion-Location header ("" when unset)."""
    value = raw.strip().lower()
    if not value:
        return ""
    match = _ONION_ORIGIN.match(value)
    if match is None:
        raise ConfigurationError(
            f"REFUGE_ONION_LOCATION must look like http://<56 letters a-z and digits 2-7>.onion, not {raw!r}"
        )
    return match.group(1)


def _portal_exit_url(raw: str) -> str:
    """An absolute http(s) address with no spaces or quotes: it is written into every portal page."""
    value = raw.strip()
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or re.search(r"[\s\"'<>]", value):
        raise ConfigurationError(f"REFUGE_QUICK_EXIT_URL must be an absolute https:// address, not {raw!r}")
    return value


# Where "Leave quickly" goes: a common, harmless site that is reachable where requesters live
# (bbc.com is blocked in Russia; a blocked address in the history would draw attention).
REFUGE_QUICK_EXIT_URL = _portal_exit_url(env_str("REFUGE_QUICK_EXIT_URL", "https://www.wikipedia.org/"))
# Tor Browser offers the onion address to visitors of the clearnet portal.
REFUGE_ONION_LOCATION = _portal_onion_origin(env_str("REFUGE_ONION_LOCATION", ""))
# Idle lifetime of the requester's browser-session token (renewed by every portal page).
REFUGE_PORTAL_SESSION_MINUTES = env_int("REFUGE_PORTAL_SESSION_MINUTES", 30, minimum=5, maximum=240)
# Submissions per organisation per minute per process: a flood is slowed, never tracked. The
# default lets one process alone take DESIGN.md §7's 250 submissions/s (gunicorn does not
# spread requests evenly over its workers), so the brake never caps the designed capacity.
REFUGE_SUBMISSIONS_PER_MINUTE = env_int("REFUGE_SUBMISSIONS_PER_MINUTE", 15_000, minimum=1, maximum=1_000_000)
# JSON API calls each app process accepts per token per minute (refuge/api/limits.py).
REFUGE_API_REQUESTS_PER_MINUTE = env_int("REFUGE_API_REQUESTS_PER_MINUTE", 120, minimum=1, maximum=100_000)
# What the landing page promises: "someone reads your request within N days".
REFUGE_PORTAL_ANSWER_DAYS = env_int("REFUGE_PORTAL_ANSWER_DAYS", 3, minimum=1, maximum=30)
# --- end of requester portal ----------------------------------------------------------------

# --- Backups (docs/operations.md, "Backup and restore") -------------------------------
# Public keys (X25519, base64) every backup is also encrypted to, besides each organisation's
# recovery key: an operator's backup key whose private half is kept offline, so a backup can
# be verified or restored without gathering the coordinators' recovery shares.


def _backup_public_keys(values: list[str]) -> list[bytes]:
    keys = []
    for value in values:
        try:
            key = base64.b64decode(value, validate=True)
        except binascii.Error:
            key = b""
        if len(key) != 32:
            raise ConfigurationError(
                f"REFUGE_BACKUP_PUBLIC_KEYS must list 32-byte keys written in base64 (`refuge backup --new-key`), not {value!r}"
            )
        keys.append(key)
    return keys


REFUGE_BACKUP_PUBLIC_KEYS = _backup_public_keys(env_list("REFUGE_BACKUP_PUBLIC_KEYS", []))
# --- end of backups ----------------------------------------------------------------

# --- Mail notices (docs/operations.md, "Mail notices") --------------------------------
# Content-free notices ("2 new requests") to each organisation's role mailbox, sent by
# the scheduled job "notices" (refuge/accounts/notices.py). No SMTP host: no mail at all.
EMAIL_HOST = env_str("REFUGE_SMTP_HOST", "").strip()
EMAIL_USE_SSL = env_bool("REFUGE_SMTP_SSL", False)
EMAIL_USE_TLS = env_bool("REFUGE_SMTP_STARTTLS", not EMAIL_USE_SSL)
if EMAIL_USE_SSL and EMAIL_USE_TLS:
    raise ConfigurationError("set REFUGE_SMTP_STARTTLS or REFUGE_SMTP_SSL, not both")
EMAIL_PORT = env_int("REFUGE_SMTP_PORT", 465 if EMAIL_USE_SSL else 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("REFUGE_SMTP_USER", "")
_smtp_password = env_secret("REFUGE_SMTP_PASSWORD")
try:
    EMAIL_HOST_PASSWORD = _smtp_password.decode() if _smtp_password else ""
except UnicodeDecodeError:
    raise ConfigurationError("REFUGE_SMTP_PASSWORD must be UTF-8 text") from None
# The sender waits at most this long for a mail server that does not answer.
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = SERVER_EMAIL = env_str("REFUGE_MAIL_FROM", "").strip()
if EMAIL_HOST and not DEFAULT_FROM_EMAIL:
    raise ConfigurationError("REFUGE_MAIL_FROM must be set when REFUGE_SMTP_HOST is")
# The "notices" job runs this often: what arrived since its last run is sent as one notice.
REFUGE_NOTIFY_MIN_INTERVAL_SECONDS = env_int("REFUGE_NOTIFY_MIN_INTERVAL_SECONDS", 300, minimum=0, maximum=86_400)
# --- end of mail notices -------------------------------------------------------------
