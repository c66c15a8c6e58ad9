"""What each intake client costs itself per submission at a set rate: the lean client against the asyncio one.

    .venv/bin/python -m bench._client_cost                          # 250 submissions/s, 64 submitters
    .venv/bin/python -m bench._client_cost --rate 500 --seconds 10 --rounds 5

The intake benchmark's clients (bench/_lean_client.py: wrk and a Lua script;
tests/support/load.py: asyncio) share the machine's two cores with the server they
measure, so the one that spends less CPU per submission leaves the server more. Against
`refuge serve` the rate is whatever the server manages (on a busy machine far below
250/s, where wrk's 64 threads waking cost more than they save), so the question "does
wrk win at 250/s?" needs a server that answers at 250/s on any machine.

Here that server is a stand-in (a process of its own, asyncio): it answers the form page
with a CSRF cookie, a CSRF token and a form token, as the portal does (pages and headers of
the portal's sizes, since reading them is part of each client's cost), and each POST that
carries its page's tokens with a receipt page after a pause of clients / rate seconds (a
sleep, no CPU), so that `clients` submitters looping GET → POST send about `rate`
submissions a second whatever the client costs. Each client runs in turn, round after
round (alternating the order), for `seconds` after a second of warm-up; its CPU per
acknowledged submission is what `LoadReport.client_cpu_seconds` says (wrk's rusage plus
this process's share for the lean client; this process's for the asyncio client), as
bench/intake.py reports it. The medians of the rounds are printed.

Measured 2026-12-07 (3 rounds of 10 s, 250/s asked, 64 submitters, on 2 cores at a load
average of 10-12 from other work): wrk 244 submissions/s at 0.36 ms of its own CPU per
submission, the asyncio client 217/s at 0.26 ms. So wrk does not cost less per submission;
what it does is keep up: its 64 threads get the share of a busy machine's cores that the
asyncio client's one process does not, and the asyncio client fell short of the rate asked.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._lean_client import run_lean_load  # noqa: E402
from tests.support.load import LoadReport, run_load  # noqa: E402

PATH = "/r/stand-in/ask/"
COOKIE = "__Host-refuge-csrf"
CLIENTS = ("wrk", "asyncio")
# What the portal sends (measured on its English pages): the clients read whole pages and every
# header, so the stand-in sends as much, the tokens and the receipt as far into the page.
FORM_PAGE_BYTES, TOKENS_AT = 8258, 743
RECEIPT_PAGE_BYTES, RECEIPT_AT = 2281, 912
PORTAL_HEADERS = [
    "Vary: Cookie, Accept-Language",
    "X-Frame-Options: DENY",
    "Content-Language: en",
    "X-Content-Type-Options: nosniff",
    "Referrer-Policy: no-referrer",
    "Cross-Origin-Opener-Policy: same-origin",
    "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'",
    "Permissions-Policy: camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Resource-Policy: same-origin",
    "Cache-Control: no-store",
]


def _page(before: int, middle: str, total: int) -> bytes:
    """`middle` after `before` bytes of markup, padded with more to `total` bytes."""
    head = "<title>Ask</title>" + "<p>" + "x" * max(0, before - 25) + "</p>"
    tail_room = max(0, total - len(head) - len(middle.encode()) - 7)
    return (head + middle + "<p>" + "y" * tail_room + "</p>").encode()


# --- the stand-in portal (its own process) --------------------------------------------------------


class StandIn:
    """The portal's form and receipt, nothing else: GET gives tokens, a POST with them gets a receipt."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.pages: dict[str, tuple[bytes, bytes]] = {}
        self.counter = itertools.count(1)

    def form_page(self) -> tuple[int, bytes, list[str]]:
        cookie, csrf, token = secrets.token_hex(16), secrets.token_hex(32), secrets.token_hex(24)
        self.pages[cookie] = (csrf.encode(), token.encode())
        form = (
            f'<form method="post" enctype="multipart/form-data">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
            f'<input type="hidden" name="form_token" value="{token}"></form>'
        )
        cookie_header = f"Set-Cookie: {COOKIE}={cookie}; Path=/; Secure; HttpOnly; SameSite=Strict"
        return 200, _page(TOKENS_AT, form, FORM_PAGE_BYTES), [*PORTAL_HEADERS, cookie_header]

    async def receipt_page(self, cookies: str, body: bytes) -> tuple[int, bytes, list[str]]:
        await asyncio.sleep(self.pause)
        cookie = next((pair.partition("=")[2] for pair in cookies.split("; ") if pair.startswith(COOKIE)), "")
        csrf, token = self.pages.pop(cookie, (b"", b""))
        if not csrf or csrf not in body or token not in body:
            return 400, b'<ul class="error-summary__list"><li>The form tokens did not match.</li></ul>', PORTAL_HEADERS
        digits = f"{next(self.counter):020d}".translate(str.maketrans("0123456789", "ABCDEFGHJK"))
        groups = "".join(f'<span class="receipt__group">{digits[i : i + 4]}</span>' for i in range(0, 20, 4))
        return 200, _page(RECEIPT_AT, f"<p>{groups}</p>", RECEIPT_PAGE_BYTES), PORTAL_HEADERS

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                method = head[0].partition(" ")[0]
                headers = {}
                for line in head[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                if method == "POST":
                    status, page, extra = await self.receipt_page(headers.get("cookie", ""), body)
                else:
                    status, page, extra = self.form_page()
                close = headers.get("connection", "").lower() == "close"
                lines = [
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Bad Request'}",
                    "Content-Type: text/html; charset=utf-8",
                    f"Content-Length: {len(page)}",
                    *extra,
                    *(["Connection: close"] if close else []),
                ]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + page)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def _serve(sock: socket.socket, pause: float) -> None:
    stand_in = StandIn(pause)
    server = await asyncio.start_server(stand_in.handle, sock=sock, backlog=1024)
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    async with server:
        await stopping.wait()


def stand_in_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--pause", type=float, required=True)
    args = parser.parse_args(argv)
    asyncio.run(_serve(socket.socket(fileno=args.fd), args.pause))
    return 0


class RunningStandIn:
    """The stand-in in a process of its own (its CPU is not the clients'), on a port bound here."""

    def __init__(self, pause: float) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=1024)
        self.port = self.sock.getsockname()[1]
        command = [sys.executable, str(Path(__file__).resolve()), "stand-in", "--fd", str(self.sock.fileno())]
        self.process = subprocess.Popen([*command, "--pause", repr(pause)], pass_fds=[self.sock.fileno()], cwd=ROOT)

    def __enter__(self) -> RunningStandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.sock.close()


# --- the comparison ------------------------------------------------------------------------------


def measure(client: str, port: int, clients: int, seconds: float) -> dict[str, Any]:
    """One run of one client against the stand-in: its rate, its CPU per submission, its errors."""
    load = run_lean_load if client == "wrk" else run_load
    report: LoadReport = load(port, PATH, clients=clients, seconds=seconds, warm_up=1.0)
    count = max(1, len(report.sent))
    return {
        "rate": report.per_second,
        "client_ms": report.client_cpu_seconds * 1000 / count,
        "submissions": len(report.sent),
        "errors": report.error_count,
        "error_text": report.describe_errors() if report.error_count else "",
    }


def compare(
    rate: float, clients: int, seconds: float, rounds: int, report: Any = None
) -> dict[str, list[dict[str, Any]]]:
    """Each client in turn, `rounds` times, against one stand-in answering `clients` submitters at `rate`."""
    results: dict[str, list[dict[str, Any]]] = {client: [] for client in CLIENTS}
    with RunningStandIn(pause=clients / rate) as stand_in:
        for number in range(rounds):
            order = CLIENTS if number % 2 == 0 else CLIENTS[::-1]
            for client in order:
                found = measure(client, stand_in.port, clients, seconds)
                results[client].append(found)
                if report is not None:
                    report(number, client, found)
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["stand-in"]:
        return stand_in_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=250.0, help="submissions a second the stand-in allows")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores", flush=True)

    def report(number: int, client: str, found: dict[str, Any]) -> None:
        print(
            f"round {number + 1} {client:8}: {found['rate']:6.1f} submissions/s, client CPU "
            f"{found['client_ms']:5.2f} ms per submission, {found['errors']} errors {found['error_text']}",
            flush=True,
        )

    started = time.monotonic()
    results = compare(args.rate, args.clients, args.seconds, args.rounds, report)
    print(f"\nmedians of {args.rounds} rounds ({time.monotonic() - started:.0f} s, load {os.getloadavg()[0]:.1f}):")
    for client, runs in results.items():
        rate = statistics.median(run["rate"] for run in runs)
        cost = statistics.median(run["client_ms"] for run in runs)
        print(f"  {client:8}: {rate:6.1f} submissions/s, client CPU {cost:5.2f} ms per submission")
    return 0


if __name__ == "__main__":
    sys.exit(main())
