"""``python manage.py confirm_membership <id>``: confirm, from the server console, a grant that nobody
in the application may confirm."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import access, services
from accounts.models import Membership


class Command(BaseCommand):
    help = (
        "Confirm a role awaiting confirmation that nobody in the application may confirm — typically the "
        "first Women's Union supervisor of a district, or the first officer of a province-wide service. "
        "Refuses when someone in the application can confirm it (ask them: they know the person). "
        "Whoever runs this holds the server and its keys; the account history records the console."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("membership_id", type=int, help="The membership's id (see the operator's administration).")
        parser.add_argument("--dry-run", action="store_true", help="Say what would happen; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            grant = (Membership.objects.select_related("user", "organisation__area")
                     .filter(pk=options["membership_id"]).first())
            if grant is None:
                raise CommandError(_("There is no membership with id %(id)s.") % {"id": options["membership_id"]})
            if not grant.is_awaiting_confirmation:
                raise CommandError(_("This role is “%(state)s”, not awaiting confirmation.")
                                   % {"state": grant.get_state_display()})
            confirmers = access.in_app_confirmers(grant).select_related("user", "organisation")
            if confirmers.exists():
                names = ", ".join(f"{m.user.username} ({m})" for m in confirmers[:5])
                raise CommandError(_("Someone in the application can confirm this role: %(names)s. Ask them.")
                                   % {"names": names})
            self.stdout.write(_("Role: %(username)s · %(membership)s")
                              % {"username": grant.user.username, "membership": grant})
            if options["dry_run"]:
                self.stdout.write(_("Dry run: nothing was confirmed."))
                return
            services.membership_confirm_from_console(membership=grant)
            self.stdout.write(_("Confirmed from the server console."))
