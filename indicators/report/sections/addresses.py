"""1. Trusted addresses: counts of addresses, not of people, shown as they are."""

from __future__ import annotations

from django.utils.translation import gettext as _

from indicators import catalogue
from indicators.catalogue import Group, Unit
from indicators.report.layout import Layout
from indicators.report.model import Row, Section


def section(b: Layout, children: bool) -> Section:
    tallies = b.source.address_tallies(b.area, b.period, children=children)
    rows = [
        Row("total", _("Working in the period"), "TA_TOTAL"),
        Row("new", _("Newly established"), "TA_NEW", depth=1),
        Row("consolidated", _("Consolidated"), "TA_CONSOLIDATED", depth=1),
        Row("active", _("Active (a case or support in the period)"), "TA_ACTIVE"),
    ]
    table = b.public_table("TA", _("Trusted addresses by area"), tallies, rows, Unit.ADDRESSES)
    for row in rows:
        b.note_indicator(row.indicator, table.cells[(row.key, b.total.key)])
    tables = [table]
    series = b.source.address_series(b.area, b.period)
    if b.period.children():
        period_rows = [Row(p.code, p.label) for p in b.period.children()]
        tables.append(
            b.public_table(
                "TA_PERIOD",
                _("Newly established trusted addresses by period"),
                series,
                period_rows,
                Unit.ADDRESSES,
                columns=[b.total],
            )
        )
    return Section(Group.ADDRESSES, str(catalogue.GROUP_TITLES[Group.ADDRESSES]), tables)
