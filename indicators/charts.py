"""Charts as SVG, drawn on the server: no JavaScript, no chart library. The PDF draws the horizontal bar
charts from the same bars as HTML boxes (:attr:`Chart.printed`): WeasyPrint lays out SVG text about
twice as slowly as HTML text, and those charts held half of a province report's rendering time.

Only figures that may be shown get a bar. A hidden figure gets its mark ("<5", "×") and no bar — a bar's
length would give the number away. Colours are presentation attributes (the page's CSP forbids inline
styles) and every chart has a title and a text description for screen readers.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from indicators.report import Figure, Report, Table, TargetLine
from indicators.tallies import RowKey

# Drawn for a phone's width (about 360 CSS pixels), so text keeps its size there; wider screens scale it.
WIDTH = 360
ACCENT = "#8a1538"
MUTED = "#5b5b66"
TRACK = "#ecebf0"
OK = "#1f6f43"
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, DejaVu Sans, sans-serif"'


@dataclass(frozen=True)
class PrintedBar:
    """One bar as the PDF draws it: ``percent`` of the track is filled (none for a hidden figure)."""

    label: str
    text: str
    percent: float | None
    hidden: bool = False
    reached: bool = False  # a target met (drawn in green)


@dataclass(frozen=True)
class Chart:
    """A chart: its title (shown as the figure's caption, so that it wraps), its SVG, and, for
    horizontal bars, the bars for the PDF."""

    title: str
    svg: SafeString
    printed: tuple[PrintedBar, ...] = ()


@dataclass(frozen=True)
class Bar:
    label: str
    figure: Figure


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: int = 14,
    fill: str = "#1b1b1f",
    anchor: str = "start",
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}" '
        f'font-weight="{weight}">{escape(content)}</text>'
    )


def _frame(
    title: str, height: float, body: list[str], description: str, printed: tuple[PrintedBar, ...] = ()
) -> Chart:
    ident = zlib.crc32(f"{title}|{description}".encode())
    return Chart(title, mark_safe(  # noqa: S308 - every text node above is escaped
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" role="img" '
        f'aria-labelledby="c{ident}t c{ident}d" xmlns="http://www.w3.org/2000/svg" {FONT}>'
        f'<title id="c{ident}t">{escape(title)}</title><desc id="c{ident}d">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    ), printed)


def bar_chart(title: str, bars: list[Bar]) -> Chart | None:
    """Horizontal bars, one per line (long area names wrap well on a phone)."""
    if not bars:
        return None
    shown = [bar.figure.value for bar in bars if bar.figure.value is not None]
    top = max(shown, default=0) or 1
    label_width, bar_left, bar_width = 0, 0.0, WIDTH - 64
    row, body = 44, []
    y = 0.0
    for bar in bars:
        body.append(_text(label_width, y + 14, bar.label, size=13, fill=MUTED))
        body.append(
            f'<rect x="{bar_left}" y="{y + 20:.1f}" width="{bar_width}" height="16" fill="{TRACK}" rx="3"/>'
        )
        if bar.figure.value is not None:
            length = bar_width * bar.figure.value / top
            if length > 0:
                body.append(
                    f'<rect x="{bar_left}" y="{y + 20:.1f}" width="{max(length, 2):.1f}" height="16" '
                    f'fill="{ACCENT}" rx="3"/>'
                )
        body.append(
            _text(
                WIDTH,
                y + 33,
                bar.figure.text,
                size=14,
                anchor="end",
                fill=MUTED if bar.figure.hidden else "#1b1b1f",
                weight="bold",
            )
        )
        y += row
    description = "; ".join(f"{bar.label}: {bar.figure.text}" for bar in bars)
    printed = tuple(
        PrintedBar(
            bar.label,
            bar.figure.text,
            None if bar.figure.value is None else round(100 * bar.figure.value / top, 1),
            hidden=bar.figure.hidden,
        )
        for bar in bars
    )
    return _frame(title, y + 4, body, description, printed)


def column_chart(title: str, bars: list[Bar]) -> Chart | None:
    """Vertical columns, for periods (few, short labels)."""
    if not bars:
        return None
    shown = [bar.figure.value for bar in bars if bar.figure.value is not None]
    top = max(shown, default=0) or 1
    height, plot_top, plot_bottom = 180, 14, 146
    slot = WIDTH / len(bars)
    body = [
        f'<line x1="0" y1="{plot_bottom}" x2="{WIDTH}" y2="{plot_bottom}" stroke="{TRACK}" '
        'stroke-width="2"/>',
    ]
    for index, bar in enumerate(bars):
        x = index * slot
        width = min(slot * 0.62, 40)
        left = x + (slot - width) / 2
        if bar.figure.value is not None:
            h = (plot_bottom - plot_top - 20) * bar.figure.value / top
            if h > 0:
                body.append(
                    f'<rect x="{left:.1f}" y="{plot_bottom - h:.1f}" width="{width:.1f}" '
                    f'height="{h:.1f}" fill="{ACCENT}" rx="2"/>'
                )
            value_y = plot_bottom - h - 6
        else:
            value_y = plot_bottom - 6
        body.append(
            _text(
                x + slot / 2,
                value_y,
                bar.figure.text,
                size=13,
                anchor="middle",
                weight="bold",
                fill=MUTED if bar.figure.hidden else "#1b1b1f",
            )
        )
        body.append(
            _text(
                x + slot / 2,
                plot_bottom + 22,
                bar.label,
                size=12 if len(bars) > 6 else 13,
                anchor="middle",
                fill=MUTED,
            )
        )
    description = "; ".join(f"{bar.label}: {bar.figure.text}" for bar in bars)
    return _frame(title, height, body, description)


def targets_chart(title: str, lines: list[TargetLine]) -> Chart | None:
    """Achieved against target: the full track is the target, the bar what was achieved (capped)."""
    if not lines:
        return None
    body: list[str] = []
    y = 0.0
    track = WIDTH - 110
    for line in lines:
        body.append(_text(0, y + 14, str(line.indicator.name), size=13, fill=MUTED))
        body.append(f'<rect x="0" y="{y + 20:.1f}" width="{track}" height="16" fill="{TRACK}" rx="3"/>')
        if line.percent.value is not None:
            share = min(line.percent.value, 100) / 100
            colour = OK if line.percent.value >= 100 else ACCENT
            if share > 0:
                body.append(
                    f'<rect x="0" y="{y + 20:.1f}" width="{max(track * share, 2):.1f}" height="16" '
                    f'fill="{colour}" rx="3"/>'
                )
        text = f"{line.achieved.text}/{line.target} ({line.percent.text})"
        body.append(_text(WIDTH, y + 33, text, size=13, anchor="end", weight="bold"))
        y += 44
    description = "; ".join(
        f"{line.indicator.name}: {line.achieved.text}/{line.target} ({line.percent.text})" for line in lines
    )
    printed = tuple(
        PrintedBar(
            str(line.indicator.name),
            f"{line.achieved.text}/{line.target} ({line.percent.text})",
            None if line.percent.value is None else min(line.percent.value, 100),
            reached=line.percent.value is not None and line.percent.value >= 100,
        )
        for line in lines
    )
    return _frame(title, y + 4, body, description, printed)


# --- The charts of a report ---------------------------------------------------------------------------


def _column_bars(report: Report, table: Table, row: str) -> list[Bar]:
    return [Bar(column.label, report.figure(table.cell(row, column.key))) for column in table.columns[1:]]


def _row_bars(report: Report, table: Table, column: str, *, skip_total: bool = True) -> list[Bar]:
    return [
        Bar(row.label, report.figure(table.cell(row.key, column)))
        for row in table.rows
        if not (skip_total and row.is_total) and table.cell(row.key, column)
    ]


def section_charts(report: Report) -> dict[str, list[Chart]]:
    """Charts per section group: by area, by period, by category."""
    tables = {table.code: table for table in report.tables()}
    total = report.columns[0].key
    charts: dict[str, list[Chart | None]] = {
        "addresses": [],
        "survivors": [],
        "support": [],
        "referrals": [],
        "livelihood": [],
    }
    if len(report.columns) > 1:
        charts["addresses"].append(
            bar_chart(_("Trusted addresses working, by area"), _column_bars(report, tables["TA"], "total"))
        )
        charts["survivors"].append(
            bar_chart(_("Survivors supported, by area"), _column_bars(report, tables["SV_GBV"], "all"))
        )
    if "TA_PERIOD" in tables:
        charts["addresses"].append(
            column_chart(_("Newly established trusted addresses, by period"), _period_bars(report, tables["TA_PERIOD"]))
        )
    if "SV_PERIOD" in tables:
        charts["survivors"].append(
            column_chart(_("Survivors supported, by period"), _period_bars(report, tables["SV_PERIOD"]))
        )
    charts["survivors"].append(
        bar_chart(_("Survivors supported, by GBVIMS type"), _row_bars(report, tables["SV_GBV"], total))
    )
    charts["support"].append(
        bar_chart(_("People supported, by kind of support"), _row_bars(report, tables["SP"], total))
    )
    charts["referrals"].append(
        bar_chart(_("Referrals sent, by partner kind"), _row_bars(report, tables["RF_OUT"], "sent"))
    )
    charts["livelihood"].append(
        bar_chart(
            _("Livelihood beneficiaries, by model and group"),
            [
                Bar(
                    row.label if not row.depth else f"{_parent_label(tables['LV'], row)} · {row.label}",
                    report.figure(tables["LV"].cell(row.key, total)),
                )
                for row in tables["LV"].rows
                if row.depth
            ],
        )
    )
    return {group: [chart for chart in items if chart] for group, items in charts.items()}


def _period_bars(report: Report, table: Table) -> list[Bar]:
    """The area's total in each sub-period, without the period's own total."""
    total = report.columns[0].key
    return [Bar(_short(row.key, report), report.figure(table.cell(row.key, total))) for row in table.rows
            if not row.is_total]


def _parent_label(table: Table, row: object) -> str:
    key = str(getattr(row, "key", ""))
    parsed = RowKey.parse(key)
    model = parsed.dimension if parsed else key
    return next((r.label for r in table.rows if r.key == model), "")


def _short(code: str, report: Report) -> str:
    for period in report.period.children():
        if period.code == code:
            return period.short_label
    return code


def summary_chart(report: Report) -> Chart | None:
    return targets_chart(_("Achieved against target"), report.targets)
