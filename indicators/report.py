"""A report: every indicator for one area and one period, already protected.

:func:`build_report` asks :mod:`indicators.aggregates` (or a stored snapshot of its counts) for the
figures, lays them out as tables and protects each figure by the rule of :mod:`indicators.disclosure`.
Every output — dashboard, CSV, XLSX, PDF, DHIS2 — renders the same :class:`Report`, so a figure is the
same in all of them.

A report agrees with the reports of the areas and periods around it without being built from them: a
commune's figures are a column of its district's report, a month's total a row of its quarter's, and
the same people give the same protected value wherever they are shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import AdminUnit
from indicators import aggregates, areas, catalogue
from indicators.catalogue import Group, Unit
from indicators.disclosure import MAX_PERTURBATION, Cell, Kind, Mark, Protected, protect
from indicators.models import PlanTarget, Release, Snapshot
from indicators.periods import Period
from indicators.snapshot import ReleaseSource, SnapshotSource

CellId = tuple[str, str, str]  # (table, row, column)
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI", 7: "VII"}

# The rule, printed in every output.
RULE_TITLE = gettext_lazy("How figures are protected")


def rule_points(k: int) -> list[str]:
    return [
        _(
            "Only cases whose survivor consented to use in anonymised statistics, and has not withdrawn that "
            "consent, are counted (GBVIMS information-sharing practice). The number left out is shown, and "
            "protected in the same way."
        ),
        _(
            "A person with cases at several trusted addresses is counted once (matched by a keyed index, "
            "without reading any name)."
        ),
        _(
            "A count of people below %(k)s, zero included, is shown as “<%(k)s”, never as a number: “<%(k)s” "
            "does not even say whether anybody is there. Counts of services and referrals are treated the same "
            "way."
        )
        % {"k": k},
        _(
            "Every other count is shown with a small change of at most %(d)s either way, and most with none "
            "(the cell-key method of the UK's 2021 Census and the Australian Bureau of Statistics). The same "
            "figure always has the same value, in every report, download and DHIS2 export; a total may differ "
            "from the sum of its parts by a few, and no count can be worked out exactly by subtracting figures "
            "from each other. Nights and amounts are changed by up to 10%% and rounded."
        )
        % {"d": MAX_PERTURBATION},
        _(
            "A count in which one trusted address's cases are nearly everything — fewer than %(k)s would be "
            "left without them — is hidden (“×”), so that no figure is one trusted address's caseload. "
            "Services, nights, amounts, medians and rates about hidden people are hidden with them. The finest "
            "area reported is the commune."
        )
        % {"k": k},
        _(
            "An ethnic minority group is listed on its own where the province counts %(k)s or more survivors "
            "of that group in the period; the other groups are counted together as “Other minority groups”. "
            "Every report of the province lists the same groups."
        )
        % {"k": k},
        _(
            "Reports cover fixed periods (month, quarter, year, programme phase) and administrative areas "
            "only, and agree with the reports of the areas that contain them."
        ),
        _(
            "Counts of trusted addresses, partners and livelihood models are not counts of people and are "
            "shown as they are. No list of cases is ever shown."
        ),
    ]


def min_cell() -> int:
    return int(getattr(settings, "INDICATORS_MIN_CELL", 5))


# --- What a report holds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # an area's path, or the name of a measure
    label: str
    area_key: str = ""  # "p62", "d613", "c23479" for area columns
    unit: Unit | None = None  # for measure columns; area columns use the table's unit
    is_total: bool = False


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    indicator: str = ""
    depth: int = 0
    is_total: bool = False


@dataclass
class Table:
    code: str
    title: str
    unit: Unit
    rows: list[Row]
    columns: list[Column]
    cells: dict[tuple[str, str], CellId] = field(default_factory=dict)
    note: str = ""

    def cell(self, row: str, column: str) -> CellId | None:
        return self.cells.get((row, column))


@dataclass(frozen=True)
class Figure:
    """One cell as every output shows it: ``value`` is None unless the figure may be shown."""

    value: int | float | None
    text: str
    mark: Mark
    unit: Unit

    @property
    def hidden(self) -> bool:
        return self.mark.is_hidden


@dataclass
class Section:
    group: Group
    title: str
    tables: list[Table]
    number: str = ""  # "II", "III"… in the printed report, after "I. Targets and results"


@dataclass(frozen=True)
class TargetLine:
    indicator: catalogue.Indicator
    target: int
    source: str
    achieved: Figure
    percent: Figure


@dataclass
class Report:
    area: AdminUnit
    period: Period
    k: int
    generated_at: dt.datetime
    columns: list[Column]
    sections: list[Section]
    cells: dict[CellId, Cell]  # the true figures: for protection and tests, never shown
    protected: dict[CellId, Protected]
    units: dict[CellId, Unit]
    indicator_cells: dict[str, CellId]
    targets: list[TargetLine] = field(default_factory=list)
    # When the figures were counted: the statistics snapshot's time, or None when counted live.
    counted_at: dt.datetime | None = None
    # When the period's figures were published (every report a user reaches is read from a release).
    released_at: dt.datetime | None = None

    @property
    def area_key(self) -> str:
        return areas.key_of(self.area)

    @property
    def figures_as_of(self) -> dt.datetime:
        """When the records were counted: the snapshot's time, or when the report was built."""
        return self.counted_at or self.generated_at

    @property
    def rule_points(self) -> list[str]:
        return rule_points(self.k)

    @property
    def marks(self) -> dict[CellId, Mark]:
        return {cell_id: found.mark for cell_id, found in self.protected.items()}

    @property
    def release_note(self) -> str:
        """What every output says about the release: when, and that it is final."""
        if self.released_at is None:
            return ""
        return _(
            "Figures released on %(date)s. The figures of a released period are final: records entered "
            "later are not added to it."
        ) % {"date": formats.date_format(self.released_at, "d/m/Y")}

    def figure(self, cell_id: CellId | None) -> Figure:
        if cell_id is None or cell_id not in self.cells:
            return Figure(None, "", Mark.SHOWN, Unit.PEOPLE)
        found, unit = self.protected[cell_id], self.units[cell_id]
        if found.mark is Mark.SMALL:
            return Figure(None, f"<{self.k}", found.mark, unit)
        if found.mark is Mark.HIDDEN:
            return Figure(None, "×", found.mark, unit)
        return Figure(found.value, format_value(found.value, unit), found.mark, unit)

    def indicator(self, code: str) -> Figure:
        return self.figure(self.indicator_cells.get(code))

    @property
    def excluded(self) -> Figure:
        return self.indicator("SV_EXCLUDED")

    def tables(self) -> Iterable[Table]:
        for section in self.sections:
            yield from section.tables


def format_value(value: int | float | None, unit: Unit) -> str:
    if value is None:
        return "–"
    if unit is Unit.PERCENT:
        return f"{formats.number_format(value, 0)}%"
    if unit is Unit.HOURS:
        return formats.number_format(value, 1, force_grouping=True)
    return formats.number_format(int(value), 0, force_grouping=True)


# --- Building ------------------------------------------------------------------------------------------


class _System:
    """Cells and links of one report, before protection."""

    def __init__(self) -> None:
        self.cells: dict[CellId, Cell] = {}
        self.units: dict[CellId, Unit] = {}
        self.links: list[tuple[CellId, ...]] = []

    def put(self, cell_id: CellId, cell: Cell, unit: Unit) -> CellId:
        self.cells[cell_id] = cell
        self.units[cell_id] = unit
        return cell_id

    def link(self, leader: CellId, *followers: CellId) -> None:
        """Hide ``followers`` whenever ``leader`` (a count) is hidden."""
        self.links.append((leader, *followers))


def _people(measures: dict[str, Any] | None) -> Cell:
    """A count of people, from the measures of a row: the count, its cell key, its largest address."""
    measures = measures or {}
    return Cell(
        int(measures.get("persons") or 0),
        Kind.PERSONS,
        key=int(measures.get("key") or 0),
        top=int(measures.get("top_persons") or 0),
        measure="persons",
    )


def _events(measures: dict[str, Any] | None, name: str) -> Cell:
    """A count of services or referrals: keyed by the people they are about, noised as ``name``."""
    measures = measures or {}
    return Cell(
        int(measures.get(name) or 0),
        Kind.EVENTS,
        key=int(measures.get("key") or 0),
        top=int(measures.get(f"top_{name}") or 0),
        measure=name,
    )


def _magnitude(measures: dict[str, Any] | None, name: str) -> Cell:
    measures = measures or {}
    return Cell(int(measures.get(name) or 0), Kind.MAGNITUDE, key=int(measures.get("key") or 0), measure=name)


class _Builder:
    def __init__(
        self,
        area: AdminUnit,
        period: Period,
        children: list[AdminUnit],
        province: AdminUnit,
        source: Any,
        k: int,
    ) -> None:
        self.area, self.period, self.children = area, period, children
        self.province, self.k = province, k
        self.source = source
        self.system = _System()
        self.total = Column(area.path, str(_("Total")), areas.key_of(area), is_total=True)
        self.columns = [self.total] + [Column(c.path, c.name, areas.key_of(c)) for c in children]
        self.indicator_cells: dict[str, CellId] = {}
        self.labels = aggregates.dimension_labels()
        self._province_survivors: dict[str, dict[str, Any]] | None = None
        # Rates worked out from shown counts after protection: (rate, numerator, denominator).
        self.rates: list[tuple[CellId, CellId, CellId]] = []

    def province_survivors(self, tallies: aggregates.Tallies) -> dict[str, dict[str, Any]]:
        """The survivor rows of the whole province in the period (``tallies`` when this is the province's
        own report), by row."""
        if self._province_survivors is None:
            if self.province != self.area:
                tallies = self.source.survivor_tallies(self.province, self.period, children=False)
            self._province_survivors = {
                row: measures for (row, column), measures in tallies.items() if column == self.province.path
            }
        return self._province_survivors

    # A table of people: rows × area columns, with the "all" row shared by every table of a population.
    def people_table(
        self,
        code: str,
        title: str,
        tallies: aggregates.Tallies,
        rows: list[Row],
        *,
        population: str,
        unit: Unit = Unit.PEOPLE,
        note: str = "",
    ) -> Table:
        table = Table(code, title, unit, rows, self.columns, note=note)
        for row in rows:
            for column in self.columns:
                table_code = population if row.is_total else code
                cell_id = (table_code, row.key, column.key)
                if cell_id not in self.system.cells:
                    self.system.put(cell_id, _people(tallies.get((row.key, column.key))), unit)
                table.cells[(row.key, column.key)] = cell_id
        return table

    def public_table(
        self,
        code: str,
        title: str,
        tallies: aggregates.Tallies,
        rows: list[Row],
        unit: Unit,
        measure: str = "count",
        columns: list[Column] | None = None,
    ) -> Table:
        columns = columns or self.columns
        table = Table(code, title, unit, rows, columns)
        for row in rows:
            for column in columns:
                value = int((tallies.get((row.key, column.key)) or {}).get(measure) or 0)
                table.cells[(row.key, column.key)] = self.system.put(
                    (code, row.key, column.key), Cell(value, Kind.PUBLIC), unit
                )
        return table

    def note_indicator(self, code: str, cell_id: CellId) -> None:
        self.indicator_cells[code] = cell_id


def _together(tallies: aggregates.Tallies, rows: set[str], column: str) -> dict[str, int]:
    """The people of several rows that no person is in twice (ethnic groups), as one row. The count at
    the largest trusted address is not known for the union: the sum of the rows' is an upper bound,
    which can only hide more."""
    found = [tallies.get((row, column)) or {} for row in rows]
    return {name: sum(int(m.get(name) or 0) for m in found) for name in ("persons", "key", "top_persons")}


def _all_row(label: str, indicator: str = "") -> Row:
    return Row("all", label, indicator=indicator, is_total=True)


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
    source: Any = ReleaseSource(release) if release else SnapshotSource(snapshot) if snapshot else aggregates
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
    source: Any,
    counted_at: dt.datetime | None,
) -> Report:
    key = (area.pk, period.code, k)
    if cache is not None and key in cache:
        return cache[key]
    parents = areas.parents_of(area)
    children = areas.children_of(area, source.areas_with_addresses(area))
    b = _Builder(area, period, children, parents[-1] if parents else area, source, k)
    with_children = bool(children)
    sections = [
        _addresses_section(b, with_children),
        _survivors_section(b, with_children),
        _support_section(b, with_children),
        _referrals_section(b, with_children),
        _livelihood_section(b, with_children),
    ]
    for number, section in enumerate(sections, start=2):
        section.number = ROMAN[number]
    protected = protect(b.system.cells, k=k, links=b.system.links)
    for rate, numerator, denominator in b.rates:
        shown = protected[numerator].value, protected[denominator].value
        if protected[rate].mark is Mark.SHOWN and None not in shown and shown[1]:
            protected[rate] = Protected(Mark.SHOWN, min(100, round(100 * shown[0] / shown[1])))
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


def get_report(area: AdminUnit, period: Period) -> Report:
    """The report of a released period, read from its release (see
    :func:`indicators.services.period_release`) — never counted from the records — and kept in the
    cache for ``INDICATORS_CACHE_SECONDS`` per area, period, smallest cell, language and release. A
    release never changes, so neither a late record nor a withdrawal of consent outdates it.

    Raises :class:`~indicators.models.Release.DoesNotExist` for a period not released (the report form
    offers released periods only)."""
    release = Release.objects.get(period=period.code)
    seconds = int(getattr(settings, "INDICATORS_CACHE_SECONDS", 0))
    if seconds <= 0:
        return build_report(area, period, release=release)
    k = min_cell()
    key = f"indicators:report:{area.pk}:{period.code}:{k}:{translation.get_language()}:release-{release.pk}"
    report = cache.get(key)
    if report is None:
        report = build_report(area, period, k=k, release=release)
        cache.set(key, report, seconds)
    return report


# --- 1. Trusted addresses ------------------------------------------------------------------------------


def _addresses_section(b: _Builder, children: bool) -> Section:
    tallies = b.source.address_tallies(b.area, b.period, children=children)
    rows = [
        Row("total", _("Working in the period"), "TA_TOTAL"),
        Row("new", _("Newly established"), "TA_NEW", depth=1),
        Row("consolidated", _("Consolidated"), "TA_CONSOLIDATED", depth=1),
        Row("active", _("Active (a case or support in the period)"), "TA_ACTIVE"),
    ]
    table = b.public_table("TA", _("Trusted addresses by area"), tallies, rows, Unit.ADDRESSES)
    for row in rows:
        b.note_indicator(row.indicator, table.cells[(row.key, b.total.key)])
    tables = [table]
    series = b.source.address_series(b.area, b.period)
    if b.period.children():
        period_rows = [Row(p.code, p.label) for p in b.period.children()]
        tables.append(
            b.public_table(
                "TA_PERIOD",
                _("Newly established trusted addresses by period"),
                series,
                period_rows,
                Unit.ADDRESSES,
                columns=[b.total],
            )
        )
    return Section(Group.ADDRESSES, str(catalogue.GROUP_TITLES[Group.ADDRESSES]), tables)


# --- 2. Survivors supported ----------------------------------------------------------------------------


def _survivors_section(b: _Builder, children: bool) -> Section:
    tallies = b.source.survivor_tallies(b.area, b.period, children=children)
    labels = b.labels
    everyone = _all_row(_("All survivors supported"), "SV_NEW")

    def rows_for(prefix: str, values: list[tuple[str, str]]) -> list[Row]:
        return [Row(f"{prefix}:{value}", label) for value, label in values]

    tables = []
    # Every row always, "no incident recorded" too: a row left out would say "nobody here".
    gbv_rows = [*rows_for("gbv", labels["gbv"]), Row("gbv:none", _("No incident recorded"))]
    # Several incidents of different types: the parts can add up to more than the total (handled as a sum).
    tables.append(
        b.people_table(
            "SV_GBV",
            _("By GBVIMS type of incident"),
            tallies,
            [everyone, *gbv_rows],
            population="SV",
            note=_("A survivor with incidents of several types is counted in each."),
        )
    )
    tables.append(
        b.people_table(
            "SV_HARM",
            _("By harm (Law 13/2022 on domestic violence)"),
            tallies,
            [everyone, *rows_for("harm", labels["harm"])],
            population="SV",
            note=_("A survivor can have several kinds of harm, or none recorded."),
        )
    )
    tables.append(
        b.people_table(
            "SV_CTX",
            _("By context"),
            tallies,
            [everyone, *rows_for("ctx", labels["ctx"])],
            population="SV",
            note=_("A survivor can be counted in several contexts."),
        )
    )
    for code, title, prefix in (("SV_SEX", _("By sex"), "sex"), ("SV_AGE", _("By age at opening"), "age")):
        rows = rows_for(prefix, labels[prefix])
        tables.append(
            b.people_table(
                code,
                title,
                tallies,
                [everyone, *rows],
                population="SV",
            )
        )
    # Ethnicity: Kinh, all minorities, each minority group with k or more survivors in the province in
    # the period, the other groups together, foreign, unknown. Listing only the groups that appear would
    # tell that the few minority survivors of a commune all belong to the one group listed; listing all
    # 53 would make a phone scroll for ever. Which groups are listed is the same for every area of the
    # province, and says only what the province's own figures show.
    others = {"01", "98", "99"}
    province = b.province_survivors(tallies)
    groups = [(value, label) for value, label in labels["eth"] if value not in others]
    listed = [(v, label) for v, label in groups if (province.get(f"eth:{v}") or {}).get("persons", 0) >= b.k]
    rest = {f"eth:{v}" for v, _label in groups} - {f"eth:{v}" for v, _label in listed}
    other_minorities = Row(f"eth:{aggregates.OTHER_MINORITIES}", _("Other minority groups"), depth=1)
    for column in b.columns:
        tallies[(other_minorities.key, column.key)] = _together(tallies, rest, column.key)
    minorities = [Row(f"eth:{value}", label, depth=1) for value, label in listed]
    minority_total = Row(f"eth:{aggregates.MINORITY}", _("Ethnic minorities (all groups)"))
    kinh, foreign, unknown = (Row(f"eth:{v}", dict(labels["eth"])[v]) for v in ("01", "98", "99"))
    eth_rows = [everyone, kinh, minority_total, *minorities, other_minorities, foreign, unknown]
    tables.append(
        b.people_table(
            "SV_ETH",
            _("By ethnicity"),
            tallies,
            eth_rows,
            population="SV",
        )
    )
    dis_rows = rows_for("dis", labels["dis"])
    tables.append(
        b.people_table(
            "SV_DIS",
            _("By disability"),
            tallies,
            [everyone, *dis_rows],
            population="SV",
        )
    )
    b.note_indicator("SV_NEW", ("SV", "all", b.total.key))

    # By sub-period: the area's total only.
    sub_periods = b.period.children()
    if sub_periods:
        series = b.source.survivor_series(b.area, b.period)
        table = Table(
            "SV_PERIOD",
            _("By period"),
            Unit.PEOPLE,
            [everyone] + [Row(p.code, p.label) for p in sub_periods],
            [b.total],
        )
        table.cells[("all", b.total.key)] = ("SV", "all", b.total.key)
        for p in sub_periods:
            table.cells[(p.code, b.total.key)] = b.system.put(
                ("SV_PERIOD", p.code, b.total.key), _people(series.get((p.code, b.total.key))), Unit.PEOPLE
            )
        tables.append(table)

    excluded = b.source.excluded_tallies(b.area, b.period)
    cell = b.system.put(
        ("SV_EXCLUDED", "all", b.total.key), _people(excluded.get(("excluded", b.total.key))), Unit.PEOPLE
    )
    b.note_indicator("SV_EXCLUDED", cell)
    # The headline table first: everyone, by area.
    return Section(Group.SURVIVORS, str(catalogue.GROUP_TITLES[Group.SURVIVORS]), tables)


# --- 3. Support given ----------------------------------------------------------------------------------


def _support_section(b: _Builder, children: bool) -> Section:
    tallies = b.source.support_tallies(b.area, b.period, children=children)
    kinds = dict(b.labels["kind"])
    K = aggregates.SUPPORT_KINDS
    kind_rows = [Row(f"kind:{kind}", kinds[kind]) for kind in (K.SHELTER, K.COUNSELLING, K.ACCOMPANIMENT)]
    emergency = Row("emergency", _("Emergency support (material or cash)"), "SP_EMERGENCY")
    material, cash = (
        Row(f"kind:{kind}", kinds[kind], depth=1) for kind in (K.EMERGENCY_MATERIAL, K.EMERGENCY_CASH)
    )
    everyone = _all_row(_("All people supported"))
    rows = [everyone, *kind_rows, emergency, material, cash]
    people = b.people_table(
        "SP",
        _("People supported, by kind of support and area"),
        tallies,
        rows,
        population="SP",
        note=_("A person given several kinds of support is counted in each."),
    )
    for indicator, row in (
        ("SP_SHELTER", kind_rows[0]),
        ("SP_COUNSELLING", kind_rows[1]),
        ("SP_ACCOMPANIMENT", kind_rows[2]),
        ("SP_EMERGENCY", emergency),
    ):
        b.note_indicator(indicator, people.cells[(row.key, b.total.key)])

    # Services, nights and amounts, for the area as a whole; hidden with the people they describe.
    total = b.total.key
    columns = [
        Column("persons", _("People"), unit=Unit.PEOPLE),
        Column("services", _("Services"), unit=Unit.SERVICES),
        Column("nights", _("Nights"), unit=Unit.NIGHTS),
        Column("amount", _("Amount (VND)"), unit=Unit.VND),
    ]
    measures = Table("SP_MEASURE", _("Services, shelter nights and amounts"), Unit.SERVICES, rows, columns)
    for row in rows:
        values = tallies.get((row.key, total), {})
        persons_id = people.cells[(row.key, total)]
        measures.cells[(row.key, "persons")] = persons_id
        services = b.system.put(("SP_MEASURE", row.key, "services"), _events(values, "services"), Unit.SERVICES)
        measures.cells[(row.key, "services")] = services
        linked = [persons_id, services]
        # Nights for shelter stays and amounts for emergency support only: an "all" figure would equal
        # them and show what they hide.
        if row.key == f"kind:{K.SHELTER}":
            nights = b.system.put(("SP_MEASURE", row.key, "nights"), _magnitude(values, "nights"), Unit.NIGHTS)
            measures.cells[(row.key, "nights")] = nights
            linked.append(nights)
        if row.key in (emergency.key, material.key, cash.key):
            amount = b.system.put(("SP_MEASURE", row.key, "amount"), _magnitude(values, "amount"), Unit.VND)
            measures.cells[(row.key, "amount")] = amount
            linked.append(amount)
        b.system.link(*linked)
    b.note_indicator("SP_SHELTER_NIGHTS", ("SP_MEASURE", kind_rows[0].key, "nights"))
    b.note_indicator("SP_EMERGENCY_VND", ("SP_MEASURE", emergency.key, "amount"))
    return Section(Group.SUPPORT, str(catalogue.GROUP_TITLES[Group.SUPPORT]), [people, measures])


# --- 4. Referrals --------------------------------------------------------------------------------------


def _referrals_section(b: _Builder, children: bool) -> Section:
    tallies = b.source.referral_tallies(b.area, b.period, children=children)
    kind_rows = [Row(f"partner:{kind}", label) for kind, label in b.labels["partner"]]
    everyone = _all_row(_("All partners"))
    rows = [everyone, *kind_rows]
    people = b.people_table(
        "RF",
        _("People referred, by partner kind and area"),
        tallies,
        rows,
        population="RF",
        note=_("A person referred to several kinds of partner is counted in each."),
    )
    total = b.total.key
    columns = [
        Column("partners", _("Partners"), unit=Unit.PARTNERS),
        Column("sent", _("Sent"), unit=Unit.REFERRALS),
        Column("accepted", _("Accepted"), unit=Unit.REFERRALS),
        Column("completed", _("Completed"), unit=Unit.REFERRALS),
        Column("declined", _("Declined"), unit=Unit.REFERRALS),
        Column("expired", _("Expired"), unit=Unit.REFERRALS),
        Column("other", _("Waiting or withdrawn"), unit=Unit.REFERRALS),
        Column("hours", _("Median hours to acceptance"), unit=Unit.HOURS),
        Column("rate", _("Completion rate"), unit=Unit.PERCENT),
    ]
    outcomes = Table(
        "RF_OUT",
        _("Referrals and their outcomes, by partner kind"),
        Unit.REFERRALS,
        rows,
        columns,
        note=_("Completion rate: completed referrals as a share of accepted referrals."),
    )
    for row in rows:
        values = tallies.get((row.key, total), {})

        def put(name: str, cell: Cell, unit: Unit, *, row_key: str = row.key) -> CellId:
            return b.system.put(("RF_OUT", row_key, name), cell, unit)

        outcomes.cells[(row.key, "partners")] = put(
            "partners", Cell(int(values.get("partners") or 0), Kind.PUBLIC), Unit.PARTNERS
        )
        counts = {}
        for name in aggregates.OUTCOMES:
            counts[name] = put(name, _events(values, name), Unit.REFERRALS)
            outcomes.cells[(row.key, name)] = counts[name]
        hours = values.get("hours")
        outcomes.cells[(row.key, "hours")] = put(
            "hours", Cell(float(hours) if hours is not None else None, Kind.STATISTIC), Unit.HOURS
        )
        # Worked out from the shown counts once they are protected (a rate of the true counts would
        # tell what the perturbation hides).
        outcomes.cells[(row.key, "rate")] = put("rate", Cell(None, Kind.STATISTIC), Unit.PERCENT)
        b.rates.append((("RF_OUT", row.key, "rate"), counts["completed"], counts["accepted"]))
        b.system.link(people.cells[(row.key, total)], counts["sent"])
        b.system.link(counts["accepted"], ("RF_OUT", row.key, "hours"))
        b.system.link(counts["accepted"], ("RF_OUT", row.key, "rate"))
        b.system.link(counts["completed"], ("RF_OUT", row.key, "rate"))
    for indicator, name in (
        ("RF_SENT", "sent"),
        ("RF_ACCEPTED", "accepted"),
        ("RF_COMPLETED", "completed"),
        ("RF_DECLINED", "declined"),
        ("RF_EXPIRED", "expired"),
        ("RF_MEDIAN_HOURS", "hours"),
        ("RF_COMPLETION_RATE", "rate"),
        ("RF_PARTNERS", "partners"),
    ):
        b.note_indicator(indicator, ("RF_OUT", "all", name))

    service_rows = [Row(f"service:{value}", label) for value, label in b.labels["service"]]
    service_columns = [
        Column("persons", _("People"), unit=Unit.PEOPLE),
        Column("referrals", _("Referrals"), unit=Unit.REFERRALS),
    ]
    services = Table(
        "RF_SERVICE",
        _("Referrals by service requested"),
        Unit.REFERRALS,
        service_rows,
        service_columns,
        note=_("A referral can ask for several services."),
    )
    for row in service_rows:
        values = tallies.get((row.key, total), {})
        a = b.system.put(("RF_SERVICE", row.key, "persons"), _people(values), Unit.PEOPLE)
        c = b.system.put(("RF_SERVICE", row.key, "referrals"), _events(values, "referrals"), Unit.REFERRALS)
        services.cells[(row.key, "persons")], services.cells[(row.key, "referrals")] = a, c
        b.system.link(a, c)
    return Section(
        Group.REFERRALS, str(catalogue.GROUP_TITLES[Group.REFERRALS]), [people, outcomes, services]
    )


# --- 5. Livelihood support -----------------------------------------------------------------------------


def _livelihood_section(b: _Builder, children: bool) -> Section:
    tallies = b.source.livelihood_tallies(b.area, b.period, children=children)
    models, groups = dict(b.labels["model"]), dict(b.labels["group"])
    everyone = _all_row(_("All beneficiaries"), "LV_BENEFICIARIES")
    rows = [everyone]
    for model in aggregates.LIVELIHOOD_MODELS.values:
        rows.append(Row(model, models[model]))
        rows += [
            Row(f"{model}:{group}", groups[group], depth=1) for group in aggregates.LIVELIHOOD_GROUPS.values
        ]
    rows += [Row(group, groups[group]) for group in aggregates.LIVELIHOOD_GROUPS.values]
    M = aggregates.LIVELIHOOD_MODELS.values
    people = b.people_table("LV", _("Beneficiaries by model, group and area"), tallies, rows, population="LV")
    b.note_indicator("LV_BENEFICIARIES", people.cells[("all", b.total.key)])
    total = b.total.key
    measure_rows = [Row(model, models[model]) for model in M] + [_all_row(_("All models"))]
    columns = [
        Column("models", _("Models"), unit=Unit.MODELS),
        Column("persons", _("Beneficiaries"), unit=Unit.PEOPLE),
        Column("amount", _("Amount (VND)"), unit=Unit.VND),
    ]
    measures = Table(
        "LV_MEASURE",
        _("Livelihood models and amounts"),
        Unit.MODELS,
        measure_rows,
        columns,
        note=_("Models are counted by their recorded names."),
    )
    for row in measure_rows:
        values = tallies.get((row.key, total), {})
        measures.cells[(row.key, "models")] = b.system.put(
            ("LV_MEASURE", row.key, "models"), Cell(int(values.get("models") or 0), Kind.PUBLIC), Unit.MODELS
        )
        measures.cells[(row.key, "persons")] = people.cells[(row.key, total)]
        amount = b.system.put(("LV_MEASURE", row.key, "amount"), _magnitude(values, "amount"), Unit.VND)
        measures.cells[(row.key, "amount")] = amount
        b.system.link(people.cells[(row.key, total)], amount)
    b.note_indicator("LV_MODELS", ("LV_MEASURE", "all", "models"))
    b.note_indicator("LV_MODELS_PILOT", ("LV_MEASURE", "pilot", "models"))
    b.note_indicator("LV_MODELS_REPLICATED", ("LV_MEASURE", "replicated", "models"))
    b.note_indicator("LV_AMOUNT", ("LV_MEASURE", "all", "amount"))
    return Section(Group.LIVELIHOOD, str(catalogue.GROUP_TITLES[Group.LIVELIHOOD]), [people, measures])


# --- 6. Plan targets -----------------------------------------------------------------------------------


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
