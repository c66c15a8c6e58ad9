"""A streaming replica of a throwaway PostgreSQL cluster, made and promoted as docs/operations.md says.

The primary is a CrashableCluster (tests/support/crash_postgres.py); the replica is copied from
it with `pg_basebackup -d application_name=<slot> -R -S <slot> -X stream --checkpoint=fast` over the
primary's Unix socket
(the test clusters listen on no TCP port) and started on a socket of its own; `promote()` is
`pg_ctl promote`, which Debian's `pg_ctlcluster … promote` runs.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import psycopg

from tests.postgres import OWNER_FILE, SUPERUSER, ThrowawayCluster, _unprivileged_user, find_bin_dir
from tests.support.crash_postgres import CrashableCluster

SLOT = "replica1"


@dataclass
class ReplicaCluster(CrashableCluster):
    """A cluster that starts as a hot standby of `primary` and can be promoted."""

    @classmethod
    def of(cls, primary: ThrowawayCluster) -> ReplicaCluster:
        """Create the replication slot on the primary, copy the primary, start the copy as its standby."""
        with psycopg.connect(primary.url("postgres"), autocommit=True) as connection:
            connection.execute("SELECT pg_create_physical_replication_slot(%s)", [SLOT])
        replica = cls(find_bin_dir())
        (replica.root / OWNER_FILE).write_text(str(os.getpid()))
        replica.socket_dir.mkdir(mode=0o700)
        run_as = _unprivileged_user()
        if run_as is not None:
            for path in (replica.root, replica.socket_dir):
                os.chown(path, *run_as)
        replica._run(
            run_as, "pg_basebackup", "-h", str(primary.socket_dir), "-p", str(primary.port), "-U", SUPERUSER,
            "-d", f"application_name={SLOT}", "-D", str(replica.data_dir), "-R", "-S", SLOT, "-X", "stream",
            "--checkpoint=fast",
        )  # fmt: skip
        # The copied settings name the primary's socket directory: the replica listens on its own.
        with (replica.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"\n# the replica's own socket\nunix_socket_directories = '{replica.socket_dir}'\n")
        replica._run(
            run_as, "pg_ctl", "-D", str(replica.data_dir), "-l", str(replica.log_file), "-w", "-t", "120", "start"
        )
        replica.started = True
        return replica

    def promote(self) -> None:
        """Make this standby a primary that takes writes."""
        self._run(_unprivileged_user(), "pg_ctl", "-D", str(self.data_dir), "-w", "-t", "120", "promote")


def make_synchronous(primary: ThrowawayCluster, seconds: float = 60) -> None:
    """Commits on the primary wait for the replica (synchronous_standby_names), once it streams in sync."""
    with psycopg.connect(primary.url("postgres"), autocommit=True) as connection:
        # By the name the replica gives (application_name in its primary_conninfo, written by -R).
        connection.execute(f"ALTER SYSTEM SET synchronous_standby_names = '{SLOT}'")
        connection.execute("SELECT pg_reload_conf()")
        deadline = time.monotonic() + seconds
        while True:
            row = connection.execute("SELECT application_name, state, sync_state FROM pg_stat_replication").fetchone()
            if row == (SLOT, "streaming", "sync"):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the replica does not stream in sync: {row}")
            time.sleep(0.2)
