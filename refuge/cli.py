"""The `refuge` console command: a friendly front for the management commands."""

from __future__ import annotations

import os
import sys

COMMANDS = {
    "init": "create secrets and the database (safe to run again)",
    "serve": "run the web server (REFUGE_HOST, REFUGE_PORT)",
    "demo": "init, load a demo organisation with demo users and data, and serve",
    "createorg": "create an organisation, its recovery key shares and first coordinator",
    "createuser": "create a staff account (prints its TOTP secret and recovery key once)",
    "tick": "run the scheduled jobs that are due, once (for cron or a systemd timer)",
    "jobs": "list the scheduled jobs: last run, last result, next run",
    "scheduler": "run scheduled jobs until stopped (refuge serve starts one)",
    "audit": "audit log: verify | checkpoint | export",
    "recovery": "organisation recovery key: verify that shares rebuild it",
    "pathways": "pathway catalogue: import FILE (checked, all or nothing) | export",
    "backup": "write one encrypted backup file while the server runs; --verify FILE checks one",
    "restore": "restore a backup into a new, empty installation (all or nothing)",
    "retention": "retention rules, legal holds and what the daily job will crypto-shred",
    "import-referral": "import another Refuge installation's disclosure packet as a new case (checked whole first)",
    "nginx-config": "print the nginx site file for one or several app servers (docs/operations.md)",
    "check": "run system checks (add --deploy for production checks)",
    "manage": "any other Django management command",
}


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: refuge COMMAND [options]   (refuge COMMAND --help for details)", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `refuge` console script."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        print(f"refuge: unknown command {command!r}\n\n{_usage()}", file=sys.stderr)
        raise SystemExit(2)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "refuge.settings")
    if command in {"init", "demo"} and os.environ["DJANGO_SETTINGS_MODULE"] == "refuge.settings":
        from refuge.core.secrets_files import default_data_dir, default_secrets_dir, ensure_secret_files

        ensure_secret_files(default_data_dir(), default_secrets_dir())
    from django.core.management import execute_from_command_line

    if command == "manage":
        execute_from_command_line(["refuge", *rest])
    elif command == "import-referral":
        execute_from_command_line(["refuge", "import_referral", *rest])
    elif command == "nginx-config":
        execute_from_command_line(["refuge", "nginx_config", *rest])
    else:
        execute_from_command_line(["refuge", command, *rest])
