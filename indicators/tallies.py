"""What a count gives back, and who gives it.

A count of a report section is :data:`Tallies`: ``{TallyKey(row, column): {measure: number}}``, where the
column is the ``path`` of an administrative unit — the report's own area for the "total" column, or one
of its child units. Three sources answer the same questions (:class:`TallySource`): the records counted
live (:mod:`indicators.aggregates`), the working snapshot and a release (:mod:`indicators.snapshot`).

The snapshot and the releases store rows and measures as strings (``"gbv:2"``, and the SQL aliases
``"all|persons"``): :class:`RowKey` and :class:`MeasureKey` are the one place that writes and reads those
strings, so that their shape is not a convention repeated wherever a key is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

if TYPE_CHECKING:
    from accounts.models import AdminUnit
    from indicators.periods import Period


class RowKey(NamedTuple):
    """A row of a breakdown: a dimension and one of its values (``RowKey("gbv", "2")``). ``str()`` gives
    the form stored in the snapshot and the releases, ``"gbv:2"``."""

    dimension: str
    value: str

    @classmethod
    def parse(cls, text: str) -> RowKey | None:
        """The row of a breakdown that ``text`` stores; None for a plain row (``"all"``)."""
        dimension, colon, value = text.partition(":")
        return cls(dimension, value) if colon else None

    def __str__(self) -> str:
        return f"{self.dimension}:{self.value}"


class MeasureKey(NamedTuple):
    """A measure of one row, when one scan counts every row of a breakdown (filtered aggregates): its
    SQL alias is ``"<row>|<measure>"``. A plain measure (``row`` None) is its own name."""

    row: str | None
    measure: str

    @classmethod
    def parse(cls, name: str) -> MeasureKey:
        row, bar, measure = name.rpartition("|")
        return cls(row if bar else None, measure)

    def top(self) -> MeasureKey:
        """The same count at the cell's largest trusted address (what the dominance rule needs)."""
        return self._replace(measure=f"top_{self.measure}")

    def __str__(self) -> str:
        return self.measure if self.row is None else f"{self.row}|{self.measure}"


class TallyKey(NamedTuple):
    """A cell of a live count: the row (``"all"``, or ``str(RowKey(...))``) and the area column's path."""

    row: str
    column: str


class SnapshotKey(NamedTuple):
    """A cell of the statistics snapshot: the period's code, the area's path and the row."""

    period: str
    area_path: str
    row: str


Tallies = dict[TallyKey, dict[str, Any]]


@runtime_checkable
class TallySource(Protocol):
    """What a report is built from: the records counted live (the module :mod:`indicators.aggregates`),
    the working snapshot or a release (:mod:`indicators.snapshot`). Every answer is :data:`Tallies` for
    one area and one period; ``children`` adds the area's child units as columns."""

    def survivor_tallies(self, area: AdminUnit, period: Period, *, children: bool) -> Tallies: ...

    def survivor_series(self, area: AdminUnit, period: Period) -> Tallies: ...

    def excluded_tallies(self, area: AdminUnit, period: Period) -> Tallies: ...

    def support_tallies(self, area: AdminUnit, period: Period, *, children: bool) -> Tallies: ...

    def referral_tallies(self, area: AdminUnit, period: Period, *, children: bool) -> Tallies: ...

    def livelihood_tallies(self, area: AdminUnit, period: Period, *, children: bool) -> Tallies: ...

    def address_tallies(self, area: AdminUnit, period: Period, *, children: bool) -> Tallies: ...

    def address_series(self, area: AdminUnit, period: Period) -> Tallies: ...

    def areas_with_addresses(self, area: AdminUnit) -> set[str]: ...
