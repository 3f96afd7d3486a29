"""``python manage.py purge_unsaved_work``: delete work kept across a time-out once its time is over."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from accounts.models import UnsavedWork
from accounts.services import unsaved_work_purge


class Command(BaseCommand):
    help = (
        "Delete the work kept across an idle time-out (sealed form posts) that is older than "
        "SESSION_KEPT_WORK_MINUTES. The application already deletes expired rows whenever it writes or "
        "reads kept work and at every sign-in; schedule this (e.g. hourly) so none waits for the next one."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; change nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        if dry_run:
            count = UnsavedWork.objects.expired().count()
            self.stdout.write(f"{count} expired kept post(s) would be deleted.")
            return
        count = unsaved_work_purge()
        self.stdout.write(self.style.SUCCESS(f"{count} expired kept post(s) deleted."))
