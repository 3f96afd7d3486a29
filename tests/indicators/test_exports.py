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
