"""Reports read from the statistics snapshot (see :func:`indicators.services.snapshot_refresh`).

:class:`SnapshotSource` answers the same questions as :mod:`indicators.aggregates` — the tallies of
a report section for an area and a period, with its child units as columns — from stored counts, so a
report is laid out and suppressed exactly as when it is counted live.
"""

from __future__ import annotations

from typing import Any

from accounts.models import AdminUnit
from indicators import aggregates
from indicators.aggregates import Tallies
from indicators.models import Snapshot, SnapshotFigures
from indicators.periods import Period


class SnapshotSource:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._loaded: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def _area_and_children(self, area: AdminUnit, period_code: str) -> dict[str, dict[str, Any]]:
        """The stored figures of the area and of its direct child units, by path: one query per area
        and period."""
        key = (period_code, area.path)
        if key not in self._loaded:
            child_depth = area.path.count("/") + 1
            rows = SnapshotFigures.objects.filter(
                snapshot=self.snapshot, period=period_code, area_path__startswith=area.path
            ).values_list("area_path", "figures")
            self._loaded[key] = {
                path: figures for path, figures in rows if path == area.path or path.count("/") == child_depth
            }
        return self._loaded[key]

    def _tallies(self, section: str, area: AdminUnit, period: Period, *, children: bool) -> Tallies:
        result: Tallies = {}
        for path, figures in self._area_and_children(area, period.code).items():
            if path != area.path and not children:
                continue
            for row, measures in figures.get(section, {}).items():
                result[(row, path)] = dict(measures)
        return result

    def survivor_tallies(self, area: AdminUnit, period: Period, *, children: bool) -> Tallies:
        return self._tallies("survivors", area, period, children=children)

    def excluded_tallies(self, area: AdminUnit, period: Period) -> Tallies:
        return self._tallies("excluded", area, period, children=False)

    def support_tallies(self, area: AdminUnit, period: Period, *, children: bool) -> Tallies:
        return self._tallies("support", area, period, children=children)

    def referral_tallies(self, area: AdminUnit, period: Period, *, children: bool) -> Tallies:
        return self._tallies("referrals", area, period, children=children)

    def livelihood_tallies(self, area: AdminUnit, period: Period, *, children: bool) -> Tallies:
        return self._tallies("livelihood", area, period, children=children)

    def survivor_series(self, area: AdminUnit, period: Period) -> Tallies:
        """People supported in each sub-period: the stored totals of the sub-periods, in one query."""
        rows = SnapshotFigures.objects.filter(
            snapshot=self.snapshot, period__in=[p.code for p in period.children()], area_path=area.path
        ).values_list("period", "figures")
        return {
            (code, area.path): dict(figures["survivors"]["all"])
            for code, figures in rows
            if "all" in figures.get("survivors", {})
        }

    # Trusted addresses are organisations, not records of people: few rows, counted live.
    address_tallies = staticmethod(aggregates.address_tallies)
    address_series = staticmethod(aggregates.address_series)
    areas_with_addresses = staticmethod(aggregates.areas_with_addresses)
