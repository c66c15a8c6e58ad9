"""Every recorded release's data survive the upgrade to today's schema and still decrypt (issue #15, item 5).

Each release runs in its own process on a new database (tests/ops/upgrade_child.py says what
it writes and checks): a SQLite file in the SQLite layer, a new database in the throwaway
cluster in the PostgreSQL layer (`make test-pg`), so that every migration runs forward on
both. The database is migrated to the release's schema, two rows are written into every
table through the release's historical models, the database is migrated to the newest
schema, and every row is read back and decrypted with today's code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from refuge.ops.releases import PREVIOUS, RELEASES
from tests.harness import requested_database

ROOT = Path(__file__).resolve().parents[2]
# What an upgrade must carry whatever the release: requests, cases, people, compartments,
# files and the keys and wraps that open them.
ALWAYS = {
    "accounts.organisation",
    "accounts.user",
    "keyring.key",
    "keyring.keywrap",
    "intake.helprequest",
    "intake.requestfile",
    "cases.case",
    "cases.person",
    "cases.compartment",
    "cases.casedocument",
    "cases.note",
    "cases.expense",
    "shelter.shelter",
}


def _upgrade(release_name: str, tmp_path: Path, database: dict[str, str]) -> tuple[int, dict[str, object], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFUGE_") and k != "DATABASE_URL"}
    env |= database | {
        "DJANGO_SETTINGS_MODULE": "refuge.test_settings",
        "REFUGE_DATA_DIR": str(tmp_path / "var"),
        "REFUGE_SECRETS_DIR": str(tmp_path / "var-secrets"),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.ops.upgrade_child", release_name],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    return done.returncode, json.loads(lines[-1]) if lines else {}, done.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("release", RELEASES, ids=[release.name for release in RELEASES])
def test_a_releases_data_survive_the_upgrade_and_decrypt(release, tmp_path: Path, new_database: dict[str, str]) -> None:
    status, summary, errors = _upgrade(release.name, tmp_path, new_database)
    assert summary, errors
    # The layer's database, not a fallback: the PostgreSQL layer migrates PostgreSQL.
    assert summary["vendor"] == {"sqlite": "sqlite", "postgres": "postgresql"}[requested_database()]
    assert summary["problems"] == [], summary["problems"]
    assert status == 0
    tables = set(summary["tables"])  # type: ignore[arg-type]
    assert tables >= ALWAYS, ALWAYS - tables
    assert summary["encrypted_columns"] >= 30  # type: ignore[operator]  (36 and 64 today: two rows of each table)
    if release == PREVIOUS:
        assert tables >= {"applications.application", "safety.checkinschedule", "retention.legalhold"}
