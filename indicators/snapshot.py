"""Reports read stored figures: the release of their period (see :func:`indicators.services.period_release`)
or, in tests and benchmarks, the working statistics snapshot (:func:`indicators.services.snapshot_refresh`).

:class:`ReleaseSource` and :class:`SnapshotSource` answer the same questions as
:mod:`indicators.aggregates` — the tallies of a report section for an area and a period, with its child
units as columns — from stored counts, so a report is laid out and protected exactly as when it is
counted live. A release also holds the trusted addresses and the by-period series as they were counted
when it was made, so nothing in a released report is ever counted again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from django.db import models

from accounts.models import AdminUnit
from indicators import aggregates
from indicators.models import Release, ReleasedFigures, Snapshot, SnapshotFigures
from indicators.periods import Period
from indicators.tallies import Tallies, TallyKey


class _StoredSource(ABC):
    """Tallies read from rows of ``{section: {row: {measure: value}}}`` per period and area path."""

    def __init__(self) -> None:
        self._loaded: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    @abstractmethod
    def _rows(self, period_code: str) -> models.QuerySet[Any]:
        """The stored rows (``area_path``, ``figures``) of one period."""

    def _area_and_children(self, area: AdminUnit, period_code: str) -> dict[str, dict[str, Any]]:
        """The stored figures of the area and of its direct child units, by path: one query per area
        and period."""
        key = (period_code, area.path)
        if key not in self._loaded:
            child_depth = area.path.count("/") + 1
            rows = self._rows(period_code).filter(area_path__startswith=area.path).values_list("area_path", "figures")
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
                result[TallyKey(row, path)] = dict(measures)
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


class SnapshotSource(_StoredSource):
    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def _rows(self, period_code: str) -> models.QuerySet[Any]:
        return SnapshotFigures.objects.filter(snapshot=self.snapshot, period=period_code)

    def survivor_series(self, area: AdminUnit, period: Period) -> Tallies:
        """People supported in each sub-period: the stored totals of the sub-periods, in one query."""
        rows = SnapshotFigures.objects.filter(
            snapshot=self.snapshot, period__in=[p.code for p in period.children()], area_path=area.path
        ).values_list("period", "figures")
        return {
            TallyKey(code, area.path): dict(figures["survivors"]["all"])
            for code, figures in rows
            if "all" in figures.get("survivors", {})
        }

    # The working snapshot holds people only: trusted addresses are counted live.
    address_tallies = staticmethod(aggregates.address_tallies)
    address_series = staticmethod(aggregates.address_series)
    areas_with_addresses = staticmethod(aggregates.areas_with_addresses)


class ReleaseSource(_StoredSource):
    """The published figures of one period: every answer comes from the release, never from the
    records (a late record or a withdrawal changes nothing here)."""

    def __init__(self, release: Release) -> None:
        super().__init__()
        self.release = release

    def _rows(self, period_code: str) -> models.QuerySet[Any]:
        self._check(period_code)
        return ReleasedFigures.objects.filter(release=self.release)

    def _check(self, period_code: str) -> None:
        if period_code != self.release.period:
            raise ValueError(f"The release of {self.release.period} holds no figures of {period_code}.")

    def _own(self, area: AdminUnit, section: str) -> dict[str, Any]:
        own: dict[str, Any] = self._area_and_children(area, self.release.period).get(area.path, {}).get(section, {})
        return own

    def survivor_series(self, area: AdminUnit, period: Period) -> Tallies:
        """People supported in each sub-period, as counted for the release."""
        self._check(period.code)
        return {
            TallyKey(code, area.path): dict(measures) for code, measures in self._own(area, "survivor_series").items()
        }

    def address_tallies(self, area: AdminUnit, period: Period, *, children: bool) -> Tallies:
        return self._tallies("addresses", area, period, children=children)

    def address_series(self, area: AdminUnit, period: Period) -> Tallies:
        self._check(period.code)
        return {
            TallyKey(code, area.path): dict(measures) for code, measures in self._own(area, "address_series").items()
        }

    def areas_with_addresses(self, area: AdminUnit) -> set[str]:
        """The child units that had trusted addresses when the period was released: the report's columns."""
        return {
            path
            for path, figures in self._area_and_children(area, self.release.period).items()
            if path != area.path and "addresses" in figures
        }
