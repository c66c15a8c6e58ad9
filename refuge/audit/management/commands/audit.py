"""`refuge audit verify | checkpoint | export | flush`: check, sign, witness and complete the audit log."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from refuge.audit.actions import CHECKPOINT_EVERY, do_sign_checkpoint, flush_held_entries
from refuge.audit.export import export_lines
from refuge.audit.models import HeldEntry
from refuge.audit.verify import VerifyReport, verify_chain, verify_export
from refuge.core.errors import UserError


class Command(BaseCommand):
    help = (
        "Check, sign and export the hash-chained audit log. "
        "Run `audit verify` daily and send `audit export` to an off-host witness (docs/audit.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{verify,checkpoint,export,flush}")
        verify = actions.add_parser(
            "verify",
            help="check every entry and checkpoint; exit 1 and name each problem's seq if any",
            description="Recompute the hash chain, check each signed checkpoint, and compare the head. "
            "With --witness, also compare against an export kept off this host, which is the only way "
            "to detect a log rewritten from scratch.",
        )
        verify.add_argument("--witness", metavar="FILE", help="an earlier `audit export` file kept by a witness")
        actions.add_parser(
            "checkpoint",
            help="sign the current head of the log now",
            description="Check the log since the last checkpoint, then sign its head with the installation's "
            f"audit key. Checkpoints are also signed automatically every {CHECKPOINT_EVERY} entries.",
        )
        export = actions.add_parser(
            "export",
            help="write the audit public key and all checkpoints as JSON lines, for a witness",
            description="Sign the current head, then write the installation's audit public key and every "
            "signed checkpoint as JSON lines. Give the file to a witness off this host and keep every copy.",
        )
        export.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
        actions.add_parser(
            "flush",
            help="chain the held requester entries of every hour that has ended",
            description="Requesters' acts are held, to the hour, until their hour has ended, then chained in a "
            "shuffled batch (docs/audit.md). Any audit write does this too; run it a few minutes after each hour "
            "so a quiet hour's acts are chained without waiting for the next one.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "verify":
            self._verify(options["witness"])
        elif action == "checkpoint":
            self._checkpoint()
        elif action == "flush":
            self.stdout.write(f"Chained {flush_held_entries()} held requester entries")
        else:
            self._export(options["output"])

    def _verify(self, witness: str | None) -> None:
        report = verify_chain()
        if witness is not None:
            try:
                with open(witness, encoding="utf-8") as lines:
                    report.merge(verify_export(lines))
            except OSError as error:
                raise CommandError(f"cannot read the witness file: {error.strerror}") from None
        counts = f"{report.entries} entries, {report.checkpoints} checkpoints"
        if witness is not None:
            counts += f", {report.witness_checkpoints} witness checkpoints"
        if report.ok:
            self._held()
            # The verdict stays the last line: scripts read it there.
            self.stdout.write(f"OK: {counts} verified")
            return
        self._print_problems(report)
        self.stdout.write(f"FAILED: {_problems(report)} in {counts}")
        raise CommandError("the audit log does not verify", returncode=1)

    def _held(self) -> None:
        held = HeldEntry.objects.count()
        if held:
            # Not yet in the chain, so not covered by it: say so rather than let OK imply it.
            self.stdout.write(f"{held} requester entries are held until their hour ends (not yet chained)")

    def _print_problems(self, report: VerifyReport) -> None:
        for problem in report.problems:
            self.stdout.write(str(problem))
        if report.omitted:
            self.stdout.write(f"... and {report.omitted} more problems not listed")

    def _checkpoint(self) -> None:
        try:
            checkpoint = do_sign_checkpoint()
        except UserError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Checkpoint at entry {checkpoint.seq}: hash {bytes(checkpoint.entry_hash).hex()}, "
            f"signed {checkpoint.signed_at.isoformat()}"
        )

    def _export(self, output: str | None) -> None:
        try:
            # The witness should pin the newest state, not only the last automatic checkpoint.
            do_sign_checkpoint()
        except UserError as error:
            if error.code != "audit_log_empty":
                # A tampered log's export must not replace the witness's last good copy.
                raise CommandError(f"{error} Nothing was exported.") from None
        if output is None:
            for line in export_lines():
                self.stdout.write(line)
            return
        count = 0
        try:
            with open(output, "w", encoding="utf-8") as file:
                for line in export_lines():
                    file.write(line + "\n")
                    count += 1
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror}") from None
        self.stderr.write(f"Exported the audit key and {count - 1} checkpoints to {output}")


def _problems(report: VerifyReport) -> str:
    total = len(report.problems) + report.omitted
    return f"{total} problem" if total == 1 else f"{total} problems"
