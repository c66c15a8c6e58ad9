"""`refuge nginx-config`: the nginx site for one or several app servers (refuge/ops/nginx.py)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from refuge.ops.nginx import NginxConfigError, Site, command_line, render


class Command(BaseCommand):
    help = "Print the nginx site file that puts Refuge's app servers behind one proxy (docs/operations.md)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--app", action="append", default=[], metavar="HOST:PORT", help="an app server (repeat)")
        parser.add_argument("--server-name", action="append", default=[], help="a host name nginx answers (repeat)")
        parser.add_argument("--listen", default="443", help="port or address:port (default 443)")
        parser.add_argument("--certificate", default="", help="TLS certificate (fullchain) path")
        parser.add_argument("--certificate-key", default="", help="TLS private key path")
        parser.add_argument(
            "--redirect-listen",
            default=Site.redirect_listen,
            help="with a certificate: where plain HTTP is sent to HTTPS (default 80)",
        )
        parser.add_argument("--body-temp-path", default=Site.body_temp_path, help="where nginx keeps large bodies")
        parser.add_argument("--onion", action="store_true", help="the virtual host of a tor onion service")

    def handle(self, *args: Any, **options: Any) -> None:
        site = Site(
            app_servers=options["app"],
            server_names=options["server_name"],
            listen=options["listen"],
            certificate=options["certificate"],
            certificate_key=options["certificate_key"],
            redirect_listen=options["redirect_listen"],
            body_temp_path=options["body_temp_path"],
            onion=options["onion"],
        )
        try:
            text = render(site, command_line(site))
        except NginxConfigError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(text, ending="")
