"""Writes for indicators: plan targets, and the statistics snapshot (counts only; casework and referrals
are read, never written)."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import AdminUnit, User
from indicators import aggregates
from indicators.models import REPORTING_LEVELS, PlanTarget, Snapshot, SnapshotFigures, StatisticsVersion

PERIOD_KINDS = ("month", "quarter", "year", "phase")


@transaction.atomic
def plan_target_set(
    *,
    area: AdminUnit,
    indicator: str,
    period: str,
    target: int,
    by: User | None,
    source: str = "",
) -> PlanTarget:
    """Set (create or change) the target of an indicator for an area and period."""
    plan = PlanTarget.objects.select_for_update().filter(
        area=area, indicator=indicator, period=period
    ).first() or PlanTarget(area=area, indicator=indicator, period=period)
    plan.target, plan.source = target, source
    plan.full_clean()
    plan._history_user = by  # type: ignore[attr-defined]
    plan._change_reason = gettext_noop("target set")  # type: ignore[attr-defined]
    plan.save()
    return plan


def _json_ready(value: Any) -> Any:
    # A SUM can arrive as a Decimal; the figures are stored as JSON numbers, never as strings.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def snapshot_refresh(*, progress: Callable[[int, int, str], object] | None = None) -> Snapshot:
    """Count every report section for every fixed period and every reporting area, store the figures
    as a new snapshot, and drop the older ones.

    One GROUP BY query per population, kind of period and depth of area (:func:`aggregates.grouped`):
    a few dozen queries however many areas and periods there are. On PostgreSQL they all read one
    consistent view of the records (REPEATABLE READ), so the sections of a report agree. A withdrawal
    of consent committed while this runs bumps the statistics version, which makes this snapshot stale
    the moment it is finished (reports are then counted live until the next refresh).
    """
    started = time.perf_counter()
    # Only as the transaction's first statement (not inside an outer one, as in the tests).
    consistent = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if consistent:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        snapshot = Snapshot.objects.create(
            started_at=timezone.now(), statistics_version=StatisticsVersion.current()
        )
        reporting = set(AdminUnit.objects.filter(level__in=REPORTING_LEVELS).values_list("path", flat=True))
        depths = sorted({path.count("/") for path in reporting})
        jobs = [
            (section, spec, kind, depth)
            for section, specs in aggregates.SNAPSHOT_SECTIONS.items()
            for spec in specs()
            for kind in PERIOD_KINDS
            for depth in depths
        ]
        figures: dict[tuple[str, str], dict[str, dict[str, dict[str, Any]]]] = {}
        for number, (section, spec, kind, depth) in enumerate(jobs):
            if progress:
                progress(number, len(jobs), f"{section} · {kind} · {depth}")
            for (period, path, row), measures in aggregates.grouped(spec, kind=kind, depth=depth):
                if path not in reporting:
                    continue  # a village: never reported on
                cell = figures.setdefault((period, path), {}).setdefault(section, {}).setdefault(row, {})
                cell.update({name: _json_ready(value) for name, value in measures.items()})
        if progress:
            progress(len(jobs), len(jobs), "")
        SnapshotFigures.objects.bulk_create(
            (
                SnapshotFigures(snapshot=snapshot, period=period, area_path=path, figures=sections)
                for (period, path), sections in figures.items()
            ),
            batch_size=500,
        )
        snapshot.finished_at = timezone.now()
        snapshot.seconds = time.perf_counter() - started
        snapshot.save(update_fields=["finished_at", "seconds"])
        Snapshot.objects.exclude(pk=snapshot.pk).delete()
    return snapshot
