"""What a report holds: its tables, rows and columns, and each figure as every output shows it.

Cells are named by :class:`CellId` (table, row, column); the true figures are kept for protection and
tests and never shown: an output reads :meth:`Report.figure`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils import formats
from django.utils.translation import gettext as _

from accounts.models import AdminUnit
from indicators import areas, catalogue
from indicators.catalogue import Group, Unit
from indicators.disclosure import Cell, Mark, Protected
from indicators.periods import Period
from indicators.report.formatting import format_value
from indicators.report.rules import rule_points


class CellId(NamedTuple):
    """A cell of a report: the table's code, the row's key and the column's key."""

    table: str
    row: str
    column: str


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
