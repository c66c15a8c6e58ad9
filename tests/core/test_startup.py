"""What a server worker loads before its first request.

Every worker of `refuge serve` holds what it imported for its whole life, and the login benchmark
holds a worker to < 150 MB (DESIGN.md §7). Libraries that only a rare act needs (writing a PDF
for a packet or a letter) are imported by that act, not at start: fpdf2 and the fontTools it
loads alone cost ~54 MiB and ~1 s per worker.
"""

import subprocess
import sys
from pathlib import Path

from tests.support.server import refuge_env, run_refuge

ROOT = Path(__file__).resolve().parents[2]
# Loaded only by the act that needs them; the JSON API's by the first request to /api/v1/ (refuge/core/lazy_urls.py).
RARE = ("fpdf", "fontTools.subset", "matplotlib", "ninja", "pydantic", "refuge.api.main")
# A worker as granian starts it: the WSGI application, then the first request resolves every route.
PROBE = """
import sys
from refuge.wsgi import application
from django.urls import get_resolver
get_resolver().url_patterns
from django.test import Client
Client().get("/login/")
print(" ".join(sorted(name for name in {rare!r} if name in sys.modules)))
"""


def test_a_worker_starts_without_the_libraries_only_rare_acts_need(tmp_path: Path) -> None:
    imported = _probe(tmp_path, PROBE.format(rare=RARE))
    assert imported == "", f"imported at a worker's start: {imported}"


WARM_PROBE = """
import sys
import django
django.setup()
from django.urls import get_resolver
from refuge.ops.management.commands.serve import warm_url_patterns
warm_url_patterns()
print(sorted(name for name in {rare!r} if name in sys.modules), "refuge.workspace.views.cases" in sys.modules, get_resolver()._populated)
"""


def test_refuge_serve_loads_the_url_patterns_before_forking_its_workers_but_not_the_api(tmp_path: Path) -> None:
    """What the workers inherit: the patterns and the views (their first request does not pay for them), no API."""
    loaded = _probe(tmp_path, WARM_PROBE.format(rare=RARE))
    assert loaded.split() == ["[]", "True", "True"], loaded


# The API's addresses are still in the tree: reversed and resolved, then answered, the first time they are asked for.
API_PROBE = """
import sys
from refuge.wsgi import application
from django.urls import resolve, reverse
from django.test import Client
Client().get("/login/")
assert "ninja" not in sys.modules
assert reverse("api:cases") == "/api/v1/cases", reverse("api:cases")
assert resolve("/api/v1/cases").url_name == "cases"
answer = Client().get("/api/v1/cases")
assert answer.status_code == 401 and answer.json()["code"] == "unauthenticated", answer.content
missing = Client().get("/api/v2/anything")
assert missing.status_code == 404 and missing.json()["code"] == "not_found", missing.content
print("ninja" in sys.modules)
"""


def test_the_api_loads_on_its_first_request_with_its_addresses_in_place(tmp_path: Path) -> None:
    assert _probe(tmp_path, API_PROBE) == "True"


def _probe(tmp_path: Path, code: str) -> str:
    """Run `code` in a fresh interpreter against an initialised installation; its output."""
    data_dir = tmp_path / "var"
    data_dir.mkdir(mode=0o700)
    run_refuge(data_dir, "init")
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=refuge_env(data_dir, REFUGE_ALLOWED_HOSTS="testserver"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip()
