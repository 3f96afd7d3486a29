"""An attacker of the anonymised statistics, written from scratch (issue 10): it downloads every report a
role may download, reads only what a reader sees, and works out what the figures say together.

Three steps, usable on their own (``tests/indicators/test_attacker.py`` runs them on a generated
province):

* :func:`download` — every area and period the report form offers a member, each report got the way the
  views get it, read with :func:`read` into :class:`ReportView`\\ s: the figures of people, each tied to
  the one true quantity it shows (:class:`Quantity`: area, period, population, row), so that a figure
  shown in several reports — a commune as a column of its district's report and as the total of its own,
  a month in its quarter's "by period" table and as the total of its own report — is one unknown.
* :func:`attack` — one integer unknown per quantity, bounded by every figure (a number *v*: the truth is
  within ``max_perturbation`` of *v*, and at least *k*; "<k": 0…k−1; "×": nothing), tied by every sum a
  reader knows (an area is the sum of its child areas, a period the sum of its sub-periods, the "all" row
  the sum of an exclusive breakdown; a part is at most its whole; an ethnic group is listed on its own
  exactly where its province counts k or more of it in the period, as the printed rule says, so a group
  a report leaves out holds fewer than k there, and one its province's report lists holds k or more;
  nothing is counted in a period that has not begun) and narrowed by interval propagation to a fixpoint
  (no integer-programming library is installed; trying the end values of every narrow range as well
  found nothing more on the generated province, at two hundred times the cost). It reports the counts
  of 1…k−1 people pinned to one value without ever being shown, and the groups of fewer than k people
  whose members all share an attribute (:class:`Attack`).
* :func:`changes` — what changed between two downloads: after adding or withdrawing one person, a
  changed figure of a profile row (GBV type, harm, context, sex, age band, ethnicity, disability) tells
  something about her.

The attacker is deliberately the strongest the generated data allows: each person has one case, so the
sums across areas and periods are exact. It knows nothing of how the product protects its figures
(``indicators.suppression`` is not used): only the rules printed in every report, and what any reader
sees vary from one report to the next.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from indicators import periods
from indicators.catalogue import Unit

INF = math.inf

# The people tables, by the population they count. "All" rows are one set of cells per population.
POPULATION = {
    "SV_GBV": "SV",
    "SV_HARM": "SV",
    "SV_CTX": "SV",
    "SV_SEX": "SV",
    "SV_AGE": "SV",
    "SV_ETH": "SV",
    "SV_DIS": "SV",
    "SP": "SP",
    "SP_MEASURE": "SP",
    "RF": "RF",
    "RF_SERVICE": "RF_SERVICE",
    "LV": "LV",
    "LV_MEASURE": "LV",
}
# The "by period" table: its rows are the report's sub-periods, each the survivors' total of that period.
BY_PERIOD = "SV_PERIOD"
EXCLUDED = "SV_EXCLUDED"
# Populations counted by a date (case opened, support given, referral sent, livelihood support started):
# each person's one case puts her in one area and one sub-period, so the sums are exact.
DATED = ("SV", "SP", "RF", "RF_SERVICE", "LV", EXCLUDED)
# The rows of a survivor that describe her (not the "all" row).
PROFILE = ("gbv", "harm", "ctx", "sex", "age", "eth", "dis")
NOT_MINORITY = ("eth:01", "eth:98", "eth:99")
MINORITY = "eth:minority"


@dataclass(frozen=True, order=True)
class Quantity:
    """One true count of people: in an area (its path), a period (its code), a population, a row."""

    area: str
    period: str
    population: str
    row: str

    def __str__(self) -> str:
        return f"{area_name(self.area)} · {self.period} · {self.population} {self.row}"


def area_name(path: str) -> str:
    """``p72/d720/c72001/`` → ``c72001``: the key the product shows in file names."""
    return path.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Observation:
    """A figure as a reader sees it, and where."""

    quantity: Quantity
    text: str
    value: int | float | None
    where: str  # "report c72001 2021-08, table SV_SEX"


@dataclass(frozen=True)
class Listing:
    """The rows a people table lists for its area columns (a row can be left out of a report)."""

    table: str
    population: str
    rows: tuple[str, ...]
    areas: tuple[str, ...]


@dataclass
class ReportView:
    """What a reader reads from one report: the figures of people, and the layout."""

    area: str  # path
    period: str
    k: int
    children: tuple[str, ...]  # the area columns (paths), in order
    observations: list[Observation] = field(default_factory=list)
    listings: list[Listing] = field(default_factory=list)
    # Every cell as shown, for the difference attack: (table, row, column) → text.
    cells: dict[tuple[str, str, str], str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.area, self.period)


# --- Reading and downloading ------------------------------------------------------------------------


def read(report: Any) -> ReportView:
    """Read a :class:`indicators.report.Report` as its downloads show it: ``report.figure`` of every
    cell of every table, nothing else."""
    own, period = report.area.path, report.period.code
    children = tuple(c.key for c in report.columns if getattr(c, "area_key", "") and not c.is_total)
    view = ReportView(own, period, int(report.k), children)
    where_report = f"report {area_name(own)} {period}"
    for table in report.tables():
        for row in table.rows:
            for column in table.columns:
                cell_id = table.cells.get((row.key, column.key))
                if cell_id is None:
                    continue
                figure = report.figure(cell_id)
                view.cells[(table.code, row.key, column.key)] = figure.text
        if table.code == BY_PERIOD:
            total = table.columns[0].key
            for row in table.rows:
                cell_id = table.cells.get((row.key, total))
                if cell_id is None:
                    continue
                # "all" is this period; every other row is a sub-period's total of survivors.
                quantity = Quantity(own, period if row.is_total else row.key, "SV", "all")
                _observe(view, quantity, report.figure(cell_id), f"{where_report}, table {table.code}")
            continue
        population = POPULATION.get(table.code)
        if population is None:
            continue  # not a count of people (trusted addresses, referrals, amounts)
        areas_seen: list[str] = []
        for column in table.columns:
            is_area = bool(getattr(column, "area_key", ""))
            unit = table.unit if is_area else column.unit
            if unit != Unit.PEOPLE:
                continue
            area = column.key if is_area else own
            if is_area:
                areas_seen.append(area)
            for row in table.rows:
                cell_id = table.cells.get((row.key, column.key))
                if cell_id is None:
                    continue
                quantity = Quantity(area, period, population, row.key)
                _observe(view, quantity, report.figure(cell_id), f"{where_report}, table {table.code}")
        if areas_seen:
            view.listings.append(
                Listing(table.code, population, tuple(r.key for r in table.rows), tuple(areas_seen))
            )
    excluded = getattr(report, "excluded", None)  # "new cases left out", printed with the report's facts
    if excluded is not None:
        view.cells[(EXCLUDED, "all", own)] = excluded.text
        _observe(view, Quantity(own, period, EXCLUDED, "all"), excluded, f"{where_report}, left out")
    return view


def _observe(view: ReportView, quantity: Quantity, figure: Any, where: str) -> None:
    view.observations.append(Observation(quantity, str(figure.text), figure.value, where))


def offered(membership: Any) -> list[tuple[str, str]]:
    """Every (area key, period code) the report form offers the member."""
    from indicators.forms import ReportForm

    form = ReportForm(None, membership=membership)
    area_keys = [key for key, _label in _flat(form.fields["area"].widget.choices)]
    period_codes = [code for code, _label in _flat(form.fields["period"].widget.choices)]
    return [(area, period) for area in area_keys for period in period_codes]


def _flat(choices: Iterable[tuple[Any, Any]]) -> list[tuple[str, str]]:
    flat = []
    for value, label in choices:
        if isinstance(label, list | tuple):  # an <optgroup>
            flat += [(str(v), str(lab)) for v, lab in label]
        elif value not in (None, ""):
            flat.append((str(value), str(label)))
    return flat


@dataclass(repr=False)
class Downloads:
    """Every report downloaded, once, and which of them each member was offered."""

    def __repr__(self) -> str:
        return f"<Downloads: {len(self.reports)} reports>"

    reports: dict[tuple[str, str], ReportView]  # (area key, period code) → view
    offered: dict[str, list[tuple[str, str]]]  # member's name → keys

    def of(self, name: str) -> list[ReportView]:
        return [self.reports[key] for key in self.offered[name]]


def download(members: Mapping[str, Any]) -> Downloads:
    """Download every report the form offers each member, the way the views do: the form validates
    the choice (``areas.parse``, ``periods.parse``), then ``get_report``."""
    from indicators.forms import ReportForm
    from indicators.report import get_report

    reports: dict[tuple[str, str], ReportView] = {}
    offers: dict[str, list[tuple[str, str]]] = {}
    for name, membership in members.items():
        offers[name] = offered(membership)
        for area_key, period_code in offers[name]:
            if (area_key, period_code) in reports:
                continue  # the same report, whoever downloads it
            form = ReportForm({"area": area_key, "period": period_code}, membership=membership)
            assert form.is_valid(), (name, area_key, period_code, form.errors)
            report = get_report(form.cleaned_data["area"], form.cleaned_data["period"])
            reports[(area_key, period_code)] = read(report)
    return Downloads(reports, offers)


# --- The linear attacker -----------------------------------------------------------------------------


def max_perturbation() -> int:
    """The published bound on the noise added to a figure (0 while figures are exact)."""
    try:
        module = importlib.import_module("indicators.disclosure")
    except ModuleNotFoundError:
        return 0
    return int(getattr(module, "MAX_PERTURBATION", 0))


def figure_bounds(text: str, value: int | float | None, *, k: int, d: int) -> tuple[float, float]:
    """What a figure says about the true count: a number v (within d of the truth, at least k); "<n"
    (0…n−1); anything else ("×", "–", blank) nothing."""
    text = text.strip()
    if text.startswith("<") and text[1:].strip().isdigit():
        return 0, int(text[1:]) - 1
    if value is not None and text not in ("×", ""):
        low = max(0, math.ceil(value - d))
        if value >= k:
            low = max(low, k)
        return low, math.floor(value + d)
    return 0, INF


@dataclass(frozen=True)
class Relation:
    """Σ sign·x ≤ 0 (or = 0 when ``exact``), with a description for the findings."""

    terms: tuple[tuple[int, int], ...]  # (unknown, +1 or −1)
    exact: bool
    label: str


class Contradiction(AssertionError):
    """The figures and the relations admit no solution: a relation the attacker assumed is false."""


@dataclass(frozen=True)
class Finding:
    kind: str  # "exact small count", "attribute"
    quantity: Quantity
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(repr=False)
class Attack:
    k: int
    d: int
    bounds: dict[Quantity, tuple[float, float]]
    shown_as_number: set[Quantity]
    exact_small_counts: list[Finding]
    attributes: list[Finding]
    unknowns: int
    relations: int
    # Bounds that the sums, not a figure of the quantity itself, made tighter: what the attacker learned.
    narrowed: int = 0

    def __repr__(self) -> str:  # the findings are listed by the tests; the bounds are too many to print
        return f"<Attack: {self.summary()}>"

    def summary(self) -> str:
        return (
            f"{len(self.exact_small_counts)} exact small counts, {len(self.attributes)} attribute disclosures "
            f"({self.unknowns} unknowns, {self.relations} relations, {self.narrowed} bounds narrowed by sums, "
            f"k = {self.k}, D = {self.d})"
        )


def _breakdowns(rows: Mapping[str, set[str]]) -> list[tuple[str, str, list[str], bool, bool, str]]:
    """(population, total row, category rows, exclusive, covering, name) of every breakdown a reader
    knows. Exclusive: the categories add up to the total. Covering: everyone is in at least one."""

    def prefixed(population: str, prefix: str) -> list[str]:
        return sorted(r for r in rows.get(population, ()) if r.startswith(prefix + ":"))

    sv = rows.get("SV", set())
    minorities = sorted(r for r in sv if r.startswith("eth:") and r not in (*NOT_MINORITY, MINORITY))
    found = [
        ("SV", "all", prefixed("SV", "gbv"), False, True, "GBV type (incl. no incident)"),
        ("SV", "all", prefixed("SV", "harm"), False, False, "harm"),
        ("SV", "all", prefixed("SV", "ctx"), False, False, "context"),
        ("SV", "all", prefixed("SV", "sex"), True, True, "sex"),
        ("SV", "all", prefixed("SV", "age"), True, True, "age band"),
        ("SV", "all", prefixed("SV", "dis"), True, True, "disability"),
        ("SV", "all", [r for r in (*NOT_MINORITY[:1], MINORITY, *NOT_MINORITY[1:]) if r in sv], True, True,
         "ethnicity"),
        ("SV", MINORITY, minorities, True, True, "minority group"),
        ("SP", "all", [r for r in prefixed("SP", "kind")], False, True, "kind of support"),
        ("SP", "emergency", [r for r in ("kind:material", "kind:cash") if r in rows.get("SP", ())], False, True,
         "emergency support"),
        ("RF", "all", prefixed("RF", "partner"), False, True, "partner kind"),
    ]
    lv = rows.get("LV", set())
    models = sorted(r for r in lv if r != "all" and ":" not in r and any(x.startswith(r + ":") for x in lv))
    groups = sorted(r for r in lv if r != "all" and ":" not in r and r not in models)
    found.append(("LV", "all", models, False, True, "livelihood model"))
    found.append(("LV", "all", groups, False, True, "beneficiary group"))
    for model in models:
        found.append(("LV", model, [f"{model}:{g}" for g in groups if f"{model}:{g}" in lv], False, True,
                      f"group within {model}"))
    for group in groups:
        found.append(("LV", group, [f"{m}:{group}" for m in models if f"{m}:{group}" in lv], False, True,
                      f"model within {group}"))
    return [b for b in found if b[2]]


class _Solver:
    def __init__(self) -> None:
        self.index: dict[Quantity, int] = {}
        self.quantities: list[Quantity] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.why_lo: list[str | int] = []
        self.why_hi: list[str | int] = []
        self.relations: list[Relation] = []
        self.uses: list[list[int]] = []

    def var(self, quantity: Quantity) -> int:
        number = self.index.get(quantity)
        if number is None:
            number = self.index[quantity] = len(self.quantities)
            self.quantities.append(quantity)
            self.lo.append(0)
            self.hi.append(INF)
            self.why_lo.append("a count is never negative")
            self.why_hi.append("")
            self.uses.append([])
        return number

    def bound(self, quantity: Quantity, low: float, high: float, why: str) -> None:
        v = self.var(quantity)
        if low > self.lo[v]:
            self.lo[v], self.why_lo[v] = low, why
        if high < self.hi[v]:
            self.hi[v], self.why_hi[v] = high, why
        if self.lo[v] > self.hi[v]:
            raise Contradiction(f"{quantity}: {why} contradicts {self._why(v)}")

    def relate(self, total: Quantity, parts: Iterable[Quantity], *, exact: bool, label: str) -> None:
        """total = Σ parts (exact) or total ≤ Σ parts."""
        terms = [(self.var(total), 1)] + [(self.var(p), -1) for p in parts]
        self._add(Relation(tuple(terms), exact, label))

    def at_most(self, part: Quantity, whole: Quantity, label: str) -> None:
        self._add(Relation(((self.var(part), 1), (self.var(whole), -1)), False, label))

    def _add(self, relation: Relation) -> None:
        number = len(self.relations)
        self.relations.append(relation)
        for v, _sign in relation.terms:
            self.uses[v].append(number)

    def propagate(self) -> None:
        queue = list(range(len(self.relations)))
        queued = [True] * len(self.relations)
        while queue:
            number = queue.pop()
            queued[number] = False
            relation = self.relations[number]
            for direction in (1, -1) if relation.exact else (1,):
                for v in self._narrow(relation, direction, number):
                    for other in self.uses[v]:
                        if not queued[other]:
                            queued[other] = True
                            queue.append(other)

    def _narrow(self, relation: Relation, direction: int, number: int) -> list[int]:
        """Σ direction·sign·x ≤ 0: bound each x by the smallest possible sum of the others."""
        lo, hi = self.lo, self.hi
        smallest, infinite, infinite_var = 0.0, 0, -1
        for v, sign in relation.terms:
            c = sign * direction
            least = lo[v] if c > 0 else -hi[v]
            if least == -INF:
                infinite += 1
                infinite_var = v
            else:
                smallest += least
        if infinite > 1:
            return []
        changed = []
        for v, sign in relation.terms:
            c = sign * direction
            if infinite == 1 and v != infinite_var:
                continue
            own = lo[v] if c > 0 else -hi[v]
            others = smallest - (own if own != -INF else 0)
            if c > 0:  # x ≤ −others
                if -others < hi[v]:
                    hi[v], self.why_hi[v] = -others, number
                    changed.append(v)
            elif others > lo[v]:  # x ≥ others
                lo[v], self.why_lo[v] = others, number
                changed.append(v)
            if lo[v] > hi[v]:
                raise Contradiction(f"{self.quantities[v]}: {self._why(v)}")
        return changed

    def _why(self, v: int) -> str:
        def said(reason: str | int) -> str:
            return self.relations[reason].label if isinstance(reason, int) else reason

        return f"≥ {self.lo[v]:g} by {said(self.why_lo[v])}; ≤ {self.hi[v]:g} by {said(self.why_hi[v])}"


def attack(views: Iterable[ReportView], *, today: dt.date, d: int | None = None) -> Attack:
    """Everything the figures of ``views`` say together, and what it discloses.

    ``today``: no case opens, no support is given, no referral is sent and no livelihood support starts
    in a period that has not begun, so its counts are 0. ``d``: the published bound of the noise on a
    figure (:func:`max_perturbation` by default)."""
    views = list(views)
    d = max_perturbation() if d is None else d
    k = min((v.k for v in views), default=5)
    solver = _Solver()
    shown: set[Quantity] = set()

    # What every figure says.
    for view in views:
        for seen in view.observations:
            low, high = figure_bounds(seen.text, seen.value, k=view.k, d=d)
            solver.bound(seen.quantity, low, high, f"“{seen.text}” in {seen.where}")
            if seen.value is not None and not seen.text.startswith("<") and seen.text != "×":
                shown.add(seen.quantity)

    # The grid of quantities the sums run over.
    children: dict[str, tuple[str, ...]] = {}
    for view in views:
        if view.children:
            children[view.area] = view.children
    grid_areas = {v.area for v in views} | {c for cs in children.values() for c in cs}
    grid_periods = {v.period for v in views}
    for code in list(grid_periods):
        grid_periods |= {p.code for p in _period(code).children()}
    rows: dict[str, set[str]] = defaultdict(set)
    for q in solver.quantities:
        rows[q.population].add(q.row)
    table_rows: dict[str, set[str]] = defaultdict(set)
    for view in views:
        for listing in view.listings:
            table_rows[listing.table] |= set(listing.rows)

    def each(area: str, period: str) -> Iterable[Quantity]:
        for population, names in rows.items():
            for row in names:
                yield Quantity(area, period, population, row)

    # A row a report leaves out (an ethnic group) while other reports list it: the province counts fewer
    # than k of it in the period, so every area in it does too.
    for view in views:
        for listing in view.listings:
            for row in sorted(table_rows[listing.table] - set(listing.rows)):
                for area in listing.areas:
                    solver.bound(Quantity(area, view.period, listing.population, row), 0, view.k - 1,
                                 f"row left out of report {area_name(view.area)} {view.period}")
    # A row listed only sometimes: listed where the province counts k or more of it in the period.
    conditional: dict[str, set[str]] = defaultdict(set)
    for view in views:
        for listing in view.listings:
            conditional[listing.table] |= table_rows[listing.table] - set(listing.rows)
    for view in views:
        if view.area.count("/") != 1:
            continue  # not a province
        for listing in view.listings:
            for row in sorted(set(listing.rows) & conditional.get(listing.table, set())):
                solver.bound(Quantity(view.area, view.period, listing.population, row), view.k, INF,
                             f"row listed in province report {area_name(view.area)} {view.period}")
    # Nothing is counted in a period that has not begun.
    for code in sorted(grid_periods):
        if _period(code).start > today:
            for area in grid_areas:
                for q in each(area, code):
                    solver.bound(q, 0, 0, f"{code} has not begun")

    # An area is the sum of its child areas (each person has one case, at one trusted address).
    for area, kids in children.items():
        for code in grid_periods:
            for q in each(area, code):
                parts = [Quantity(kid, code, q.population, q.row) for kid in kids]
                solver.relate(q, parts, exact=True,
                              label=f"{q} = Σ {', '.join(area_name(k) for k in kids)}")
    # A period is the sum of its sub-periods (one case: one date).
    for code in grid_periods:
        subs = [p.code for p in _period(code).children()]
        if not subs or not set(subs) <= grid_periods:
            continue
        for area in grid_areas:
            for q in each(area, code):
                if q.population not in DATED:
                    continue
                parts = [Quantity(area, sub, q.population, q.row) for sub in subs]
                solver.relate(q, parts, exact=True, label=f"{q} = Σ {subs[0]}…{subs[-1]}")
    # Down the rows: breakdowns of the same area and period.
    breakdowns = _breakdowns(rows)
    for area in grid_areas:
        for code in grid_periods:
            for population, total, categories, exclusive, covering, name in breakdowns:
                whole = Quantity(area, code, population, total)
                parts = [Quantity(area, code, population, c) for c in categories]
                label = f"{whole} vs {name}"
                if exclusive:
                    solver.relate(whole, parts, exact=True, label=f"{whole} = Σ {name}")
                    continue
                for part in parts:
                    solver.at_most(part, whole, f"{part.row} ≤ {total} ({area_name(area)} {code})")
                if covering:
                    solver.relate(whole, parts, exact=False, label=f"{label}: total ≤ Σ")
            if "emergency" in rows.get("SP", ()):
                solver.at_most(Quantity(area, code, "SP", "emergency"), Quantity(area, code, "SP", "all"),
                               f"emergency ≤ all ({area_name(area)} {code})")
            if "RF" in rows and "RF_SERVICE" in rows:
                for service in sorted(rows["RF_SERVICE"]):
                    solver.at_most(Quantity(area, code, "RF_SERVICE", service), Quantity(area, code, "RF", "all"),
                                   f"referred for {service} ≤ referred ({area_name(area)} {code})")

    solver.propagate()
    bounds = {q: (solver.lo[v], solver.hi[v]) for q, v in solver.index.items()}
    return Attack(
        k, d, bounds, shown,
        exact_small_counts=_exact_small_counts(solver, bounds, shown, k),
        attributes=_attributes(bounds, breakdowns, grid_areas, grid_periods, k),
        unknowns=len(solver.quantities),
        relations=len(solver.relations),
        narrowed=sum(isinstance(why, int) for why in (*solver.why_lo, *solver.why_hi)),
    )


def _exact_small_counts(
    solver: _Solver, bounds: Mapping[Quantity, tuple[float, float]], shown: set[Quantity], k: int
) -> list[Finding]:
    """Counts of 1…k−1 people pinned to one value, never shown as a number."""
    found = []
    for q, v in sorted(solver.index.items()):
        low, high = bounds[q]
        if low == high and 1 <= low <= k - 1 and q not in shown:
            found.append(Finding("exact small count", q, f"{q} = {low:g}, never shown as a number ({solver._why(v)})"))
    return found


def _attributes(
    bounds: Mapping[Quantity, tuple[float, float]],
    breakdowns: list[tuple[str, str, list[str], bool, bool, str]],
    grid_areas: set[str],
    grid_periods: set[str],
    k: int,
) -> list[Finding]:
    """Groups proven to hold 1 or more people but not proven to hold k, all of whom share a category."""
    found = []
    for area in sorted(grid_areas):
        for code in sorted(grid_periods):
            for population, total, categories, _exclusive, covering, name in breakdowns:
                whole = Quantity(area, code, population, total)
                low, high = bounds[whole]
                if not 1 <= low < k:
                    continue
                possible = [c for c in categories if bounds[Quantity(area, code, population, c)][1] > 0]
                everyone: dict[str, str] = {}
                for c in categories:
                    if bounds[Quantity(area, code, population, c)][0] >= high:
                        everyone[c] = "the category is proven equal to the total"
                if covering and len(possible) == 1:
                    everyone[possible[0]] = "every other category is pinned to 0"
                for category, how in sorted(everyone.items()):
                    found.append(Finding(
                        "attribute", whole, f"{whole}: {low:g}–{high:g} people, all of them {category} ({name}: {how})"
                    ))
    return found


def _period(code: str) -> periods.Period:
    return periods.parse(code, require_started=False)


def unsound(result: Attack, truth: Callable[[Quantity], int]) -> list[str]:
    """The intervals that do not hold the true count: the attacker assumed something false."""
    wrong = []
    for q, (low, high) in sorted(result.bounds.items()):
        t = truth(q)
        if not low <= t <= high:
            wrong.append(f"{q}: true {t}, derived {low:g}…{high:g}")
    return wrong


# --- The difference attack ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    report: tuple[str, str]
    cell: tuple[str, str, str]  # (table, row, column)
    before: str
    after: str

    @property
    def figure(self) -> tuple[str, ...]:
        """The figure, whichever report shows it: a commune's column of its district's report is the
        commune's own figure."""
        area, period = self.report
        table, row, column = self.cell
        return (column, period, table, row) if column.endswith("/") else (area, period, table, row, column)

    @property
    def kind(self) -> str:
        """"number" (a number became another), "mark" (a number or mark became a mark, or the reverse),
        "listing" (a row listed in one download only)."""
        if not (self.before and self.after):
            return "listing"
        return "number" if self.before[0].isdigit() and self.after[0].isdigit() else "mark"

    @property
    def is_profile(self) -> bool:
        table, row, _column = self.cell
        return table.startswith("SV_") and table not in (BY_PERIOD, EXCLUDED) and row.split(":")[0] in PROFILE

    def __str__(self) -> str:
        area, period = self.report
        table, row, column = self.cell
        place = "" if column == area else f" column {area_name(column)}"
        return (f"{area_name(area)} · {period} · {table} {row}{place}: "
                f"“{self.before or 'not listed'}” → “{self.after or 'not listed'}”")


def changes(before: Iterable[ReportView], after: Iterable[ReportView]) -> list[Change]:
    """Every cell shown differently (or listed in one download only), report by report."""
    old = {v.key: v for v in before}
    new = {v.key: v for v in after}
    found = []
    for key in sorted(set(old) | set(new)):
        a = old[key].cells if key in old else {}
        b = new[key].cells if key in new else {}
        for cell in sorted(set(a) | set(b)):
            if a.get(cell, "") != b.get(cell, ""):
                found.append(Change(key, cell, a.get(cell, ""), b.get(cell, "")))
    return found


def profile_disclosures(found: Iterable[Change]) -> list[Change]:
    """Changed profile figures, each once (the same figure in several reports counts once): a changed
    number first, then a changed mark, then a row newly listed or no longer listed."""
    seen: set[tuple[str, ...]] = set()
    unique = []
    for change in found:
        if change.is_profile and change.figure not in seen:
            seen.add(change.figure)
            unique.append(change)
    order = ("number", "mark", "listing")
    return sorted(unique, key=lambda change: order.index(change.kind))


def listing(findings: Iterable[object], limit: int = 40) -> str:
    items = [str(f) for f in findings]
    shown = "\n  ".join(items[:limit])
    more = f"\n  … and {len(items) - limit} more" if len(items) > limit else ""
    return f"\n  {shown}{more}" if items else ""
