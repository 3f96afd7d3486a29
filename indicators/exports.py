"""Downloads of a report: CSV, XLSX and PDF, laid out like the dashboard.

Every cell comes from :meth:`Report.figure`: a number only where it may be shown, "<k" or "×"
otherwise. Text that a spreadsheet could take for a formula (it starts with = + - @, a tab or a carriage
return) is written with a leading apostrophe, and XLSX cells holding text are typed as text.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import formats
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from indicators import catalogue, charts
from indicators.report import RULE_TITLE, Figure, Report, Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
Value = str | int | float | None


def safe_text(value: object) -> str:
    """Text that no spreadsheet will run as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(figure: Figure) -> Value:
    """A number where it may be shown, the mark otherwise."""
    if figure.value is None:
        return figure.text or None
    return figure.value


@dataclass
class Block:
    title: str
    header: list[str]
    rows: list[list[Value]] = field(default_factory=list)
    note: str = ""


def title(report: Report) -> str:
    return _("Project 8 indicators: %(area)s, %(period)s") % {
        "area": report.area.name,
        "period": report.period.label,
    }


def facts(report: Report) -> list[tuple[str, str]]:
    return [
        (_("Area"), f"{report.area.name} ({report.area_key})"),
        (_("Period"), f"{report.period.label} ({report.period.start:%d/%m/%Y}–{report.period.end:%d/%m/%Y})"),
        *([(_("Release"), report.release_note)] if report.release_note else []),
        (_("Smallest count of people shown"), str(report.k)),
        (_("New cases left out (no consent to statistics)"), report.excluded.text),
        (_("Figures as of"), formats.date_format(report.figures_as_of, "DATETIME_FORMAT")),
        (_("Generated"), formats.date_format(report.generated_at, "DATETIME_FORMAT")),
    ]


def table_block(report: Report, table: Table) -> Block:
    header = [_("Indicator"), _("Code"), *(column.label for column in table.columns)]
    block = Block(table.title, header, note=table.note)
    for row in table.rows:
        label = ("  " * row.depth) + row.label
        values: list[Value] = [label, row.indicator]
        values += [
            _cell(report.figure(table.cell(row.key, column.key))) if table.cell(row.key, column.key) else None
            for column in table.columns
        ]
        block.rows.append(values)
    return block


def targets_block(report: Report) -> Block:
    block = Block(
        _("Targets and results"),
        [_("Indicator"), _("Code"), _("Achieved"), _("Target"), _("Percent"), _("Source")],
    )
    for line in report.targets:
        block.rows.append(
            [
                str(line.indicator.name),
                line.indicator.code,
                _cell(line.achieved),
                line.target,
                _cell(line.percent),
                line.source,
            ]
        )
    return block


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
            [Block(title(report), ["", ""], [list(f) for f in facts(report)]), targets_block(report)],
        )
    ]
    for section in report.sections:
        sheets.append((section.title, [table_block(report, table) for table in section.tables]))
    sheets.append((_("Rules"), [rule_block(report), definitions_block()]))
    return sheets


# --- CSV ------------------------------------------------------------------------------------------------


def to_csv(report: Report) -> bytes:
    """All tables one after the other, UTF-8 with a byte-order mark (so spreadsheet programs read the
    Vietnamese correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for _sheet, sheet_blocks in blocks(report):
        for block in sheet_blocks:
            writer.writerow([safe_text(block.title)])
            if any(block.header):
                writer.writerow([safe_text(h) for h in block.header])
            for row in block.rows:
                writer.writerow(
                    ["" if v is None else (safe_text(v) if isinstance(v, str) else v) for v in row]
                )
            if block.note:
                writer.writerow([safe_text(block.note)])
            writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- XLSX -----------------------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="F3F0F1")


def to_xlsx(report: Report) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet_name, sheet_blocks in blocks(report):
        sheet = workbook.create_sheet(_sheet_title(sheet_name))
        line = 1
        widths: dict[int, int] = {}
        for block in sheet_blocks:
            _write(sheet, line, 1, block.title).font = Font(bold=True, size=12)
            line += 1
            if any(block.header):
                for index, text in enumerate(block.header, start=1):
                    cell = _write(sheet, line, index, text)
                    cell.font, cell.fill = Font(bold=True), HEADER_FILL
                    widths[index] = max(widths.get(index, 0), len(str(text)))
                line += 1
            for row in block.rows:
                for index, value in enumerate(row, start=1):
                    cell = _write(sheet, line, index, value)
                    if isinstance(value, str) and index > 2:
                        cell.alignment = Alignment(horizontal="right")
                    widths[index] = max(widths.get(index, 0), len(str(value or "")))
                line += 1
            if block.note:
                _write(sheet, line, 1, block.note).font = Font(italic=True)
                line += 1
            line += 1
        for index, width in widths.items():
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write(sheet, row: int, column: int, value: Value):  # type: ignore[no-untyped-def]
    cell = sheet.cell(row=row, column=column)
    if value is None:
        return cell
    if isinstance(value, str):
        cell.value = safe_text(value)
        cell.data_type = "s"  # never a formula, whatever the text
    else:
        cell.value = value
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
    """A table ready for a template: its columns and, per row, the figures. With ``max_columns``, an
    area table wider than that keeps its total column only."""
    columns = table.columns
    narrowed = bool(max_columns and len(columns) > max_columns and columns[0].is_total)
    if narrowed:
        columns = columns[:1]
    return {
        "table": table,
        "columns": columns,
        "narrowed": narrowed,
        "rows": [
            (
                row,
                [
                    report.figure(table.cell(row.key, column.key)) if table.cell(row.key, column.key) else None
                    for column in columns
                ],
            )
            for row in table.rows
        ],
    }


def to_pdf(report: Report) -> bytes:
    from casework.pdf import render_pdf

    return render_pdf(render_to_string("indicators/pdf/report.html",
                                       report_context(report, max_columns=PDF_MAX_COLUMNS)))
