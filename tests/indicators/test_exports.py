"""Downloads: formula-safe text, the printed report's narrow tables, and CSV and XLSX files whose figures
are numbers that a spreadsheet can add up, with a flag beside each protected one."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction
from openpyxl import load_workbook
from openpyxl.cell import Cell

from indicators import exports, periods
from indicators.catalogue import Unit
from indicators.report import Column, Report, Row, Table, build_report
from indicators.services import plan_target_set
from tests.indicators.dataset import World, build_world, generate


def test_text_that_a_spreadsheet_would_run_as_a_formula_gets_an_apostrophe():
    for text in ("=1+1", "+84 912", "-5", "@SUM(A1)", "\t=x", "\r=x"):
        assert exports.safe_text(text) == "'" + text
    for text in ("<5", "×", "Xã Hiếu", "12"):
        assert exports.safe_text(text) == text


def test_an_area_table_wider_than_a_printed_page_keeps_its_total_column(cast):
    report = build_report(cast.province, periods.current_year())
    columns = [Column("p/", "Tổng số", "p62", is_total=True)] + [
        Column(f"p/d{n}/", f"Huyện {n}", f"d{n}") for n in range(10)]
    table = Table("SV_SEX", "By sex", Unit.PEOPLE, [Row("all", "All")], columns)
    wide = exports.table_view(report, table, max_columns=exports.PDF_MAX_COLUMNS)
    assert wide["narrowed"] and [c.label for c in wide["columns"]] == ["Tổng số"]
    assert not exports.table_view(report, table)["narrowed"]
    narrow = Table("SV_SEX", "By sex", Unit.PEOPLE, [Row("all", "All")], columns[:4])
    assert not exports.table_view(report, narrow, max_columns=exports.PDF_MAX_COLUMNS)["narrowed"]


def test_the_printed_bars_give_no_length_to_a_hidden_figure():
    from indicators import charts
    from indicators.disclosure import Mark
    from indicators.report import Figure

    shown = Figure(12, "12", Mark.SHOWN, Unit.PEOPLE)
    small = Figure(None, "<5", Mark.SMALL, Unit.PEOPLE)
    chart = charts.bar_chart("Theo địa bàn", [charts.Bar("Xã Một", shown), charts.Bar("Xã Hai", small)])
    assert chart is not None
    assert [(bar.label, bar.text, bar.percent) for bar in chart.printed] == [
        ("Xã Một", "12", 100.0),
        ("Xã Hai", "<5", None),
    ]
    assert chart.printed[1].hidden


def test_the_pdf_draws_the_bar_charts_as_html_with_fixed_width_tables(cast):
    from django.template.loader import render_to_string

    from tests.indicators.builders import three_rapes

    three_rapes(cast)
    report = build_report(cast.district, periods.current_year())
    context = exports.report_context(report, max_columns=exports.PDF_MAX_COLUMNS)
    html = render_to_string("indicators/pdf/report.html", context)
    assert '<table class="bars">' in html and 'class="bar-fill"' in html
    assert exports.to_pdf(report).startswith(b"%PDF")


# --- CSV and XLSX: numbers a spreadsheet can add up, and a flag beside each protected figure -----------

# The generated programme's province: in 2026 with k = 2, its report shows counts, amounts in VND, median
# hours and completion rates, and protects others ("<2", "×"); in 2025 with k = 5, its plan targets are
# achieved and shown, protected ("×"), or have nothing to compute ("–": a target of 0).
TARGETS = [("SV_NEW", 40), ("SP_SHELTER", 10), ("TA_NEW", 0), ("RF_SENT", 1_000_000)]
UNSAFE_SOURCE = '=HYPERLINK("http://x.invalid","Kế hoạch")'


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker) -> Iterator[World]:
    """One generated programme for the module (as in test_correctness), with plan targets for the
    province in 2025, rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world(generate())
        for indicator, target in TARGETS:
            plan_target_set(area=world.province, indicator=indicator, period="2025", target=target, by=None,
                            source=UNSAFE_SOURCE)
        yield world
        transaction.set_rollback(True)


@pytest.fixture
def report(built: World, db) -> Report:  # type: ignore[no-untyped-def]
    return build_report(built.province, periods.parse("2026"), k=2)


@pytest.fixture
def targeted(built: World, db) -> Report:  # type: ignore[no-untyped-def]
    return build_report(built.province, periods.parse("2025"), k=5)


def _xlsx_rows(report: Report) -> list[list[Cell]]:
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(report)))
    return [list(row) for sheet in workbook for row in sheet.iter_rows()]


def _csv_rows(report: Report) -> list[list[str]]:
    return list(csv.reader(io.StringIO(exports.to_csv(report).decode("utf-8-sig"))))


def _block(rows: list[list[Any]], title: str, size: int, text: Callable[[Any], str]) -> tuple[list[str], list]:
    """The header and the ``size`` rows of the block titled ``title`` (followed by its header row)."""
    start = next(
        n for n, row in enumerate(rows) if row and text(row[0]) == title and len(rows[n + 1]) > 1
    )
    return [text(cell) for cell in rows[start + 1]], rows[start + 2 : start + 2 + size]


def _xlsx_text(cell: Cell) -> str:
    return "" if cell.value is None else str(cell.value)


def _xlsx_number(cell: Cell) -> int | float | None:
    """A value cell: empty, or a number typed as a number."""
    if cell.value is None:
        return None
    assert cell.data_type == "n" and isinstance(cell.value, int | float), (cell.coordinate, cell.value)
    return cell.value


def _csv_number(text: str) -> int | float | None:
    """A value cell: empty, or a plain number (no grouping, a point before decimals)."""
    if text == "":
        return None
    assert re.fullmatch(r"-?\d+(\.\d+)?", text), text
    return float(text) if "." in text else int(text)


def _figure_columns(table: Table) -> list[str]:
    return [text for column in table.columns for text in (column.label, exports.flag_header())]


def test_every_figure_of_the_xlsx_is_a_number_or_an_empty_cell_with_its_flag_beside(report):
    rows = _xlsx_rows(report)
    seen_flags, seen_formats = Counter(), Counter()
    for table in report.tables():
        header, body = _block(rows, table.title, len(table.rows), _xlsx_text)
        assert header[: 2 + 2 * len(table.columns)] == ["Chỉ tiêu", "Mã", *_figure_columns(table)]
        for row, line in zip(table.rows, body, strict=True):
            assert line[0].value.strip() == row.label
            for index, column in enumerate(table.columns):
                value, flag = line[2 + 2 * index], line[3 + 2 * index]
                cell_id = table.cell(row.key, column.key)
                figure = report.figure(cell_id) if cell_id else None
                where = (table.code, row.key, column.label)
                if figure is None or figure.value is None:
                    assert value.value is None, where
                    assert _xlsx_text(flag) == (figure.text if figure else ""), where
                    seen_flags[_xlsx_text(flag)] += 1
                    continue
                number = _xlsx_number(value)
                expected = exports.number(figure)
                if figure.unit is Unit.PERCENT:
                    assert number == pytest.approx(expected / 100), where
                else:
                    assert number == expected, where
                assert flag.value is None, where
                seen_formats[(figure.unit, value.number_format)] += 1
    # The report has every kind of cell, each written as it should be.
    assert {"<2", "×", ""} <= set(seen_flags), seen_flags
    assert {unit for unit, _format in seen_formats} >= {Unit.PEOPLE, Unit.VND, Unit.HOURS, Unit.PERCENT}
    assert {fmt for unit, fmt in seen_formats if unit is Unit.VND} == {"#,##0"}
    assert {fmt for unit, fmt in seen_formats if unit is Unit.PEOPLE} == {"#,##0"}
    assert {fmt for unit, fmt in seen_formats if unit is Unit.HOURS} == {"#,##0.0"}
    assert {fmt for unit, fmt in seen_formats if unit is Unit.PERCENT} == {"0%"}


def test_every_figure_of_the_csv_is_a_plain_number_or_empty_with_its_flag_beside(report):
    rows = _csv_rows(report)
    seen_flags = Counter()
    for table in report.tables():
        header, body = _block(rows, table.title, len(table.rows), str)
        assert header[: 2 + 2 * len(table.columns)] == ["Chỉ tiêu", "Mã", *_figure_columns(table)]
        for row, line in zip(table.rows, body, strict=True):
            assert line[0].strip() == row.label
            for index, column in enumerate(table.columns):
                value, flag = line[2 + 2 * index], line[3 + 2 * index]
                cell_id = table.cell(row.key, column.key)
                figure = report.figure(cell_id) if cell_id else None
                where = (table.code, row.key, column.label)
                if figure is None or figure.value is None:
                    assert (value, flag) == ("", figure.text if figure else ""), where
                    seen_flags[flag] += 1
                else:
                    assert (_csv_number(value), flag) == (exports.number(figure), ""), where
    assert {"<2", "×", ""} <= set(seen_flags), seen_flags


def _area_column(report: Report, table_code: str) -> tuple[Table, int]:
    """A table and the index of its first district column that has a protected figure and shown ones."""
    table = next(t for t in report.tables() if t.code == table_code)
    for index, column in enumerate(table.columns):
        figures = [report.figure(table.cell(row.key, column.key)) for row in table.rows]
        if not column.is_total and any(f.value is None for f in figures) and any(f.value for f in figures):
            return table, index
    raise AssertionError(f"no district column of {table_code} with shown and protected figures")


def test_a_column_of_the_xlsx_adds_up_to_the_figures_it_shows(targeted):
    """SUM() of a column takes every shown figure (numbers, not text) and nothing else: the protected
    cells are empty, their marks are in the next column."""
    report = targeted
    table, index = _area_column(report, "SV_AGE")
    _header, body = _block(_xlsx_rows(report), table.title, len(table.rows), _xlsx_text)
    column = table.columns[index]
    values = [line[2 + 2 * index] for line in body[1:]]  # the parts, below the "all" row
    shown = [report.figure(table.cell(row.key, column.key)) for row in table.rows[1:]]
    assert all(cell.value is None or cell.data_type == "n" for cell in values)
    assert sum(_xlsx_number(cell) or 0 for cell in values) == sum(f.value or 0 for f in shown)
    assert [_xlsx_text(line[3 + 2 * index]) for line in body[1:]] == [exports.flag(f) for f in shown]
    assert "<5" in [exports.flag(f) for f in shown]


def test_a_column_of_the_csv_adds_up_to_the_figures_it_shows(targeted):
    report = targeted
    table, index = _area_column(report, "SV_AGE")
    _header, body = _block(_csv_rows(report), table.title, len(table.rows), str)
    column = table.columns[index]
    shown = [report.figure(table.cell(row.key, column.key)) for row in table.rows[1:]]
    total = sum(float(line[2 + 2 * index]) for line in body[1:] if line[2 + 2 * index])
    assert total == sum(f.value or 0 for f in shown)
    assert [line[3 + 2 * index] for line in body[1:]] == [exports.flag(f) for f in shown]


def test_the_targets_are_numbers_with_flags_and_their_source_cannot_run_as_a_formula(targeted):
    report = targeted
    lines = {line.indicator.code: line for line in report.targets}
    assert lines["SV_NEW"].achieved.value and lines["RF_SENT"].achieved.hidden
    assert lines["TA_NEW"].percent.text == "–"  # a target of 0: nothing to compute
    block = exports.targets_block(report)
    _header, body = _block(_xlsx_rows(report), block.title, len(report.targets), _xlsx_text)
    by_code = {line[1].value: line for line in body}
    # Indicator, code, achieved, flag, target, percent, flag, source.
    new = by_code["SV_NEW"]
    assert (new[2].value, new[3].value, new[4].value) == (lines["SV_NEW"].achieved.value, None, 40)
    assert new[5].value == pytest.approx(lines["SV_NEW"].percent.value / 100)
    assert (new[5].number_format, new[6].value) == ("0%", None)
    sent = by_code["RF_SENT"]
    assert [c.value for c in sent[2:7]] == [None, "×", 1_000_000, None, "×"]
    assert sent[4].number_format == "#,##0"
    assert [c.value for c in by_code["TA_NEW"][5:7]] == [None, "–"]
    assert all(line[7].value == "'" + UNSAFE_SOURCE and line[7].data_type == "s" for line in body)
    csv_lines = {line[1]: line for line in _block(_csv_rows(report), block.title, len(report.targets), str)[1]}
    assert csv_lines["RF_SENT"][2:7] == ["", "×", "1000000", "", "×"]
    assert csv_lines["SV_NEW"][2:7] == [str(lines["SV_NEW"].achieved.value), "", "40",
                                        str(lines["SV_NEW"].percent.value), ""]
    assert csv_lines["SV_NEW"][7] == "'" + UNSAFE_SOURCE


def test_the_first_sheet_explains_the_flags_in_vietnamese_and_its_facts_are_numbers(targeted):
    report = targeted
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(report)))
    sheet = workbook.worksheets[0]
    assert sheet.title == "Tổng hợp"
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    start = next(n for n, row in enumerate(values) if row[0] == "Cách đọc số liệu")
    assert values[start + 1][:2] == ["Ký hiệu", "Ý nghĩa"]
    legend = {row[0]: row[1] for row in values[start + 2 : start + 5]}
    assert legend == {
        "<5": "Dưới 5 người, có thể không có ai.",
        "×": "Bị ẩn để không thể suy ra bất kỳ người nào hay riêng một địa chỉ tin cậy nào.",
        "–": "Không có gì để tính: chưa đặt chỉ tiêu, hoặc không có số liệu để đo.",
    }
    note = values[start + 5][0]
    assert "“Ký hiệu”" in note and "SUM()" in note and "tổng" in note
    facts = {row[0]: row[1:3] for row in values[1:start] if row[0]}
    assert facts["Số người nhỏ nhất được hiển thị"] == [5, None]
    excluded = report.excluded
    left_out = facts["Hồ sơ mới không được tính (chưa đồng ý cho thống kê)"]
    assert left_out == [excluded.value, exports.flag(excluded) or None]
    csv_text = exports.to_csv(report).decode("utf-8-sig")
    assert "Cách đọc số liệu" in csv_text and "Dưới 5 người, có thể không có ai." in csv_text
