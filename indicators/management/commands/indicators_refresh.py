"""``python manage.py indicators_refresh``: count the statistics snapshot that reports are read from.

Run it on a schedule (every hour, say, from cron or a systemd timer): a report shows the time its
figures were counted. Until the first refresh, and after a survivor withdraws her consent to statistics
until the next one, reports are counted live — correct, but slow for a large province.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand

from indicators.services import snapshot_refresh


class Command(BaseCommand):
    help = (
        "Count every indicator for every fixed period and reporting area into a new statistics snapshot "
        "(counts only), which the dashboard and the report files then read. Run it on a schedule."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        interactive = self.stdout.isatty() if hasattr(self.stdout, "isatty") else sys.stdout.isatty()

        def progress(done: int, total: int, step: str) -> None:
            line = f"[{done}/{total}] {100 * done // max(total, 1)}% {time.perf_counter() - started:.0f} s {step}"
            if interactive:
                self.stdout.write(f"\r\033[K{line}", ending="")
                self.stdout.flush()
            elif done == total or done % 10 == 0:
                self.stdout.write(line)

        snapshot = snapshot_refresh(progress=progress)
        if interactive:
            self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Statistics snapshot of {snapshot}: {snapshot.figures.count()} area-periods counted "
                f"in {snapshot.seconds:.1f} s."
            )
        )
