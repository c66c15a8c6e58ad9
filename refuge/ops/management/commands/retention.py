from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from refuge.accounts.models import Organisation
from refuge.cases.models import Case
from refuge.core.errors import UserError
from refuge.intake.models import HelpRequest
from refuge.retention.actions import do_lift_legal_hold, do_set_legal_hold, do_set_rule, shred_due
from refuge.retention.models import Subject
from refuge.retention.queries import PLAN_DAYS, due_items, rules_of


class Command(BaseCommand):
    help = (
        "Retention (docs/operations.md, 'Retention'): show or set an organisation's rules, list what the daily "
        "job will crypto-shred, put a case or request on legal hold, or run the job now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{rules,set,plan,hold,release,run}")
        rules = actions.add_parser("rules", help="show the organisation's rules")
        rules.add_argument("--org", required=True, help="the organisation's short name")
        rule = actions.add_parser("set", help="keep one kind of record for DAYS days ('none': no rule)")
        rule.add_argument("--org", required=True)
        rule.add_argument("subject", choices=Subject.values)
        rule.add_argument("days", help="0 to 3653, or 'none'")
        plan = actions.add_parser("plan", help=f"list what will be shredded in the next {PLAN_DAYS} days")
        plan.add_argument("--org", required=True)
        plan.add_argument("--days", type=int, default=PLAN_DAYS)
        for name, text in (("hold", "put a case or request on legal hold"), ("release", "lift a legal hold")):
            hold = actions.add_parser(name, help=text)
            hold.add_argument("--org", required=True)
            hold.add_argument("reference", help="the case's or request's reference, e.g. C-7K2M9Q or R-7K2M9Q")
        actions.add_parser("run", help="run the daily job now (it also runs by itself once a day)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "run":
            self.stdout.write(shred_due(today=timezone.localdate()).summary())
            return
        organisation = Organisation.objects.filter(slug=options["org"].strip().lower()).first()
        if organisation is None:
            raise CommandError(f"no organisation with the short name {options['org']!r}")
        try:
            getattr(self, f"_{action}")(organisation, options)
        except UserError as error:
            raise CommandError(str(error.message)) from None

    def _rules(self, organisation: Organisation, options: dict[str, Any]) -> None:
        rules = rules_of(organisation)
        for subject in Subject:
            days = rules.get(subject.value)
            self.stdout.write(f"{subject.value:<18} {'kept' if days is None else f'{days} days':<10} {subject.label}")

    def _set(self, organisation: Organisation, options: dict[str, Any]) -> None:
        text = options["days"].strip().lower()
        if text != "none" and not text.isdigit():
            raise CommandError("DAYS is a number of days or 'none'")
        days = None if text == "none" else int(text)
        do_set_rule(actor=None, organisation=organisation, subject=options["subject"], days=days)
        self.stdout.write(f"{options['subject']}: {'kept' if days is None else f'{days} days'}")

    def _plan(self, organisation: Organisation, options: dict[str, Any]) -> None:
        items = due_items(organisation, today=timezone.localdate(), within_days=options["days"])
        for item in items:
            name = item.reference or f"a document of {item.case_reference}"
            self.stdout.write(f"{item.due_on.isoformat()}  {item.subject:<18} {name}")
        self.stdout.write(f"{len(items)} records due within {options['days']} days")

    def _record(self, organisation: Organisation, reference: str) -> Case | HelpRequest:
        reference = reference.strip().upper()
        found = Case.objects.filter(organisation=organisation, reference=reference).first() or (
            HelpRequest.objects.filter(organisation=organisation, reference=reference).first()
        )
        if found is None:
            raise CommandError(f"no case or request {reference!r} in this organisation")
        return found

    def _hold(self, organisation: Organisation, options: dict[str, Any]) -> None:
        do_set_legal_hold(
            actor=None, record_=self._record(organisation, options["reference"]), today=timezone.localdate()
        )
        self.stdout.write(f"{options['reference']} is on legal hold: no rule shreds it until it is released")

    def _release(self, organisation: Organisation, options: dict[str, Any]) -> None:
        do_lift_legal_hold(actor=None, record_=self._record(organisation, options["reference"]))
        self.stdout.write(f"{options['reference']}: legal hold lifted")
