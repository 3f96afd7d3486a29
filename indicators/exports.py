"""Downloads of a report: CSV, XLSX and PDF, laid out like the dashboard.

Every cell comes from :meth:`Report.figure`. In the CSV and XLSX files a column of figures holds numbers
only, so that a spreadsheet can add it up: a figure that may not be shown leaves its cell empty, and the
narrow flag column beside it says why ("<k", "×", or "–" where there is nothing to compute) — the
observation-status flag of statistics offices (SDMX ``OBS_STATUS``), rather than a cell note, which
neither CSV nor a screen reader carries and a filter or a sort cannot see. A legend on the first sheet
explains the flags. Text that a spreadsheet could take for a formula (it starts with = + - @, a tab or a
carriage return) is written with a leading apostrophe, and XLSX cells holding text are typed as text.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import formats
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from indicators import catalogue, charts
from indicators.catalogue import Unit
from indicators.report import RULE_TITLE, Figure, Report, Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
Value = str | int | float | None
# "–": the figure cannot be computed (no target set, no referral accepted); not a protected figure.
NOTHING = "–"


def safe_text(value: object) -> str:
    """Text that no spreadsheet will run as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def flag(figure: Figure | None) -> str:
    """What stands in the flag column beside a figure: empty where the number is shown, otherwise the
    figure's mark ("<k", "×") or "–"."""
    if figure is None or figure.value is not None:
        return ""
    return figure.text


def flag_header() -> str:
    return _("Flag")


@dataclass
class Block:
    """A titled table of a sheet. The columns listed in ``figures`` hold :class:`Figure` (or None where
    the table has no such cell); each is written as a value column followed by its flag column."""

    title: str
    header: list[str]
    rows: list[list[Value | Figure]] = field(default_factory=list)
    note: str = ""
    figures: frozenset[int] = frozenset()
    # Long text that runs on over the empty cells to its right, without widening its XLSX column.
    overflows: bool = False

    def spread(self) -> Spread:
        """The block with a flag column after every column of figures."""
        header: list[str] = []
        flags: set[int] = set()
        for index, text in enumerate(self.header):
            header.append(text)
            if index in self.figures:
                flags.add(len(header))
                header.append(flag_header())
        rows = []
        for row in self.rows:
            cells: list[Value | Figure] = []
            for index, value in enumerate(row):
                if index not in self.figures:
                    cells.append(value)
                elif isinstance(value, Figure):
                    cells += [value if value.value is not None else None, flag(value)]
                else:
                    cells += [value, ""]
            rows.append(cells)
        return Spread(header, rows, frozenset(flags))


@dataclass(frozen=True)
class Spread:
    """A block as written to a file: a figure cell holds a :class:`Figure` whose value is shown, or None
    (empty) with the flag in the next column."""

    header: list[str]
    rows: list[list[Value | Figure]]
    flags: frozenset[int]  # indexes of the flag columns


def number(figure: Figure) -> int | float:
    """A shown figure as the number the dashboard shows: hours to one decimal, everything else whole
    (a percentage as its number of percent)."""
    if figure.value is None:
        raise ValueError("a figure that may not be shown has no number; write its flag")
    if figure.unit is Unit.HOURS:
        return round(float(figure.value), 1)
    return int(figure.value)


def title(report: Report) -> str:
    return _("Project 8 indicators: %(area)s, %(period)s") % {
        "area": report.area.name,
        "period": report.period.label,
    }


def facts(report: Report) -> list[tuple[str, str]]:
    return [(label, value.text if isinstance(value, Figure) else str(value)) for label, value in _facts(report)]


def _facts(report: Report) -> list[tuple[str, str | int | Figure]]:
    return [
        (_("Area"), f"{report.area.name} ({report.area_key})"),
        (_("Period"), f"{report.period.label} ({report.period.start:%d/%m/%Y}–{report.period.end:%d/%m/%Y})"),
        *([(_("Release"), report.release_note)] if report.release_note else []),
        (_("Smallest count of people shown"), report.k),
        (_("New cases left out (no consent to statistics)"), report.excluded),
        (_("Figures as of"), formats.date_format(report.figures_as_of, "DATETIME_FORMAT")),
        (_("Generated"), formats.date_format(report.generated_at, "DATETIME_FORMAT")),
    ]


def table_block(report: Report, table: Table) -> Block:
    header = [_("Indicator"), _("Code"), *(column.label for column in table.columns)]
    block = Block(table.title, header, note=table.note, figures=frozenset(range(2, len(header))))
    for row in table.rows:
        label = ("  " * row.depth) + row.label
        values: list[Value | Figure] = [label, row.indicator]
        values += [
            report.figure(table.cell(row.key, column.key)) if table.cell(row.key, column.key) else None
            for column in table.columns
        ]
        block.rows.append(values)
    return block


def targets_block(report: Report) -> Block:
    block = Block(
        _("Targets and results"),
        [_("Indicator"), _("Code"), _("Achieved"), _("Target"), _("Percent"), _("Source")],
        figures=frozenset({2, 4}),
    )
    for line in report.targets:
        block.rows.append(
            [str(line.indicator.name), line.indicator.code, line.achieved, line.target, line.percent, line.source]
        )
    return block


def facts_block(report: Report) -> Block:
    """The report's title and facts; the smallest count shown and the cases left out are numbers."""
    rows: list[list[Value | Figure]] = [[label, value] for label, value in _facts(report)]
    return Block(title(report), ["", ""], rows, figures=frozenset({1}))


def legend_block(report: Report) -> Block:
    """What the flags mean, in the language of the file."""
    return Block(
        _("How to read the figures"),
        [flag_header(), _("Meaning")],
        [
            [f"<{report.k}", _("Fewer than %(k)s people, perhaps none.") % {"k": report.k}],
            ["×", _("Hidden so that no person or single trusted address can be worked out.")],
            [NOTHING, _("Nothing to compute: no target is set, or nothing was counted to measure.")],
        ],
        overflows=True,
        note=_(
            "Every figure is a number. Where a figure is protected or cannot be computed, its cell is "
            "left empty and the “%(flag)s” column beside it says why; SUM() counts an empty cell as "
            "nothing. Figures are protected and a person can be counted in several parts, so a total "
            "may differ slightly from the sum of its parts: use the totals given."
        )
        % {"flag": flag_header()},
    )


def rule_block(report: Report) -> Block:
    return Block(str(RULE_TITLE), [""], [[point] for point in report.rule_points])


def definitions_block() -> Block:
    block = Block(
        _("Indicator definitions"),
        [
            _("Code"),
            _("Name (Vietnamese)"),
            _("Name (English)"),
            _("Unit"),
            _("Definition"),
            _("Broken down by"),
        ],
    )
    for indicator in catalogue.INDICATORS:
        block.rows.append(
            [
                indicator.code,
                indicator.name_vi,
                indicator.name_en,
                indicator.unit.label,
                str(indicator.definition),
                ", ".join(str(b) for b in indicator.breakdowns),
            ]
        )
    return block


def blocks(report: Report) -> list[tuple[str, list[Block]]]:
    """(sheet name, blocks) in report order."""
    sheets = [
        (
            _("Summary"),
            [facts_block(report), legend_block(report), targets_block(report)],
        )
    ]
    for section in report.sections:
        sheets.append((section.title, [table_block(report, table) for table in section.tables]))
    sheets.append((_("Rules"), [rule_block(report), definitions_block()]))
    return sheets


# --- CSV ------------------------------------------------------------------------------------------------


def to_csv(report: Report) -> bytes:
    """All tables one after the other, laid out as in the XLSX file (a flag column after each column of
    figures, see :class:`Block`), UTF-8 with a byte-order mark (so spreadsheet programs read the
    Vietnamese correctly). Numbers are written plainly: no thousands separator, a point before decimals."""
    out = io.StringIO()
    writer = csv.writer(out)
    for _sheet, sheet_blocks in blocks(report):
        for block in sheet_blocks:
            spread = block.spread()
            writer.writerow([safe_text(block.title)])
            if any(block.header):
                writer.writerow([safe_text(h) for h in spread.header])
            for row in spread.rows:
                writer.writerow([_csv_value(v) for v in row])
            if block.note:
                writer.writerow([safe_text(block.note)])
            writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_value(value: Value | Figure) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, Figure):
        return number(value)
    return safe_text(value) if isinstance(value, str) else value


# --- XLSX -----------------------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="F3F0F1")
# Number formats: thousands grouped (the reader's spreadsheet shows its own separator), hours to one
# decimal, and percentages stored as fractions, so that a cell showing 3% computes as 3%.
COUNT_FORMAT = "#,##0"
NUMBER_FORMATS = {Unit.HOURS: "#,##0.0", Unit.PERCENT: "0%"}
FLAG_WIDTH = 9


def to_xlsx(report: Report) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet_name, sheet_blocks in blocks(report):
        sheet = workbook.create_sheet(_sheet_title(sheet_name))
        line = 1
        widths: dict[int, int] = {}
        flag_columns: set[int] = set()
        for block in sheet_blocks:
            spread = block.spread()
            flag_columns |= {index + 1 for index in spread.flags}
            _write(sheet, line, 1, block.title).font = Font(bold=True, size=12)
            line += 1
            if any(block.header):
                for index, text in enumerate(spread.header, start=1):
                    cell = _write(sheet, line, index, text)
                    cell.font, cell.fill = Font(bold=True), HEADER_FILL
                    widths[index] = max(widths.get(index, 0), len(str(text)))
                line += 1
            for row in spread.rows:
                for index, value in enumerate(row, start=1):
                    if isinstance(value, Figure):
                        cell = _write_figure(sheet, line, index, value)
                        width = len(value.text)
                    else:
                        cell = _write(sheet, line, index, value)
                        width = len(str(value or ""))
                        if index - 1 in spread.flags:
                            cell.alignment = Alignment(horizontal="center")
                    if not block.overflows:
                        widths[index] = max(widths.get(index, 0), width)
                line += 1
            if block.note:
                _write(sheet, line, 1, block.note).font = Font(italic=True)
                line += 1
            line += 1
        for index, width in widths.items():
            # A flag column stays narrow whatever else shares it: it holds "<5", "×" or "–".
            width = FLAG_WIDTH if index in flag_columns else min(max(width + 2, 8), 60)
            sheet.column_dimensions[get_column_letter(index)].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write_figure(sheet: Worksheet, row: int, column: int, figure: Figure) -> Cell:
    cell = sheet.cell(row=row, column=column)
    value = number(figure)
    cell.value = value / 100 if figure.unit is Unit.PERCENT else value
    cell.number_format = NUMBER_FORMATS.get(figure.unit, COUNT_FORMAT)
    return cell


def _write(sheet: Worksheet, row: int, column: int, value: Value) -> Cell:
    cell = sheet.cell(row=row, column=column)
    if value is None or value == "":  # an empty flag: no cell at all
        return cell
    if isinstance(value, str):
        cell.value = safe_text(value)
        cell.data_type = "s"  # never a formula, whatever the text
    else:
        cell.value, cell.number_format = value, COUNT_FORMAT
    return cell


def _sheet_title(name: str) -> str:
    for char in "[]:*?/\\":
        name = name.replace(char, " ")
    return name[:31]


# --- PDF ------------------------------------------------------------------------------------------------


# The figures a programme officer looks for first.
KEY_FIGURES = (
    "SV_NEW",
    "TA_TOTAL",
    "TA_NEW",
    "TA_ACTIVE",
    "SP_SHELTER",
    "RF_SENT",
    "LV_BENEFICIARIES",
    "LV_MODELS",
)


# A printed A4 page holds this many columns of figures; wider area tables print their total column only
# (every column is in the XLSX and CSV files, and the charts show the areas).
PDF_MAX_COLUMNS = 8


def report_context(report: Report, *, max_columns: int | None = None) -> dict[str, object]:
    section_charts = charts.section_charts(report)
    return {
        "report": report,
        "title": title(report),
        "facts": facts(report),
        "sections": [
            (
                section,
                section_charts.get(section.group.value, []),
                [table_view(report, table, max_columns=max_columns) for table in section.tables],
            )
            for section in report.sections
        ],
        "targets_chart": charts.summary_chart(report),
        "indicators": catalogue.INDICATORS,
        "key_figures": [(catalogue.get(code), report.indicator(code)) for code in KEY_FIGURES],
        "rule_title": RULE_TITLE,
    }


def table_view(report: Report, table: Table, *, max_columns: int | None = None) -> dict[str, object]:
    """A table ready for a template: its columns and, per row, the figures (``rows``) or the (column,
    figure) pairs (``cells``, for the phone's stacked rows, where each figure carries its column's
    label). With ``max_columns``, an area table wider than that keeps its total column only."""
    columns = table.columns
    narrowed = bool(max_columns and len(columns) > max_columns and columns[0].is_total)
    if narrowed:
        columns = columns[:1]
    rows = [
        (
            row,
            [
                report.figure(table.cell(row.key, column.key)) if table.cell(row.key, column.key) else None
                for column in columns
            ],
        )
        for row in table.rows
    ]
    return {
        "table": table,
        "columns": columns,
        "narrowed": narrowed,
        "rows": rows,
        "cells": [(row, list(zip(columns, figures, strict=True))) for row, figures in rows],
    }


def to_pdf(report: Report) -> bytes:
    from core.pdf import render_pdf

    return render_pdf(render_to_string("indicators/pdf/report.html",
                                       report_context(report, max_columns=PDF_MAX_COLUMNS)))
