"""What the report sections lay their tables out with: the cells of one report before protection,
and the tables every section makes (people by area, counts shown as they are).

A cell is made from the measures a :class:`~indicators.tallies.TallySource` gives for one row and one
column: :func:`people_cell`, :func:`events_cell` and :func:`magnitude_cell` say how each kind of figure
is protected (:mod:`indicators.disclosure`).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.models import AdminUnit
from indicators import aggregates, areas
from indicators.catalogue import Unit
from indicators.disclosure import Cell, Kind
from indicators.periods import Period
from indicators.report.model import CellId, Column, Row, Table
from indicators.tallies import RowKey, Tallies, TallyKey, TallySource


class Cells:
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


def people_cell(measures: dict[str, Any] | None) -> Cell:
    """A count of people, from the measures of a row: the count, its cell key, its largest address."""
    measures = measures or {}
    return Cell(
        int(measures.get("persons") or 0),
        Kind.PERSONS,
        key=int(measures.get("key") or 0),
        top=int(measures.get("top_persons") or 0),
        measure="persons",
    )


def events_cell(measures: dict[str, Any] | None, name: str) -> Cell:
    """A count of services or referrals: keyed by the people they are about, noised as ``name``."""
    measures = measures or {}
    return Cell(
        int(measures.get(name) or 0),
        Kind.EVENTS,
        key=int(measures.get("key") or 0),
        top=int(measures.get(f"top_{name}") or 0),
        measure=name,
    )


def magnitude_cell(measures: dict[str, Any] | None, name: str) -> Cell:
    measures = measures or {}
    return Cell(int(measures.get(name) or 0), Kind.MAGNITUDE, key=int(measures.get("key") or 0), measure=name)


def public_cell(measures: dict[str, Any] | None, name: str) -> Cell:
    """A count that is not of people (trusted addresses, partners, models): shown as it is."""
    return Cell(int((measures or {}).get(name) or 0), Kind.PUBLIC)


def all_row(label: str, indicator: str = "") -> Row:
    return Row("all", label, indicator=indicator, is_total=True)


def breakdown_rows(dimension: str, labels: list[tuple[str, str]], *, depth: int = 0) -> list[Row]:
    """One row per value of a breakdown (``labels`` as :func:`aggregates.dimension_labels` gives them)."""
    return [Row(str(RowKey(dimension, value)), label, depth=depth) for value, label in labels]


def measure_table(
    code: str, title: str, unit: Unit, rows: list[Row], columns: list[tuple[str, str, Unit]], note: str = ""
) -> Table:
    """A table of measures of the area as a whole, one column per (measure, label, unit)."""
    return Table(code, title, unit, rows, [Column(name, label, unit=unit) for name, label, unit in columns], note=note)


class Layout:
    """One report being laid out: its area columns, its cells before protection, and what the
    sections note about them (headline indicators, rates to work out after protection)."""

    def __init__(
        self, area: AdminUnit, period: Period, children: list[AdminUnit], province: AdminUnit,
        source: TallySource, k: int,
    ) -> None:
        self.area, self.period, self.children = area, period, children
        self.province, self.k = province, k
        self.source = source
        self.system = Cells()
        self.total = Column(area.path, str(_("Total")), areas.key_of(area), is_total=True)
        self.columns = [self.total] + [Column(c.path, c.name, areas.key_of(c)) for c in children]
        self.indicator_cells: dict[str, CellId] = {}
        self.labels = aggregates.dimension_labels()
        self._province_survivors: dict[str, dict[str, Any]] | None = None
        # Rates worked out from shown counts after protection: (rate, numerator, denominator).
        self.rates: list[tuple[CellId, CellId, CellId]] = []

    def province_survivors(self, tallies: Tallies) -> dict[str, dict[str, Any]]:
        """The survivor rows of the whole province in the period (``tallies`` when this is the province's
        own report), by row."""
        if self._province_survivors is None:
            if self.province != self.area:
                tallies = self.source.survivor_tallies(self.province, self.period, children=False)
            self._province_survivors = {
                row: measures for (row, column), measures in tallies.items() if column == self.province.path
            }
        return self._province_survivors

    def of_area(self, tallies: Tallies, row: Row) -> dict[str, Any]:
        """The measures of ``row`` for the area as a whole (the total column)."""
        return tallies.get(TallyKey(row.key, self.total.key), {})

    # A table of people: rows × area columns, with the "all" row shared by every table of a population.
    def people_table(
        self,
        code: str,
        title: str,
        tallies: Tallies,
        rows: list[Row],
        *,
        population: str,
        unit: Unit = Unit.PEOPLE,
        note: str = "",
    ) -> Table:
        table = Table(code, title, unit, rows, self.columns, note=note)
        for row in rows:
            for column in self.columns:
                cell_id = CellId(population if row.is_total else code, row.key, column.key)
                if cell_id not in self.system.cells:
                    self.system.put(cell_id, people_cell(tallies.get(TallyKey(row.key, column.key))), unit)
                table.cells[(row.key, column.key)] = cell_id
        return table

    def public_table(
        self,
        code: str,
        title: str,
        tallies: Tallies,
        rows: list[Row],
        unit: Unit,
        measure: str = "count",
        columns: list[Column] | None = None,
    ) -> Table:
        columns = columns or self.columns
        table = Table(code, title, unit, rows, columns)
        for row in rows:
            for column in columns:
                found = tallies.get(TallyKey(row.key, column.key))
                table.cells[(row.key, column.key)] = self.system.put(
                    CellId(code, row.key, column.key), public_cell(found, measure), unit
                )
        return table

    def note_indicator(self, code: str, cell_id: CellId) -> None:
        self.indicator_cells[code] = cell_id
