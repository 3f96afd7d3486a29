"""The query-spec engine: a population to count (:class:`Spec`), counted as GROUP BY queries.

A spec is counted two ways: for one area and one period, with the area's child units as columns
(:func:`count`, what a report counted live asks for), or for every period of a kind and every
administrative unit at a depth at once (:func:`grouped`, what ``indicators_refresh`` stores in the
statistics snapshot). Both are GROUP BY queries over the same rows with the same aggregates, so they
give the same figures. The populations themselves, and what they may read, are in
:mod:`indicators.aggregates`; this module names no model of the confidential records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import F, Q, Value, When
from django.db.models.functions import Left, Length, StrIndex, Substr, TruncMonth, TruncQuarter, TruncYear
from django.utils import timezone

from accounts.models import AdminUnit
from indicators.periods import PHASES, Period, phase
from indicators.tallies import MeasureKey, RowKey, SnapshotKey, Tallies, TallyKey

# Counts of people and of events (services, referrals and their outcomes). The dominance rule needs,
# for each, the count at the cell's largest trusted address: stored as ``top_<name>``.
COUNTED = frozenset(
    {"persons", "services", "referrals", "sent", "accepted", "completed", "declined", "expired", "other"}
)
TRUNC = {"year": TruncYear, "quarter": TruncQuarter, "month": TruncMonth}
Measures = Callable[[Q | None], dict[str, Any]]


def child_bucket(area: AdminUnit, path: str) -> Left:
    """The path of the child unit of ``area`` (district or commune) that contains the row's unit.

    ``p62/d613/c23479/v23479-01/`` under ``p62/`` gives ``p62/d613/``: the path up to the next "/"
    after the area's own path. A row located at the area itself gives the area's path.
    """
    size = len(area.path)
    return Left(F(path), Value(size) + StrIndex(Substr(F(path), size + 1), Value("/")))


def bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period as [start, end) in local time, for datetime columns."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def _within(date: str, period: Period, *, is_datetime: bool) -> dict[str, Any]:
    """Filter arguments that place ``date`` in ``period``: [start, end) for a datetime, days for a date."""
    if is_datetime:
        start, end = bounds(period)
        return {f"{date}__gte": start, f"{date}__lt": end}
    return {f"{date}__gte": period.start, f"{date}__lte": period.end}


@dataclass(frozen=True)
class Spec:
    """A population and what to count in it, before it is limited to an area and a period."""

    queryset: models.QuerySet[Any]
    date: str | None  # the field that places a row in a period (None: rows already limited to it)
    path: str  # the path of the administrative unit of the row's trusted address
    measures: Mapping[str, Any]
    row: str = "all"
    group: str | None = None  # also GROUP BY this field: rows RowKey(row, value)
    per_row: bool = False  # measures named by MeasureKey(row, measure) (see per_row)
    child_measures: Mapping[str, Any] | None = None  # fewer figures for the child columns
    by_child: bool = True  # per child unit too, when a report has child columns
    is_datetime: bool = False

    def limited(self, area: AdminUnit, period: Period) -> models.QuerySet[Any]:
        when = {} if self.date is None else _within(self.date, period, is_datetime=self.is_datetime)
        return self.queryset.filter(**when, **{f"{self.path}__startswith": area.path})

    def row_key(self, values: Mapping[str, Any]) -> str:
        if not self.group:
            return self.row
        return str(RowKey(self.row, values[self.group] if values[self.group] is not None else "none"))

    @property
    def address(self) -> str | None:
        """The row's trusted address, when the population is of people counted at addresses."""
        suffix = "__area__path"
        return self.path.removesuffix(suffix) if self.path.endswith(f"trusted_address{suffix}") else None

    def counted(self, measures: Mapping[str, Any]) -> dict[str, Any]:
        """The counts among ``measures`` (plain or per row) that the dominance rule needs."""
        return {name: value for name, value in measures.items() if MeasureKey.parse(name).measure in COUNTED}


def _top_name(name: str) -> str:
    return str(MeasureKey.parse(name).top())


def _tops(
    spec: Spec, queryset: models.QuerySet[Any], keys: list[str], wanted: Mapping[str, Any]
) -> dict[tuple[Any, ...], dict[str, int]]:
    """For each group of ``keys``: every count of ``wanted`` at the group's largest trusted address (one
    more GROUP BY, with the address added to it)."""
    counted = spec.counted(wanted)
    if spec.address is None or not counted:
        return {}
    tops: dict[tuple[Any, ...], dict[str, int]] = {}
    rows = queryset.annotate(stat_address=F(spec.address)).values(*keys, "stat_address").annotate(**counted)
    for values in rows.order_by().iterator(chunk_size=2000):
        group = tuple(values[key] for key in keys)
        found = tops.setdefault(group, {})
        for name in counted:
            top = _top_name(name)
            found[top] = max(found.get(top, 0), values[name] or 0)
    return tops


def count_one(spec: Spec, area: AdminUnit, period: Period, *, children: bool) -> Tallies:
    """One or two GROUP BY queries: the area as a whole and, with ``children``, per child unit."""
    result: Tallies = {}
    queryset = spec.limited(area, period)
    shapes: list[tuple[bool, models.QuerySet[Any], Mapping[str, Any]]] = [(False, queryset, spec.measures)]
    if children and spec.by_child:
        shapes.append(
            (True, queryset.annotate(bucket=child_bucket(area, spec.path)), spec.child_measures or spec.measures)
        )
    for by_child, qs, wanted in shapes:
        keys = ([spec.group] if spec.group else []) + (["bucket"] if by_child else [])
        # GROUP BY the breakdown (and child unit); or one aggregate row for the area as a whole.
        rows = qs.values(*keys).annotate(**wanted).order_by() if keys else [qs.aggregate(**wanted)]
        tops = _tops(spec, qs, keys, wanted)
        nobody = {_top_name(name): 0 for name in spec.counted(wanted)} if spec.address else {}
        for values in rows:
            column = values.get("bucket", area.path) if by_child else area.path
            top = tops.get(tuple(values[key] for key in keys), nobody)
            result[TallyKey(spec.row_key(values), column)] = {**{name: values[name] for name in wanted}, **top}
    return _unpack(result) if spec.per_row else result


def count(specs: list[Spec], area: AdminUnit, period: Period, *, children: bool) -> Tallies:
    """Every spec of a section for one area and one period, merged."""
    return _merge(*(count_one(spec, area, period, children=children) for spec in specs))


def unit_at_depth(path: str, depth: int) -> Any:
    """The path of the row's administrative unit at ``depth`` (1: province, 2: district or a commune
    directly under the province, 3: commune in a district): the path up to its ``depth``-th "/". A row
    located higher up than ``depth`` gives its own unit."""
    prefix: Any = Value("")
    for _level in range(depth):
        size = Length(prefix)
        prefix = Left(F(path), size + StrIndex(Substr(F(path), size + 1), Value("/")))
    return prefix


def period_slot(spec: Spec, kind: str) -> Any:
    """The start of the row's month, quarter or year, or the code of its programme phase."""
    assert spec.date is not None  # a population placed in periods by the snapshot has a date
    if kind in TRUNC:
        return TRUNC[kind](spec.date)
    whens = [
        When(**_within(spec.date, phase(code), is_datetime=spec.is_datetime), then=Value(code)) for code in PHASES
    ]
    return models.Case(*whens, default=Value(None), output_field=models.CharField())


def slot_code(value: Any, kind: str) -> str | None:
    if value is None or kind == "phase":
        return None if value is None else str(value)
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return sub_period_code(as_date(value), kind)


def grouped(spec: Spec, *, kind: str, depth: int) -> Iterator[tuple[SnapshotKey, dict[str, Any]]]:
    """Every period of ``kind`` × every unit at ``depth``, in one GROUP BY query."""
    keys, placed = group_keys(spec), placed_in(spec, kind=kind, depth=depth)
    tops = _tops(spec, placed, keys, spec.measures)
    rows = placed.values(*keys).annotate(**spec.measures).order_by()
    yield from snapshot_cells(spec, kind, keys, rows.iterator(chunk_size=2000), tops)


def placed_in(spec: Spec, *, kind: str, depth: int) -> models.QuerySet[Any]:
    """The population with each row's period of ``kind`` (``slot``) and unit at ``depth`` (``bucket``)."""
    placed: models.QuerySet[Any] = spec.queryset.annotate(
        slot=period_slot(spec, kind), bucket=unit_at_depth(spec.path, depth))
    return placed


def group_keys(spec: Spec) -> list[str]:
    """What :func:`placed_in` rows are grouped by."""
    return ([spec.group] if spec.group else []) + ["slot", "bucket"]


def snapshot_cells(
    spec: Spec, kind: str, keys: list[str], rows: Iterable[Mapping[str, Any]],
    tops: Mapping[tuple[Any, ...], dict[str, int]],
) -> Iterator[tuple[SnapshotKey, dict[str, Any]]]:
    """The grouped rows as the snapshot's cells: a period, a unit and a row, with its measures."""
    for values in rows:
        code = slot_code(values["slot"], kind)
        if code is None:
            continue
        measures = {name: values[name] for name in spec.measures}
        measures |= tops.get(tuple(values[key] for key in keys), {})
        if spec.per_row:
            for name, value in measures.items():
                key = MeasureKey.parse(name)
                yield SnapshotKey(code, values["bucket"], str(key.row)), {key.measure: value}
        else:
            yield SnapshotKey(code, values["bucket"], spec.row_key(values)), measures


def per_row(rows: Mapping[str, Q | None], measures: Measures) -> dict[str, Any]:
    """Filtered aggregates, one set per row (:class:`MeasureKey`), so that one scan gives every row of a
    breakdown; :func:`_unpack` turns them back into rows."""
    found: dict[str, Any] = {}
    for row, condition in rows.items():
        for name, aggregate in measures(condition).items():
            found[str(MeasureKey(row, name))] = aggregate
    return found


def _merge(*parts: Tallies) -> Tallies:
    merged: Tallies = {}
    for part in parts:
        for key, measures in part.items():
            merged.setdefault(key, {}).update(measures)
    return merged


def _unpack(tallies: Tallies) -> Tallies:
    """Filtered measures named by :class:`MeasureKey` back into rows."""
    result: Tallies = {}
    for (_row, column), measures in tallies.items():
        for name, value in measures.items():
            key = MeasureKey.parse(name)
            result.setdefault(TallyKey(str(key.row), column), {})[key.measure] = value
    return result


def sub_period_code(day: dt.date, kind: str) -> str:
    if kind == "year":
        return f"{day.year}"
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def as_date(value: dt.date | dt.datetime | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value
