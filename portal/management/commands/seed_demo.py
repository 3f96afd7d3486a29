"""``python manage.py seed_demo``: build the demo province, its organisations and one user per role, then
every app's demo data (``portal.demo.BUILDERS``)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from accounts import demo as demo_module
from accounts.demo import Demo, DemoError
from portal import demo as portal_demo


class Command(BaseCommand):
    help = (
        "Build a demo: a province (Kon Tum, code 62) with districts, communes and villages, about ten "
        "trusted addresses, referral partners, Women's Union offices, and one user per role, all with one "
        "printed password. Safe to run again: what exists is left as it is. Then each app adds its own demo "
        "data (portal/demo/). Refuses to run in production mode."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--password", default=demo_module.DEFAULT_PASSWORD,
            help=f"Password for every new demo user (default: {demo_module.DEFAULT_PASSWORD}).",
        )
        parser.add_argument(
            "--province-code", default=demo_module.DEFAULT_PROVINCE_CODE,
            help="Official two-digit code of the demo province (default: 62).",
        )
        parser.add_argument(
            "--province-name", default=demo_module.DEFAULT_PROVINCE_NAME,
            help="Name of the demo province, without “Tỉnh” (default: Kon Tum).",
        )
        parser.add_argument(
            "--only-area", metavar="CODE",
            help=(
                "Seed only the unit with this code and what lies under it (plus the units above it and "
                "their Women's Union offices), e.g. 613 for huyện Kon Plông or 23482 for xã Hiếu."
            ),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be created, then roll everything back.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(_(
                "seed_demo does not run in production mode (APP_ENV=production): it creates users with a "
                "published password and two-step key."
            ))
        dry_run: bool = options["dry_run"]
        verbosity: int = options["verbosity"]
        if dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing will be saved.")))
        try:
            with transaction.atomic():
                demo = demo_module.build_demo(
                    password=options["password"], province_code=options["province_code"],
                    province_name=options["province_name"], only_area=options["only_area"],
                    log=self.stdout.write, verbosity=verbosity,
                )
                for builder in portal_demo.BUILDERS:
                    self.stdout.write(self.style.MIGRATE_HEADING(_("Demo data: %(builder)s") % {
                        "builder": f"{builder.__module__}.{builder.__qualname__}"}))
                    builder(demo)
                if dry_run:
                    transaction.set_rollback(True)
        except DemoError as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self._summary(demo, dry_run=dry_run)

    def _summary(self, demo: Demo, *, dry_run: bool) -> None:
        out = self.stdout
        out.write("")
        for plural, created, existing in demo.counts():
            out.write(_("%(kind)s: %(created)d created, %(existing)d already there")
                      % {"kind": capfirst(plural), "created": created, "existing": existing})
        if demo.warnings:
            warnings = _("%(count)d warning(s), see above.") % {"count": len(demo.warnings)}
            out.write(self.style.WARNING(warnings))

        headings = (_("Username"), _("Role"), _("Organisation"), _("2-step code"))
        rows = []
        for username, demo_user in demo.users.items():
            if not demo_user.needs_two_factor:
                two_step = _("no")
            elif demo_user.demo_device is not None:
                two_step = _("yes: demo_totp %(username)s") % {"username": username}
            else:
                two_step = _("yes: the user's own device")
            for membership in demo_user.memberships:
                rows.append((username, membership.get_role_display(), membership.organisation.name, two_step))
        widths = [max(len(str(cell)) for cell in column) for column in zip(headings, *rows, strict=False)]

        def line(cells: tuple[str, ...]) -> str:
            padded = (str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True))
            return "  ".join(padded).rstrip()

        out.write("")
        out.write(self.style.MIGRATE_HEADING(_("Demo users")))
        out.write(line(headings))
        out.write(line(tuple("-" * w for w in widths)))
        for row in rows:
            out.write(line(row))
        out.write("")
        out.write(_("Password for every demo user: %(password)s") % {"password": demo.password})
        out.write(_(
            "Users marked “yes” also need a 6-digit code after the password; get the current one with: "
            "python manage.py demo_totp <username>"
        ))
        if dry_run:
            out.write(self.style.WARNING(_("Dry run: everything above was rolled back, nothing was saved.")))
        else:
            out.write(self.style.SUCCESS(_("Demo ready.")))
