"""The test harness: loaded with `-p tests.harness` (pyproject.toml), before Django reads settings.

It decides, once per test session, where the tests keep their data and which database
they run on, and it makes sure a CI run cannot pass by skipping (docs/development.md):

- REFUGE_DATA_DIR and REFUGE_SECRETS_DIR: two fresh temporary directories, removed at the
  end of the session.
- REFUGE_TEST_DATABASE=sqlite (default): DATABASE_URL is cleared, so the suite can never
  touch a database configured in the developer's shell.
- REFUGE_TEST_DATABASE=postgres: a throwaway PostgreSQL cluster (tests/postgres.py) is
  started and DATABASE_URL points at it; it is stopped and deleted at the end.
- CI=true: a skipped test fails the run; so does a missing PostgreSQL or Chromium.

xdist workers inherit the environment of the process that started them, so they
reuse its data directory and cluster instead of starting their own.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
from collections.abc import Generator
from pathlib import Path

import pytest

from tests.postgres import PostgresUnavailable, ThrowawayCluster, find_bin_dir, reap_orphans

OWNER_ENV = "REFUGE_TEST_HARNESS_OWNER"
DATABASES = ("sqlite", "postgres")


def in_ci() -> bool:
    """True on the CI machine (CI=true), where nothing may be silently skipped."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def requested_database() -> str:
    """The database the run was asked for: REFUGE_TEST_DATABASE, sqlite by default."""
    value = os.environ.get("REFUGE_TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
    if value not in DATABASES:
        raise pytest.UsageError(f"REFUGE_TEST_DATABASE must be one of {', '.join(DATABASES)}, not {value!r}")
    return value


class _Session:
    """What this process started and must clean up (nothing, in an xdist worker)."""

    def __init__(self) -> None:
        self.data_dir: Path | None = None
        self.secrets_dir: Path | None = None
        self.cluster: ThrowawayCluster | None = None
        self.skipped: list[str] = []

    def cleanup(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
            self.cluster = None
        for directory in (self.data_dir, self.secrets_dir):
            if directory is not None:
                shutil.rmtree(directory, ignore_errors=True)
        self.data_dir = self.secrets_dir = None


_session = _Session()


def _cleanup_and_die(signum: int, frame: object) -> None:
    # A CI time limit or `kill` sends SIGTERM: stop the cluster first, then die of the signal.
    _session.cleanup()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _owned_by_a_live_parent() -> bool:
    """True in an xdist worker (or any child) of a harness that is still running."""
    owner = os.environ.get(OWNER_ENV, "")
    if not owner.isdigit() or int(owner) == os.getpid():
        return False
    try:
        os.kill(int(owner), 0)
    except OSError:
        return False
    return True


def _prepare_environment() -> None:
    if _owned_by_a_live_parent():
        return
    os.environ[OWNER_ENV] = str(os.getpid())
    atexit.register(_session.cleanup)
    signal.signal(signal.SIGTERM, _cleanup_and_die)
    _session.data_dir = Path(tempfile.mkdtemp(prefix="refuge-test-"))
    # Never a developer's real var/: tests create and delete files here.
    os.environ["REFUGE_DATA_DIR"] = str(_session.data_dir)
    # Secrets are kept apart from the data directory (docs/configuration.md), in tests too.
    _session.secrets_dir = Path(tempfile.mkdtemp(prefix="refuge-test-secrets-"))
    os.environ["REFUGE_SECRETS_DIR"] = str(_session.secrets_dir)
    if requested_database() == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        return
    try:
        bin_dir = find_bin_dir()
        reap_orphans(bin_dir)
        cluster = ThrowawayCluster(bin_dir)
        _session.cluster = cluster
        cluster.start()
    except PostgresUnavailable as error:
        _session.cleanup()
        # Loud in CI and locally alike: the run asked for PostgreSQL, so SQLite won't do.
        raise pytest.UsageError(f"REFUGE_TEST_DATABASE=postgres, but: {error}") from None
    os.environ["DATABASE_URL"] = cluster.url()


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> Generator[None]:
    # Runs before pytest-django's implementation, which reads the Django settings.
    if not (early_config.known_args_namespace.help or early_config.known_args_namespace.version):
        _prepare_environment()
    return (yield)


def pytest_unconfigure(config: pytest.Config) -> None:
    _session.cleanup()


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    cluster = f", throwaway cluster in {_session.cluster.root}" if _session.cluster else ""
    return [f"refuge: database {engine}{cluster}; data in {os.environ['REFUGE_DATA_DIR']}; CI={in_ci()}"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if requested_database() == "postgres":
        return
    # make test-fast / test-sqlite deselect these with -m; a bare `pytest` reports them as
    # skipped (and fails in CI, where nothing may be skipped) instead of failing strangely.
    skip = pytest.mark.skip(reason="needs PostgreSQL: REFUGE_TEST_DATABASE=postgres (make test-pg)")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _session.skipped.append(report.nodeid)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped:  # a whole module skipped, e.g. by pytest.importorskip
        _session.skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A layer that skips in CI has not run: that is a failure, not a pass (.ci/run).
    if in_ci() and _session.skipped and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if in_ci() and _session.skipped:
        terminalreporter.section("skipped tests fail the run in CI", sep="=", red=True, bold=True)
        for nodeid in _session.skipped:
            terminalreporter.line(f"SKIPPED IN CI: {nodeid}")
