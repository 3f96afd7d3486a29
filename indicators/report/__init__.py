"""A report: every indicator for one area and one period, already protected.

* :mod:`~indicators.report.model` — what a report holds (tables, rows, columns, figures);
* :mod:`~indicators.report.builder` — :func:`build_report`: figures from a tally source, laid out by the
  sections (:mod:`indicators.report.sections`, one module each, with :mod:`~indicators.report.layout`),
  protected by :mod:`indicators.disclosure`;
* :mod:`~indicators.report.cache` — :func:`get_report`, the released report a user reaches;
* :mod:`~indicators.report.rules` — the rule of protection printed in every output;
* :mod:`~indicators.report.formatting` — a figure as text.
"""

from indicators.report.builder import build_report
from indicators.report.cache import get_report
from indicators.report.formatting import format_value
from indicators.report.model import CellId, Column, Figure, Report, Row, Section, Table, TargetLine
from indicators.report.rules import RULE_TITLE, min_cell, rule_points

__all__ = [
    "RULE_TITLE",
    "CellId",
    "Column",
    "Figure",
    "Report",
    "Row",
    "Section",
    "Table",
    "TargetLine",
    "build_report",
    "format_value",
    "get_report",
    "min_cell",
    "rule_points",
]
