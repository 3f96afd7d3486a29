"""Reporting periods: a fixed set, never a free date range.

A report covers one calendar month (``2025-07``), quarter (``2025-Q3``), year (``2025``) or programme
phase (``phase1`` = 2021–2025, ``phase2`` = 2026–2030). Free ranges are refused on purpose: two
overlapping ranges could be subtracted from each other to reveal a handful of people.

The periods nest — phase → years → quarters → months — and a report's "by period" breakdown is the
level just below its own (:meth:`Period.children`).

Figures are published only for completed periods: a period is *due* once it has ended and
``INDICATORS_RELEASE_LAG_DAYS`` more days have passed (:meth:`Period.is_due`), and ``indicators_refresh``
then releases it, once (see :mod:`indicators.services`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# National Target Program 1719: 2021–2030, in two phases.
PHASES: dict[str, tuple[int, int]] = {"phase1": (2021, 2025), "phase2": (2026, 2030)}
FIRST_YEAR = 2021
LAST_YEAR = 2030

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


class InvalidPeriod(ValueError):
    """A period code that is not one of the fixed periods; the message is for the user."""


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    kind: str  # "month", "quarter", "year", "phase"
    code: str

    @property
    def label(self) -> str:
        year = self.start.year
        if self.kind == "phase":
            number = ROMAN[int(self.code[-1])]
            return str(
                _("Phase %(number)s (%(first)s–%(last)s)")
                % {"number": number, "first": year, "last": self.end.year}
            )
        if self.kind == "year":
            return str(_("Year %(year)s") % {"year": year})
        if self.kind == "quarter":
            return str(
                _("Quarter %(quarter)s/%(year)s")
                % {"quarter": ROMAN[(self.start.month - 1) // 3 + 1], "year": year}
            )
        return str(_("Month %(month)s/%(year)s") % {"month": self.start.month, "year": year})

    @property
    def short_label(self) -> str:
        """For chart axes: "2025", "Q3", "T7" (tháng)."""
        if self.kind in ("phase", "year"):
            return self.code if self.kind == "year" else self.label
        if self.kind == "quarter":
            return f"Q{(self.start.month - 1) // 3 + 1}"
        return str(_("M%(month)s") % {"month": self.start.month})

    @property
    def dhis2(self) -> str | None:
        """The DHIS2 period identifier; DHIS2 has no five-year period, so a phase has none."""
        if self.kind == "year":
            return f"{self.start.year}"
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "month":
            return f"{self.start.year}{self.start.month:02d}"
        return None

    def children(self) -> list[Period]:
        """The periods one level down (years of a phase, quarters of a year, months of a quarter)."""
        if self.kind == "phase":
            return [year(y) for y in range(self.start.year, self.end.year + 1)]
        if self.kind == "year":
            return [quarter(self.start.year, q) for q in range(1, 5)]
        if self.kind == "quarter":
            return [month(self.start.year, m) for m in range(self.start.month, self.start.month + 3)]
        return []

    @property
    def child_kind(self) -> str | None:
        return {"phase": "year", "year": "quarter", "quarter": "month"}.get(self.kind)

    def has_started(self, today: dt.date | None = None) -> bool:
        return self.start <= (today or timezone.localdate())

    def published_after(self, lag_days: int | None = None) -> dt.date:
        """The last day before the period's figures may be published: its end and the release lag.
        The period is due from the next day ("published after dd/mm/yyyy")."""
        return self.end + dt.timedelta(days=release_lag_days() if lag_days is None else lag_days)

    def is_due(self, today: dt.date | None = None, *, lag_days: int | None = None) -> bool:
        return (today or timezone.localdate()) > self.published_after(lag_days)

    def __str__(self) -> str:
        return self.code


def release_lag_days() -> int:
    return int(getattr(settings, "INDICATORS_RELEASE_LAG_DAYS", 15))


def _last_day(year_: int, month_: int) -> dt.date:
    following = dt.date(year_ + (month_ == 12), month_ % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def month(year_: int, month_: int) -> Period:
    return Period(dt.date(year_, month_, 1), _last_day(year_, month_), "month", f"{year_}-{month_:02d}")


def quarter(year_: int, number: int) -> Period:
    first = 3 * (number - 1) + 1
    return Period(dt.date(year_, first, 1), _last_day(year_, first + 2), "quarter", f"{year_}-Q{number}")


def year(year_: int) -> Period:
    return Period(dt.date(year_, 1, 1), dt.date(year_, 12, 31), "year", f"{year_}")


def phase(code: str) -> Period:
    first, last = PHASES[code]
    return Period(dt.date(first, 1, 1), dt.date(last, 12, 31), "phase", code)


_YEAR = re.compile(r"(?P<year>\d{4})")
_QUARTER = re.compile(r"(?P<year>\d{4})-Q(?P<quarter>[1-4])")
_MONTH = re.compile(r"(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])")


def parse(raw: object, *, require_started: bool = True, today: dt.date | None = None) -> Period:
    """The period for a code such as ``2025``, ``2025-Q3``, ``2025-07`` or ``phase1``.

    Raises :class:`InvalidPeriod` with a message for the user for anything else, for years outside the
    programme (2021–2030) and — unless ``require_started`` is false, as for plan targets — for a period
    that has not begun.
    """
    text = str(raw or "").strip()
    result: Period | None = None
    if text in PHASES:
        result = phase(text)
    elif match := _YEAR.fullmatch(text):
        result = year(int(match["year"])) if FIRST_YEAR <= int(match["year"]) <= LAST_YEAR else None
    elif match := _QUARTER.fullmatch(text):
        result = (
            quarter(int(match["year"]), int(match["quarter"]))
            if FIRST_YEAR <= int(match["year"]) <= LAST_YEAR
            else None
        )
    elif match := _MONTH.fullmatch(text):
        result = (
            month(int(match["year"]), int(match["month"]))
            if FIRST_YEAR <= int(match["year"]) <= LAST_YEAR
            else None
        )
    if result is None:
        raise InvalidPeriod(
            _(
                "Unknown reporting period. Choose a month (2025-07), a quarter (2025-Q3), a year (2025) or a "
                "programme phase (phase1), between 2021 and 2030."
            )
        )
    if require_started and not result.has_started(today):
        raise InvalidPeriod(_("This period has not started yet; choose one that has."))
    return result


def current_year(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return year(min(max(today.year, FIRST_YEAR), LAST_YEAR))


def every() -> list[Period]:
    """Every fixed period of the programme: phases, years, quarters and months of 2021–2030."""
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    return [
        *(phase(code) for code in PHASES),
        *(year(y) for y in years),
        *(quarter(y, q) for y in years for q in range(1, 5)),
        *(month(y, m) for y in years for m in range(1, 13)),
    ]


def due(today: dt.date | None = None) -> list[Period]:
    """The fixed periods whose figures may be published today."""
    today = today or timezone.localdate()
    return [period for period in every() if period.is_due(today)]


KINDS = ("phase", "year", "quarter", "month")


def choices(offered: Iterable[Period]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The periods offered, grouped for a ``<select>``: phases, years, quarters, months, newest first
    within each group; a group with nothing to offer is left out."""
    titles = {
        "phase": _("Programme phase"),
        "year": _("Year"),
        "quarter": _("Quarter"),
        "month": _("Month"),
    }
    by_kind: dict[str, list[Period]] = {kind: [] for kind in KINDS}
    for period in offered:
        by_kind[period.kind].append(period)
    return [
        (str(titles[kind]), [(p.code, p.label) for p in sorted(by_kind[kind], reverse=True)])
        for kind in KINDS
        if by_kind[kind]
    ]
