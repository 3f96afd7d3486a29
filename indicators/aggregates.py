"""The confidential boundary: the only module of ``indicators`` that reads casework and referrals.

Everything that leaves the confidential zone as statistics passes through the functions below, and
they return nothing but counts, sums and medians per category — never a row, a name or a code:

* every query ends in ``.values(<categories>).annotate(<aggregates>)``: a GROUP BY in the database;
* only the columns in :data:`READABLE` are read — analytic categories, dates, foreign keys and the
  keyed blind index used to count a person once across trusted addresses. No encrypted column and no
  survivor code is ever selected, filtered or grouped on (``tests/indicators/test_boundary.py`` reads
  the SQL of a refresh, a withdrawal and the report pages, and fails on a column not listed there, or
  listed there and never read);
* only cases whose survivor consented to anonymised statistics, and has not withdrawn that consent,
  are counted (:func:`counted_cases`); :func:`excluded_tallies` says how many were left out.

Each population is a :class:`Spec`, counted either for one area and period (the ``*_tallies``
functions, a report counted live) or for every period of a kind and every unit at a depth at once
(:func:`grouped`, what ``indicators_refresh`` stores in the statistics snapshot). Results are
:data:`Tallies`: ``{(row key, column key): {measure: number}}``, where the column key is the ``path`` of
an administrative unit — the report's own area for the "total" column, or one of its child units
(district or commune) when ``children`` is asked for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
import uuid
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.db import models
from django.db.backends.signals import connection_created
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import (
    Cast,
    Coalesce,
    Left,
    Length,
    NullIf,
    StrIndex,
    Substr,
    TruncMonth,
    TruncQuarter,
    TruncYear,
)
from django.utils import timezone

from accounts.models import AdminUnit, Organisation
from casework.ethnicity import Ethnicity
from casework.gbv import GBVType
from casework.models import (
    AgeBand,
    Case,
    Consent,
    Incident,
    LivelihoodSupport,
    Sex,
    SupportService,
    Survivor,
    YesNoUnknown,
)
from core.statements import bound_values
from indicators.periods import PHASES, Period, phase
from referrals.models import Referral, Service, Status

Key = tuple[str, str]
Tallies = dict[Key, dict[str, Any]]

# The columns a query over case data (any query naming a casework or referrals table) may read, per
# model, whatever the table: the SQL-capture tests fail on any other, and on one listed here that a
# refresh never reads. Nothing encrypted, no survivor code.
READABLE: dict[str, frozenset[str]] = {
    "casework.Survivor": frozenset({"id", "name_birth_year_index", "sex", "ethnicity", "disability"}),
    "casework.Case": frozenset({"id", "survivor", "trusted_address", "opened_on", "closed_on", "age_band"}),
    "casework.Consent": frozenset({"case", "scope", "withdrawn_on"}),
    "casework.Incident": frozenset(
        {
            "id",
            "case",
            "gbv_type",
            "harm_physical",
            "harm_mental",
            "harm_sexual",
            "harm_economic",
            "domestic_violence",
            "trafficking",
            "child_marriage",
            "consanguineous_marriage",
        }
    ),
    "casework.SupportService": frozenset({"id", "case", "kind", "provided_on", "nights", "amount_vnd"}),
    "casework.LivelihoodSupport": frozenset(
        {
            "case",
            "programme_model",
            "beneficiary_group",
            "model_name",
            "amount_vnd",
            "started_on",
        }
    ),
    "referrals.Referral": frozenset(
        {"id", "case", "partner", "partner_kind", "status", "sent_at", "accepted_at"}
    ),
    "referrals.ReferralService": frozenset({"referral", "service"}),
    "accounts.Organisation": frozenset(
        {"id", "kind", "area", "established_on", "programme_status", "is_active"}
    ),
    "accounts.AdminUnit": frozenset({"id", "path"}),
    # When an address was last active (trusted addresses active in a period).
    "accounts.HistoricalOrganisation": frozenset({"id", "is_active", "history_date"}),
}

# --- Vocabularies (labels come from the models' own choices) ------------------------------------------

MINORITY = "minority"
OTHER_MINORITIES = "other"  # the minority groups a report does not list one by one
NOT_MINORITY = (Ethnicity.KINH, Ethnicity.FOREIGN, Ethnicity.UNKNOWN)
HARMS: tuple[tuple[str, str], ...] = (
    ("physical", "harm_physical"),
    ("mental", "harm_mental"),
    ("sexual", "harm_sexual"),
    ("economic", "harm_economic"),
)
CONTEXTS: tuple[str, ...] = ("domestic_violence", "trafficking", "child_marriage", "consanguineous_marriage")
SUPPORT_KINDS = SupportService.Kind
LIVELIHOOD_MODELS = LivelihoodSupport.Model
LIVELIHOOD_GROUPS = LivelihoodSupport.Group
PARTNER_KINDS: tuple[str, ...] = tuple(str(kind) for kind in Organisation.PARTNER_KINDS)
SERVICES = Service
OUTCOMES = ("sent", "accepted", "completed", "declined", "expired", "other")
# Not accepted, not declined, not expired: still waiting, or withdrawn before anyone answered.
WAITING_OR_WITHDRAWN = Q(accepted_at__isnull=True) & ~Q(status__in=[Status.DECLINED, Status.EXPIRED])


def dimension_labels() -> dict[str, list[tuple[str, str]]]:
    """(value, label) of every category the report breaks figures down by, in display order."""
    incident = Incident._meta
    return {
        "gbv": [(str(value), str(label)) for value, label in GBVType.choices],
        "harm": [(key, str(incident.get_field(field).verbose_name)) for key, field in HARMS],
        "ctx": [(name, str(incident.get_field(name).verbose_name)) for name in CONTEXTS],
        "sex": [(str(value), str(label)) for value, label in Sex.choices],
        "age": [(str(value), str(label)) for value, label in AgeBand.choices],
        "eth": [(str(value), str(label)) for value, label in Ethnicity.choices],
        "dis": [(str(value), str(label)) for value, label in YesNoUnknown.choices],
        "kind": [(str(value), str(label)) for value, label in SupportService.Kind.choices],
        "model": [(str(value), str(label)) for value, label in LivelihoodSupport.Model.choices],
        "group": [(str(value), str(label)) for value, label in LivelihoodSupport.Group.choices],
        "partner": [(kind, str(Organisation.Kind(kind).label)) for kind in PARTNER_KINDS],
        "service": [(str(value), str(label)) for value, label in Service.choices],
    }


# --- Building blocks ---------------------------------------------------------------------------------


def consented(case_ref: str = "pk") -> Exists:
    """The case (``OuterRef(case_ref)``) has a current consent to anonymised statistics."""
    return Exists(
        Consent.objects.filter(
            case_id=OuterRef(case_ref),
            scope=Consent.Scope.STATISTICS,
            withdrawn_on__isnull=True,
        )
    )


def counted_cases() -> models.QuerySet[Case]:
    """Cases that statistics may count (GBVIMS: only with consent to anonymised use)."""
    return Case.objects.filter(consented("pk"))


class PersonKey(models.Func):
    """Compared byte by byte on PostgreSQL (``COLLATE "C"``): the key is a hex digest or an id, so the
    locale's collation would only make ``COUNT(DISTINCT …)`` slower."""

    template = "%(expressions)s"
    output_field = models.CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template='(%(expressions)s) COLLATE "C"', **extra)


def person(prefix: str = "") -> PersonKey:
    """One key per person: the keyed blind index of name and birth year, so that a survivor recorded at
    two trusted addresses counts once; the survivor row's id where the index could not be made."""
    return PersonKey(Coalesce(
        NullIf(F(f"{prefix}survivor__name_birth_year_index"), Value("")),
        Cast(F(f"{prefix}survivor_id"), output_field=models.CharField()),
    ))


class RecordKey(models.Func):
    """The record key of the cell-key method (see :mod:`indicators.disclosure`): a fixed pseudo-random
    number of 28 bits per person, the first hex digits of an MD5 of the person key. The key is itself a
    keyed blind index, so this says nothing about her; it only has to be the same for the same person
    every time, on both databases (SQLite gets the same function, registered below)."""

    output_field = models.BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="STAT_RECORD_KEY", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "('x' || substr(md5(%(expressions)s), 1, 7))::bit(28)::bigint"
        return self.as_sql(compiler, connection, template=template, **extra)


def record_key(text: str | None) -> int | None:
    """:class:`RecordKey` in Python: what SQLite calls, and what a test can compute."""
    return None if text is None else int(hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()[:7], 16)


def persons(prefix: str = "", condition: Q | None = None) -> dict[str, Any]:
    """Distinct people, and the cell key of the cell-key method: the sum of their record keys."""
    return {
        "persons": Count(person(prefix), distinct=True, filter=condition),
        "key": Sum(RecordKey(person(prefix)), distinct=True, filter=condition),
    }


# Counts of people and of events (services, referrals and their outcomes). The dominance rule needs,
# for each, the count at the cell's largest trusted address: stored as ``top_<name>``.
COUNTED = frozenset(
    {"persons", "services", "referrals", "sent", "accepted", "completed", "declined", "expired", "other"}
)


def child_bucket(area: AdminUnit, path: str) -> Left:
    """The path of the child unit of ``area`` (district or commune) that contains the row's unit.

    ``p62/d613/c23479/v23479-01/`` under ``p62/`` gives ``p62/d613/``: the path up to the next "/"
    after the area's own path. A row located at the area itself gives the area's path.
    """
    size = len(area.path)
    return Left(F(path), Value(size) + StrIndex(Substr(F(path), size + 1), Value("/")))


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period as [start, end) in local time, for datetime columns."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


@dataclass(frozen=True)
class Spec:
    """A population and what to count in it, before it is limited to an area and a period.

    The same spec is counted two ways: for one area and one period, with its child units as columns
    (:func:`_live`, what a report asks for), or for every period of a kind and every administrative
    unit at a depth at once (:func:`grouped`, what the statistics snapshot stores). Both are GROUP BY
    queries over the same rows with the same aggregates, so they give the same figures.
    """

    queryset: models.QuerySet
    date: str | None  # the field that places a row in a period (None: rows already limited to it)
    path: str  # the path of the administrative unit of the row's trusted address
    measures: Mapping[str, Any]
    row: str = "all"
    group: str | None = None  # also GROUP BY this field: rows "<row>:<value>"
    per_row: bool = False  # measures named "<row>|<measure>" (see _per_row)
    child_measures: Mapping[str, Any] | None = None  # fewer figures for the child columns
    by_child: bool = True  # per child unit too, when a report has child columns
    is_datetime: bool = False

    def limited(self, area: AdminUnit, period: Period) -> models.QuerySet:
        if self.date is None:
            when = {}
        elif self.is_datetime:
            start, end = _bounds(period)
            when = {f"{self.date}__gte": start, f"{self.date}__lt": end}
        else:
            when = {f"{self.date}__gte": period.start, f"{self.date}__lte": period.end}
        return self.queryset.filter(**when, **{f"{self.path}__startswith": area.path})

    def row_key(self, values: Mapping[str, Any]) -> str:
        if not self.group:
            return self.row
        return f"{self.row}:{values[self.group] if values[self.group] is not None else 'none'}"

    @property
    def address(self) -> str | None:
        """The row's trusted address, when the population is of people counted at addresses."""
        suffix = "__area__path"
        return self.path.removesuffix(suffix) if self.path.endswith(f"trusted_address{suffix}") else None

    def counted(self, measures: Mapping[str, Any]) -> dict[str, Any]:
        """The counts among ``measures`` (plain or ``"<row>|<measure>"``) that the dominance rule needs."""
        return {name: value for name, value in measures.items() if name.rpartition("|")[2] in COUNTED}


def _top_name(name: str) -> str:
    row, bar, measure = name.rpartition("|")
    return f"{row}{bar}top_{measure}"


def _tops(
    spec: Spec, queryset: models.QuerySet, keys: list[str], wanted: Mapping[str, Any]
) -> dict[tuple, dict[str, int]]:
    """For each group of ``keys``: every count of ``wanted`` at the group's largest trusted address (one
    more GROUP BY, with the address added to it)."""
    counted = spec.counted(wanted)
    if spec.address is None or not counted:
        return {}
    tops: dict[tuple, dict[str, int]] = {}
    rows = queryset.annotate(stat_address=F(spec.address)).values(*keys, "stat_address").annotate(**counted)
    for values in rows.order_by().iterator(chunk_size=2000):
        group = tuple(values[key] for key in keys)
        found = tops.setdefault(group, {})
        for name in counted:
            top = _top_name(name)
            found[top] = max(found.get(top, 0), values[name] or 0)
    return tops


def _live(spec: Spec, area: AdminUnit, period: Period, *, children: bool) -> Tallies:
    """One or two GROUP BY queries: the area as a whole and, with ``children``, per child unit."""
    result: Tallies = {}
    queryset = spec.limited(area, period)
    shapes: list[tuple[bool, models.QuerySet, Mapping[str, Any]]] = [(False, queryset, spec.measures)]
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
            result[(spec.row_key(values), column)] = {**{name: values[name] for name in wanted}, **top}
    return _unpack(result) if spec.per_row else result


def _run(specs: list[Spec], area: AdminUnit, period: Period, *, children: bool) -> Tallies:
    return _merge(*(_live(spec, area, period, children=children) for spec in specs))


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
    if kind in TRUNC:
        return TRUNC[kind](spec.date)
    whens = []
    for code in PHASES:
        period = phase(code)
        if spec.is_datetime:
            start, end = _bounds(period)
            whens.append(When(**{f"{spec.date}__gte": start, f"{spec.date}__lt": end}, then=Value(code)))
        else:
            whens.append(When(**{f"{spec.date}__gte": period.start, f"{spec.date}__lte": period.end},
                              then=Value(code)))
    return models.Case(*whens, default=Value(None), output_field=models.CharField())


def slot_code(value: Any, kind: str) -> str | None:
    if value is None or kind == "phase":
        return value
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return _sub_period_code(_as_date(value), kind)


Cell = tuple[str, str, str]  # (period code, administrative unit path, row)


def grouped(spec: Spec, *, kind: str, depth: int) -> Iterator[tuple[Cell, dict[str, Any]]]:
    """Every period of ``kind`` × every unit at ``depth``, in one GROUP BY query."""
    keys, placed = _placed(spec, kind=kind, depth=depth)
    tops = _tops(spec, placed, keys, spec.measures)
    rows = placed.values(*keys).annotate(**spec.measures).order_by()
    yield from _cells(spec, kind, keys, rows.iterator(chunk_size=2000), tops)


# No case has this id (ids are random, version 4): it stands for the case in a compiled statement.
NO_CASE = uuid.UUID(int=0)


def person_grouped(
    spec: Spec, *, case_id: Any, kind: str, depth: int, statement: Hashable
) -> Iterator[tuple[Cell, dict[str, Any]]]:
    """:func:`grouped` for the rows of one person (:func:`of_person`), without the measures of the
    largest trusted address. Its SQL is the same for every person but for her case's id, so it is
    compiled once (per connection) under the name ``statement``, which must stand for ``spec``, ``kind``
    and ``depth`` (:func:`core.statements.bound_values`)."""
    keys = _keys(spec)

    def build(case: Any) -> models.QuerySet:
        _same, placed = _placed(of_person(spec, case), kind=kind, depth=depth)
        return placed.values(*keys).annotate(**spec.measures).order_by()

    rows = bound_values(statement, build, case_id, field=Case._meta.pk, placeholder=NO_CASE)
    yield from _cells(spec, kind, keys, rows, {})


def _placed(spec: Spec, *, kind: str, depth: int) -> tuple[list[str], models.QuerySet]:
    """The population with each row's period of ``kind`` and unit at ``depth``, and the keys to group by."""
    return _keys(spec), spec.queryset.annotate(slot=period_slot(spec, kind), bucket=unit_at_depth(spec.path, depth))


def _keys(spec: Spec) -> list[str]:
    return ([spec.group] if spec.group else []) + ["slot", "bucket"]


def _cells(
    spec: Spec, kind: str, keys: list[str], rows: Iterable[Mapping[str, Any]], tops: Mapping[tuple, dict[str, int]]
) -> Iterator[tuple[Cell, dict[str, Any]]]:
    for values in rows:
        code = slot_code(values["slot"], kind)
        if code is None:
            continue
        measures = {name: values[name] for name in spec.measures}
        measures |= tops.get(tuple(values[key] for key in keys), {})
        if spec.per_row:
            for name, value in measures.items():
                row, measure = name.split("|")
                yield (code, values["bucket"], row), {measure: value}
        else:
            yield (code, values["bucket"], spec.row_key(values)), measures


def _per_row(rows: Mapping[str, Q | None], measures: Any) -> dict[str, Any]:
    """Filtered aggregates, one set per row (``"<row>|<measure>"``), so that one scan gives every row of
    a breakdown; :func:`_unpack` turns them back into rows."""
    found: dict[str, Any] = {}
    for row, condition in rows.items():
        for name, aggregate in measures(condition).items():
            found[f"{row}|{name}"] = aggregate
    return found


def _merge(*parts: Tallies) -> Tallies:
    merged: Tallies = {}
    for part in parts:
        for key, measures in part.items():
            merged.setdefault(key, {}).update(measures)
    return merged


def _unpack(tallies: Tallies) -> Tallies:
    """Filtered measures named ``"<row>|<measure>"`` back into rows."""
    result: Tallies = {}
    for (_row, column), measures in tallies.items():
        for name, value in measures.items():
            row, measure = name.split("|")
            result.setdefault((row, column), {})[measure] = value
    return result


TRUNC = {"year": TruncYear, "quarter": TruncQuarter, "month": TruncMonth}


def _sub_period_code(day: dt.date, kind: str) -> str:
    if kind == "year":
        return f"{day.year}"
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def _as_date(value: dt.date | dt.datetime | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


# --- Survivors supported -----------------------------------------------------------------------------


CASE_PATH = "trusted_address__area__path"


def survivor_specs() -> list[Spec]:
    """People supported (with a new case in the period), in total and by each breakdown: one scan for
    every breakdown but ethnicity (filtered counts), one for ethnicity (GROUP BY)."""
    rows: dict[str, Q | None] = {"all": None}
    rows |= {f"gbv:{value}": Q(incidents__gbv_type=value) for value in GBVType.values}
    rows["gbv:none"] = Q(incidents__isnull=True)
    rows |= {f"harm:{key}": Q(**{f"incidents__{field}": True}) for key, field in HARMS}
    rows |= {f"ctx:{name}": Q(**{f"incidents__{name}": True}) for name in CONTEXTS}
    rows |= {f"sex:{value}": Q(survivor__sex=value) for value in Sex.values}
    rows |= {f"age:{value}": Q(age_band=value) for value in AgeBand.values}
    rows |= {f"dis:{value}": Q(survivor__disability=value) for value in YesNoUnknown.values}
    rows[f"eth:{MINORITY}"] = ~Q(survivor__ethnicity__in=NOT_MINORITY)
    common = {"queryset": counted_cases(), "date": "opened_on", "path": CASE_PATH}
    return [
        Spec(**common, row="sv", per_row=True,
             measures=_per_row(rows, lambda condition: persons(condition=condition))),
        Spec(**common, group="survivor__ethnicity", row="eth", measures=persons()),
    ]


def survivor_tallies(area: AdminUnit, period: Period, *, children: bool) -> Tallies:
    return _run(survivor_specs(), area, period, children=children)


def survivor_series(area: AdminUnit, period: Period) -> Tallies:
    """People supported in each sub-period (years of a phase, quarters of a year, months of a quarter):
    each sub-period's own total, counted as its own report counts it."""
    everyone = survivor_specs()[0]
    return {
        (child.code, area.path): _live(everyone, area, child, children=False).get(("all", area.path), {})
        for child in period.children()
    }


def excluded_specs() -> list[Spec]:
    """New cases in the period left out because there is no current consent to statistics."""
    return [
        Spec(
            queryset=Case.objects.filter(~consented("pk")),
            date="opened_on",
            path=CASE_PATH,
            row="excluded",
            by_child=False,
            # Cases, not people (a case without consent is not matched to a person); keyed by the case.
            measures={"persons": Count("pk"),
                      "key": Sum(RecordKey(Cast("pk", output_field=models.CharField())))},
        )
    ]


def excluded_tallies(area: AdminUnit, period: Period) -> Tallies:
    return _run(excluded_specs(), area, period, children=False)


# --- Support given -----------------------------------------------------------------------------------


def support_specs() -> list[Spec]:
    """Per kind of support: people, services, shelter nights and amounts, for support given in the
    period."""
    rows: dict[str, Q | None] = {"all": None}
    rows |= {f"kind:{kind}": Q(kind=kind) for kind in SupportService.Kind.values}
    rows["emergency"] = Q(kind__in=[SupportService.Kind.EMERGENCY_MATERIAL, SupportService.Kind.EMERGENCY_CASH])

    def measures(condition: Q | None) -> dict[str, Any]:
        return {
            **persons("case__", condition),
            "services": Count("pk", filter=condition),
            "nights": Coalesce(Sum("nights", filter=condition), 0),
            "amount": Coalesce(Sum("amount_vnd", filter=condition), 0),
        }

    return [
        Spec(
            queryset=SupportService.objects.filter(consented("case_id")),
            date="provided_on",
            path=f"case__{CASE_PATH}",
            row="sp",
            per_row=True,
            measures=_per_row(rows, measures),
        )
    ]


def support_tallies(area: AdminUnit, period: Period, *, children: bool) -> Tallies:
    return _run(support_specs(), area, period, children=children)


# --- Referrals ---------------------------------------------------------------------------------------

class Median(models.Aggregate):
    """The median, computed by the database: ``percentile_cont`` on PostgreSQL, a registered aggregate
    on SQLite (see :func:`register_sqlite_functions`)."""

    function = "MEDIAN"
    name = "Median"
    output_field = models.FloatField()
    allow_distinct = False

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # On a copy: Aggregate.as_sql passes ``template`` on itself when there is a filter.
        clone = self.copy()
        clone.template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
        return clone.as_sql(compiler, connection, **extra)


class HoursBetween(models.Func):
    """Hours from one datetime column to another (SQLite's ``julianday``; PostgreSQL's epoch)."""

    output_field = models.FloatField()

    def __init__(self, start: str, end: str) -> None:
        super().__init__(F(start), F(end))

    def _operands(self, compiler: Any) -> tuple[str, str, tuple[Any, ...]]:
        start, start_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        return start, end, (*end_params, *start_params)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        start, end, params = self._operands(compiler)
        return f"((julianday({end}) - julianday({start})) * 24.0)", params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        start, end, params = self._operands(compiler)
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)", params


class _MedianAggregate:
    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """SQLite has no median: give it one, so that it too is computed inside the database."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("MEDIAN", 1, _MedianAggregate)
        connection.connection.create_function("STAT_RECORD_KEY", 1, record_key, deterministic=True)


connection_created.connect(register_sqlite_functions, dispatch_uid="indicators.sqlite_median")


def statistics_case(consent: Consent) -> int | None:
    """The case whose consent to anonymised statistics this is; None for any other kind of consent."""
    return consent.case_id if consent.scope == Consent.Scope.STATISTICS else None


def of_person(spec: Spec, case_id: Any) -> Spec:
    """The spec limited to the rows of one person, as :func:`person` counts people: every survivor
    with the keyed blind index of the case's survivor, or that survivor alone when she has none.

    Written as subqueries (found by index, on the survivor key and the blind index), so that nothing
    about her leaves the database but the counts of the cells she is in. Used to take her out of the
    statistics snapshot when she withdraws her consent (:func:`indicators.services.snapshot_correct`).
    """
    # One row: unordered, so the Meta ordering's created_at is not read (READABLE lists no such column).
    hers = Case.objects.filter(pk=case_id).order_by()
    index = Subquery(hers.values("survivor__name_birth_year_index")[:1])
    survivors = Survivor.objects.filter(
        Q(pk=Subquery(hers.values("survivor_id")[:1])) | (Q(name_birth_year_index=index) & ~Q(name_birth_year_index=""))
    )
    prefix = "" if spec.queryset.model is Case else "case__"
    return replace(spec, queryset=spec.queryset.filter(**{f"{prefix}survivor__in": survivors}))


def referral_specs() -> list[Spec]:
    """People referred by partner kind (per area), and for the area as a whole the referrals, their
    outcomes, the median hours to acceptance and the number of partners; and referrals by service."""
    referrals = Referral.objects.filter(consented("case_id")).exclude(status=Status.DRAFT)
    common = {"queryset": referrals, "date": "sent_at", "is_datetime": True, "path": f"case__{CASE_PATH}"}
    outcomes = {
        "accepted": Q(accepted_at__isnull=False),
        "completed": Q(status=Status.COMPLETED),
        "declined": Q(status=Status.DECLINED),
        "expired": Q(status=Status.EXPIRED),
        "other": WAITING_OR_WITHDRAWN,
    }
    rows: dict[str, Q | None] = {"all": None}
    rows |= {f"partner:{kind}": Q(partner_kind=kind) for kind in PARTNER_KINDS}

    def people(condition: Q | None) -> dict[str, Any]:
        return persons("case__", condition)

    def everything(condition: Q | None) -> dict[str, Any]:
        def both(extra: Q) -> Q:
            return extra & condition if condition is not None else extra

        found = {**people(condition), "sent": Count("pk", filter=condition),
                 "partners": Count("partner", distinct=True, filter=condition),
                 "hours": Median(HoursBetween("sent_at", "accepted_at"), filter=both(Q(accepted_at__isnull=False)))}
        for name, outcome in outcomes.items():
            found[name] = Count("pk", filter=both(outcome))
        return found

    return [
        Spec(**common, row="rf", per_row=True, measures=_per_row(rows, everything),
             child_measures=_per_row(rows, people)),
        Spec(**common, group="services__service", row="service", by_child=False,
             measures={**persons("case__"), "referrals": Count("pk", distinct=True)}),
    ]


def referral_tallies(area: AdminUnit, period: Period, *, children: bool) -> Tallies:
    return _run(referral_specs(), area, period, children=children)


# --- Livelihood support ------------------------------------------------------------------------------


def livelihood_specs() -> list[Spec]:
    """Beneficiaries of livelihood support started in the period, by programme model and group; amounts;
    and the number of distinct named models."""
    rows: dict[str, Q] = {"all": Q()}
    for model in LivelihoodSupport.Model.values:
        rows[model] = Q(programme_model=model)
        for group in LivelihoodSupport.Group.values:
            rows[f"{model}:{group}"] = Q(programme_model=model, beneficiary_group=group)
    for group in LivelihoodSupport.Group.values:
        rows[group] = Q(beneficiary_group=group)
    measures: dict[str, Any] = {}
    for row, condition in rows.items():
        condition = condition or None
        measures |= {f"{row}|{name}": value for name, value in persons("case__", condition).items()}
        measures[f"{row}|amount"] = Coalesce(Sum("amount_vnd", filter=condition), 0)
        named = Q(~Q(model_name=""), condition) if condition else ~Q(model_name="")
        measures[f"{row}|models"] = Count("model_name", distinct=True, filter=named)
    return [
        Spec(
            queryset=LivelihoodSupport.objects.filter(consented("case_id")),
            date="started_on",
            path=f"case__{CASE_PATH}",
            row="lv",
            per_row=True,
            measures=measures,
        )
    ]


def livelihood_tallies(area: AdminUnit, period: Period, *, children: bool) -> Tallies:
    return _run(livelihood_specs(), area, period, children=children)


# What the statistics snapshot stores, per report section.
SNAPSHOT_SECTIONS: dict[str, Any] = {
    "survivors": survivor_specs,
    "excluded": excluded_specs,
    "support": support_specs,
    "referrals": referral_specs,
    "livelihood": livelihood_specs,
}


# --- Trusted addresses -------------------------------------------------------------------------------


def _existing_addresses(period: Period) -> models.QuerySet[Organisation]:
    """Trusted addresses working at some time in the period: established by its end, and active now or
    deactivated (per the organisation's history) after it started."""
    history = Organisation.history.model  # type: ignore[attr-defined]
    start, _end = _bounds(period)
    last_active = Subquery(
        history.objects.filter(id=OuterRef("pk"), is_active=True)
        .order_by("-history_date")
        .values("history_date")[:1]
    )
    return (
        Organisation.objects.trusted_addresses()
        .filter(established_on__lte=period.end)
        .annotate(last_active=last_active)
        .annotate(
            deactivated=Subquery(
                history.objects.filter(
                    id=OuterRef("pk"), is_active=False, history_date__gt=OuterRef("last_active")
                )
                .order_by("history_date")
                .values("history_date")[:1]
            )
        )
        .filter(Q(is_active=True) | Q(last_active__isnull=False, deactivated__gte=start))
    )


def address_tallies(area: AdminUnit, period: Period, *, children: bool) -> Tallies:
    """Trusted addresses (not people: shown exact): working in the period, newly established in it,
    consolidated, and active (a counted case open, or support given, in the period)."""
    open_case = (
        counted_cases()
        .filter(trusted_address=OuterRef("pk"), opened_on__lte=period.end)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=period.start))
    )
    # The addresses that gave support in the period, as one set (not a subquery per address): inside a
    # COUNT's FILTER PostgreSQL cannot turn a correlated EXISTS into a join, and it scanned the period's
    # services once per address — 39 s for a quarter without cases at a million cases, against 1 s.
    served = SupportService.objects.filter(
        consented("case_id"),
        case__trusted_address__area__path__startswith=area.path,
        provided_on__gte=period.start,
        provided_on__lte=period.end,
    ).values("case__trusted_address")
    existing = _existing_addresses(period)
    new = Q(programme_status=Organisation.ProgrammeStatus.NEW, established_on__gte=period.start)
    measures = {
        "total": Count("pk"),
        "new": Count("pk", filter=new),
        "consolidated": Count("pk", filter=Q(programme_status=Organisation.ProgrammeStatus.CONSOLIDATED)),
        "active": Count("pk", filter=Q(Exists(open_case)) | Q(pk__in=served)),
    }
    spec = Spec(queryset=existing, date=None, path="area__path", measures=measures, row="ta")
    flat = _live(spec, area, period, children=children)
    return {
        (name, column): {"count": values[name]}
        for (_row, column), values in flat.items()
        for name in measures
    }


def address_series(area: AdminUnit, period: Period) -> Tallies:
    """Newly established trusted addresses in each sub-period."""
    kind = period.child_kind
    if kind is None:
        return {}
    rows = (
        Organisation.objects.trusted_addresses()
        .filter(
            area__path__startswith=area.path,
            programme_status=Organisation.ProgrammeStatus.NEW,
            established_on__gte=period.start,
            established_on__lte=period.end,
        )
        .annotate(slot=TRUNC[kind]("established_on"))
        .values("slot")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {(_sub_period_code(_as_date(r["slot"]), kind), area.path): {"count": r["count"]} for r in rows}


def areas_with_addresses(area: AdminUnit) -> set[str]:
    """Paths of the child units of ``area`` that have (or had) a trusted address."""
    rows = (
        Organisation.objects.trusted_addresses()
        .filter(area__path__startswith=area.path)
        .annotate(bucket=child_bucket(area, "area__path"))
        .values_list("bucket", flat=True)
        .distinct()
    )
    return {path for path in rows if path != area.path}
