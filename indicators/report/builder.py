"""Building a report: ask a tally source for the figures, let each section lay out its tables, then
protect every figure by the rule of :mod:`indicators.disclosure`.

Every output — dashboard, CSV, XLSX, PDF, DHIS2 — renders the same :class:`Report`, so a figure is the
same in all of them. A report agrees with the reports of the areas and periods around it without being
built from them: a commune's figures are a column of its district's report, a month's total a row of its
quarter's, and the same people give the same protected value wherever they are shown.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import AdminUnit
from indicators import aggregates, areas, catalogue
from indicators.catalogue import Unit
from indicators.disclosure import Mark, Protected, protect
from indicators.models import PlanTarget, Release, Snapshot
from indicators.periods import Period
from indicators.report.formatting import format_value
from indicators.report.layout import Layout
from indicators.report.model import CellId, Figure, Report, TargetLine
from indicators.report.rules import min_cell
from indicators.report.sections import SECTIONS
from indicators.snapshot import ReleaseSource, SnapshotSource
from indicators.tallies import TallySource

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI", 7: "VII"}


def build_report(
    area: AdminUnit,
    period: Period,
    *,
    k: int | None = None,
    now: dt.datetime | None = None,
    cache: dict[tuple[int, str, int], Report] | None = None,
    snapshot: Snapshot | None = None,
    release: Release | None = None,
) -> Report:
    """Compute, lay out and protect every indicator for ``area`` and ``period``: read from the period's
    ``release`` (what every user sees, see :func:`get_report`); or, for tests and benchmarks, counted
    live by :mod:`indicators.aggregates` or read from a working ``snapshot`` (same figures, as of its
    time).

    ``cache`` (one dict for a run, in one language, from one source) reuses a report built before in the
    same run.
    """
    source: TallySource = ReleaseSource(release) if release else SnapshotSource(snapshot) if snapshot else aggregates
    counted_at = release.counted_at if release else snapshot.started_at if snapshot else None
    report = _build(area, period, k=k or min_cell(), now=now, cache=cache, source=source, counted_at=counted_at)
    report.released_at = timezone.localtime(release.released_at) if release else None
    return report


def _build(
    area: AdminUnit,
    period: Period,
    *,
    k: int,
    now: dt.datetime | None,
    cache: dict[tuple[int, str, int], Report] | None,
    source: TallySource,
    counted_at: dt.datetime | None,
) -> Report:
    key = (area.pk, period.code, k)
    if cache is not None and key in cache:
        return cache[key]
    parents = areas.parents_of(area)
    children = areas.children_of(area, source.areas_with_addresses(area))
    b = Layout(area, period, children, parents[-1] if parents else area, source, k)
    with_children = bool(children)
    sections = [lay_out(b, with_children) for lay_out in SECTIONS]
    for number, section in enumerate(sections, start=2):
        section.number = ROMAN[number]
    protected = _protected(b, k)
    report = Report(
        area=area,
        period=period,
        k=k,
        generated_at=timezone.localtime(now or timezone.now()),
        columns=b.columns,
        sections=sections,
        cells=b.system.cells,
        protected=protected,
        units=b.system.units,
        indicator_cells=b.indicator_cells,
        counted_at=timezone.localtime(counted_at) if counted_at else None,
    )
    report.targets = _targets(report)
    if cache is not None:
        cache[key] = report
    return report


def _protected(b: Layout, k: int) -> dict[CellId, Protected]:
    """Every cell protected, then the rates worked out from the shown counts (a rate of the true counts
    would tell what the perturbation hides)."""
    protected = protect(b.system.cells, k=k, links=b.system.links)
    for rate, numerator, denominator in b.rates:
        part, whole = protected[numerator].value, protected[denominator].value
        if protected[rate].mark is Mark.SHOWN and part is not None and whole:
            protected[rate] = Protected(Mark.SHOWN, min(100, round(100 * part / whole)))
    return protected


def _targets(report: Report) -> list[TargetLine]:
    lines = []
    for plan in PlanTarget.objects.for_report(report.area, report.period):
        try:
            indicator = catalogue.get(plan.indicator)
        except catalogue.UnknownIndicator:
            continue
        achieved = report.indicator(plan.indicator)
        if achieved.hidden or achieved.value is None or not plan.target:
            percent = Figure(None, "×" if achieved.hidden else "–", achieved.mark, Unit.PERCENT)
        else:
            value = round(100 * achieved.value / plan.target)
            percent = Figure(value, format_value(value, Unit.PERCENT), Mark.SHOWN, Unit.PERCENT)
        lines.append(TargetLine(indicator, plan.target, plan.source, achieved, percent))
    order = {i.code: n for n, i in enumerate(catalogue.INDICATORS)}
    return sorted(lines, key=lambda line: order[line.indicator.code])
