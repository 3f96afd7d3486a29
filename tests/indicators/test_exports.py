"""Downloads: formula-safe text, and the printed report's narrow tables."""

from __future__ import annotations

from indicators import exports, periods
from indicators.catalogue import Unit
from indicators.report import Column, Row, Table, build_report


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
