"""Where the installation's secret files live, creating them (`refuge init`, before Django starts), and keeping the database private.

The secrets are kept out of the data directory (docs/configuration.md): the data
directory is what gets backed up and copied, and a copy of it must open nothing — the
server key in it would open every blind-index key (issue #16). By default they live in
`<data dir>-secrets/`, a sibling directory (`var/` → `var-secrets/`), or wherever
REFUGE_SECRETS_DIR says. An installation made before this change keeps working from
`<data dir>/secrets/` until it is moved; system check refuge.W004 says how.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

# name -> how to make a fresh value. Keys are 32 bytes in base64; the pepper and
# Django's SECRET_KEY are long random strings.
_GENERATORS = {
    "secret_key": lambda: secrets.token_urlsafe(50),
    "receipt_pepper": lambda: secrets.token_urlsafe(48),
    "server_key": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
    "audit_signing_key": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
}
SECRET_FILE_NAMES = tuple(_GENERATORS)


def default_data_dir() -> Path:
    """Where `var/` is: REFUGE_DATA_DIR, or `var/` beside the source tree."""
    configured = os.environ.get("REFUGE_DATA_DIR")
    if configured:
        return Path(configured).resolve()
    return (Path(__file__).resolve().parent.parent.parent / "var").resolve()


def legacy_secrets_dir(data_dir: Path) -> Path:
    """Where installations made before issue #16 keep their secrets: inside the data directory."""
    return data_dir / "secrets"


def sibling_secrets_dir(data_dir: Path) -> Path:
    """The default secrets directory: beside the data directory, never inside it (`var-secrets/`)."""
    return data_dir.parent / f"{data_dir.name}-secrets"


def resolve_secrets_dir(data_dir: Path, configured: str | None) -> Path:
    """REFUGE_SECRETS_DIR if set; else the sibling directory, or the legacy one if only it holds secrets."""
    if configured:
        return Path(configured).resolve()
    sibling = sibling_secrets_dir(data_dir)
    legacy = legacy_secrets_dir(data_dir)
    # An existing installation keeps its secrets: making fresh ones beside them would
    # orphan every receipt (the pepper) and every blind index (the server key).
    if not holds_secrets(sibling) and holds_secrets(legacy):
        return legacy
    return sibling


def default_secrets_dir() -> Path:
    """The secrets directory for the environment as it is (the `refuge` entry point's view)."""
    return resolve_secrets_dir(default_data_dir(), os.environ.get("REFUGE_SECRETS_DIR"))


def holds_secrets(directory: Path) -> bool:
    """True if the directory holds at least one of Refuge's secret files."""
    return any((directory / name).is_file() for name in SECRET_FILE_NAMES)


def is_inside(path: Path, directory: Path) -> bool:
    """True if path is directory itself or anywhere below it."""
    path, directory = path.resolve(), directory.resolve()
    return path == directory or directory in path.parents


def ensure_secret_files(data_dir: Path, secrets_dir: Path) -> list[str]:
    """Write any missing secret file with mode 0600 (directories 0700); return the names created."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    missing = {
        name: make
        for name, make in _GENERATORS.items()
        if not (f"REFUGE_{name.upper()}" in os.environ or f"REFUGE_{name.upper()}_FILE" in os.environ)
    }
    if not missing:
        return []  # every secret comes from the environment: no directory to make
    try:
        secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except PermissionError:
        raise SystemExit(
            f"refuge: cannot create the secrets directory {secrets_dir}: set REFUGE_SECRETS_DIR to a "
            "directory outside the data directory that this user may create (docs/configuration.md)"
        ) from None
    os.chmod(secrets_dir, 0o700)
    created = []
    for name, make in missing.items():
        path = secrets_dir / name
        if path.exists():
            continue
        # O_EXCL: never overwrite a secret (losing the pepper orphans every receipt).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make() + "\n")
        created.append(name)
    return created


def make_database_file_private(path: Path) -> None:
    """Create the SQLite database file readable and writable by this user only.

    A seized or shared machine's other users must not read the database (it is
    ciphertext, but also the metadata of docs/threat-model.md). SQLite gives its
    -wal and -shm files the database file's permissions, so creating the file 0600
    before SQLite does (it would use the umask, often 0644) covers all three. A file
    left wider by an older version is narrowed, with its -wal and -shm.
    """
    if not str(path) or str(path) == ":memory:" or str(path).startswith("file:"):
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        for candidate in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
            if candidate.exists() and candidate.stat().st_uid == os.getuid() and candidate.stat().st_mode & 0o077:
                os.chmod(candidate, 0o600)
    except OSError:
        # SQLite reports an unusable path in its own words when it opens it.
        return
