"""What an adversary who seizes the machine gets, and a search of it for canaries."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from refuge.accounts import totp
from tests.support.http import LoopbackClient
from tests.support.server import CreatedOrganisation, run_refuge

ROOT = Path(__file__).resolve().parents[2]


def encodings_of(canary: str | bytes) -> dict[str, bytes]:
    """The byte forms a secret could take on disk: raw, UTF-16, base64, hex."""
    raw = canary.encode() if isinstance(canary, str) else canary
    forms = {"raw": raw, "hex": raw.hex().encode(), "base64": base64.b64encode(raw).rstrip(b"=")}
    if isinstance(canary, str):
        forms["utf-16-le"] = canary.encode("utf-16-le")
        forms["urlsafe-base64"] = base64.urlsafe_b64encode(raw).rstrip(b"=")
    return forms


def seized_files(*roots: Path) -> list[Path]:
    """Every regular file below the roots (database, WAL, logs, sessions, uploads, temp)."""
    files: list[Path] = []
    for root in roots:
        if root.is_file():
            files.append(root)
        elif root.exists():
            files.extend(path for path in root.rglob("*") if path.is_file())
    return files


def find_canaries(files: Iterable[Path], canaries: dict[str, str | bytes]) -> list[str]:
    """Each (canary, encoding, file) found; an empty list means nothing leaked."""
    hits = []
    contents = {path: path.read_bytes() for path in files}
    # Case-folded text of each file, so a canary stored in another case is found
    # too (bytes.lower() would only fold ASCII, not Cyrillic).
    folded = {path: data.decode("utf-8", "ignore").casefold() for path, data in contents.items()}
    for label, canary in canaries.items():
        for form_name, form in encodings_of(canary).items():
            if len(form) < 8:
                continue
            for path, data in contents.items():
                if form in data:
                    hits.append(f"{label} ({form_name}) in {path}")
        if isinstance(canary, str):
            hits.extend(f"{label} (any case) in {path}" for path, text in folded.items() if canary.casefold() in text)
    return hits


def hold_the_wal(data_dir: Path) -> sqlite3.Connection:
    """An open connection to the installation's database, to be handed to `seize`.

    Another open connection (a backup tool, a second process) keeps SQLite from folding the
    WAL back and deleting it, so the seizure always includes a WAL.
    """
    holder = sqlite3.connect(data_dir / "refuge.sqlite3")
    holder.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return holder


def seize(data_dir: Path, holder: sqlite3.Connection, seized: Path) -> Path:
    """A copy of the data directory as a seizure finds it, WAL included (then the holder lets go)."""
    # Copy before anything opens the database again: a clean close would checkpoint and
    # delete the WAL, which is exactly what a seizure keeps.
    shutil.copytree(data_dir, seized)
    holder.close()
    assert Path(f"{seized / 'refuge.sqlite3'}-wal").exists(), "the WAL must be part of what is searched"
    return seized


def drive(org: CreatedOrganisation, password: str, module: str) -> dict[str, Any]:
    """Run `module`'s main() (tests/seizure/drive_*.py) in a production-settings process on the
    installation, as its coordinator `coord`; the ids it printed as its last line."""
    driven = run_refuge(
        org.data_dir,
        "manage",
        "shell",
        "-c",
        f"from {module} import main; main()",
        SEIZURE_PASSWORD=password,
        SEIZURE_TOTP=org.totp_secret,
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
    ids: dict[str, Any] = json.loads(driven.stdout.strip().splitlines()[-1])
    return ids


def log_in(client: LoopbackClient, username: str, password: str, secret: str) -> None:
    """Log a member of the organisation `canary` in with the code of this moment."""
    response = client.post_form(
        "/login/", {"organisation": "canary", "username": username, "password": password, "code": totp.code_at(secret)}
    )
    assert response.status == 302, response.text[:500]
