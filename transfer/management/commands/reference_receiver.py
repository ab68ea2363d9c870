"""`manage.py reference_receiver --port 8765`: the reference national-database receiver."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from transfer.reference_receiver import MODES, main


class Command(BaseCommand):
    help = (
        "Run the reference receiver of the national civil-status database (demo and tests). It demands "
        "the bearer token TRANSFER_RECEIVER_TOKEN; its /_state and /_control endpoints exist only when "
        "TRANSFER_RECEIVER_TEST_MODE is on. With --tls-cert/--tls-key it serves HTTPS, and with "
        "--tls-client-ca only to senders presenting a client certificate that CA signed (mutual TLS)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--db", default="var/receiver.sqlite3")
        parser.add_argument("--mode", choices=MODES, default="ok")
        parser.add_argument("--delay", type=float, default=0.0)
        parser.add_argument("--tls-cert", default="", help="server certificate (PEM): serve HTTPS")
        parser.add_argument("--tls-key", default="", help="the server certificate's private key (PEM)")
        parser.add_argument("--tls-client-ca", default="", help="demand a client certificate this CA signed")

    def handle(self, *args: Any, **o: Any) -> None:
        main(
            [
                "--host",
                o["host"],
                "--port",
                str(o["port"]),
                "--db",
                o["db"],
                "--mode",
                o["mode"],
                "--delay",
                str(o["delay"]),
                "--tls-cert",
                o["tls_cert"],
                "--tls-key",
                o["tls_key"],
                "--tls-client-ca",
                o["tls_client_ca"],
            ],
            token=settings.TRANSFER_RECEIVER_TOKEN,
            test_mode=settings.TRANSFER_RECEIVER_TEST_MODE,
        )
