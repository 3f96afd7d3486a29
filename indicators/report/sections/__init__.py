"""The report's sections, one module each, in the order they are printed (after "I. Targets and
results"). Each lays out its tables with a :class:`~indicators.report.layout.Layout`: ``section(b,
children)`` asks the tally source for its figures, puts their cells and notes its headline indicators."""

from __future__ import annotations

from collections.abc import Callable

from indicators.report.layout import Layout
from indicators.report.model import Section
from indicators.report.sections import addresses, livelihood, referrals, support, survivors

SECTIONS: tuple[Callable[[Layout, bool], Section], ...] = (
    addresses.section,
    survivors.section,
    support.section,
    referrals.section,
    livelihood.section,
)
