"""``python manage.py indicators_refresh``: count the statistics snapshot, and release the periods that
are due.

Run it on a schedule (every hour, say, from cron or a systemd timer), one at a time. Each run counts the
working snapshot and then publishes every month, quarter, year or programme phase that has ended
``INDICATORS_RELEASE_LAG_DAYS`` ago and has no release yet; reports read releases only, and a release
never changes. Until the first release the dashboard says that nothing is published yet.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand

from indicators.models import Release
from indicators.services import snapshot_refresh


class Command(BaseCommand):
    help = (
        "Count every indicator for every fixed period and reporting area into a new statistics snapshot "
        "(counts only), then release every period that is due (ended INDICATORS_RELEASE_LAG_DAYS ago): the "
        "dashboard and the report files read releases, which never change. Run it on a schedule."
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

        before = set(Release.objects.values_list("period", flat=True))
        snapshot = snapshot_refresh(progress=progress)
        if interactive:
            self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Statistics snapshot of {snapshot}: {snapshot.figures.count()} area-periods counted "
                f"in {snapshot.seconds:.1f} s."
            )
        )
        released = sorted(set(Release.objects.values_list("period", flat=True)) - before)
        self.stdout.write(
            f"Released {len(released)} periods: {', '.join(released)}." if released else "No period released."
        )
