"""Indicator test data: plan targets, and a generated dataset of cases whose expected figures are
computed in plain Python from the same specifications (see ``dataset.py``)."""

from __future__ import annotations

from indicators import periods
from indicators.models import PlanTarget
from indicators.services import plan_target_set
from tests.casework.builders import _cached
from tests.conftest import Cast


def plan_target(cast: Cast) -> PlanTarget:
    """A phase-I target of new trusted addresses for the cast's province."""
    return _cached(cast, "plan_target", lambda: plan_target_set(
        area=cast.province, indicator="TA_NEW", period="phase1", target=30, by=None, source="KH 3320/KH-UBND"))


def this_year() -> str:
    return periods.current_year().code
