"""``python manage.py demo_totp <username>``: the current two-step code of a demo user."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.demo import DemoError, current_code, demo_device_for


class Command(BaseCommand):
    help = (
        "Print the current 6-digit two-step code of a demo user made by seed_demo (first line), how long "
        "it stays valid, and the otpauth:// URL to add the demo key to an authenticator app. Only for demo "
        "users with the demo device; refuses to run in production mode."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", help="A demo username, e.g. quantri.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(_("demo_totp does not run in production mode (APP_ENV=production)."))
        try:
            device = demo_device_for(options["username"])
        except DemoError as error:
            raise CommandError(str(error)) from error
        code, remaining = current_code(device)
        self.stdout.write(code)
        self.stdout.write(_("Valid for %(seconds)d more seconds (a new code every %(step)d seconds).")
                          % {"seconds": remaining, "step": device.step})
        self.stdout.write(_("Authenticator app: %(url)s") % {"url": device.config_url})
