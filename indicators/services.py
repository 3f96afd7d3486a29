"""Writes for indicators: plan targets only (everything else is read, never written)."""

from __future__ import annotations

from django.db import transaction

from accounts.models import AdminUnit, User
from indicators.models import PlanTarget


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
    plan._change_reason = "target set"  # type: ignore[attr-defined]
    plan.save()
    return plan
