"""Create the installation's secret files (run by `refuge init`, before Django starts), and keep the database private."""

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


def default_data_dir() -> Path:
    """Where `var/` is: REFUGE_DATA_DIR, or `var/` beside the source tree."""
    configured = os.environ.get("REFUGE_DATA_DIR")
    if configured:
        return Path(configured).resolve()
    return (Path(__file__).resolve().parent.parent.parent / "var").resolve()


def ensure_secret_files(data_dir: Path) -> list[str]:
    """Write any missing secret file with mode 0600; return the names created."""
    secrets_dir = data_dir / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    os.chmod(secrets_dir, 0o700)
    created = []
    for name, make in _GENERATORS.items():
        path = secrets_dir / name
        env_name = f"REFUGE_{name.upper()}"
        if path.exists() or env_name in os.environ or f"{env_name}_FILE" in os.environ:
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
