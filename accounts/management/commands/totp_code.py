"""Print the code a user's authenticator app shows now (demo and support: the server holds the key)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.second_factor import confirmed_device, current_code


class Command(BaseCommand):
    help = "Print the current TOTP code of a user's confirmed authenticator (e.g. for the demo logins)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        device = confirmed_device(user)
        if device is None:
            raise CommandError(
                f"{username} has no authenticator app set up: it logs in with its password only."
            )
        self.stdout.write(current_code(device))
