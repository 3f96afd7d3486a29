from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from referrals.models import Referral
from referrals.services import referrals_expire_overdue


class Command(BaseCommand):
    help = (
        "Expire referrals that were not acknowledged in time (REFERRAL_ROUTINE_HOURS / "
        "REFERRAL_URGENT_HOURS) and tell the sender. Run every few minutes from cron or a timer."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would expire; change nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        if dry_run:
            count = Referral.objects.overdue().count()
            self.stdout.write(f"{count} referral(s) would expire.")
            return
        count = referrals_expire_overdue()
        self.stdout.write(self.style.SUCCESS(f"{count} referral(s) expired."))
