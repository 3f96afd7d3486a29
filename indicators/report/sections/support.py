"""3. Support given: people supported by kind of support and area; services, shelter nights and
amounts for the area as a whole, hidden with the people they describe."""

from __future__ import annotations

from django.utils.translation import gettext as _

from indicators import aggregates, catalogue
from indicators.catalogue import Group, Unit
from indicators.report.layout import Layout, all_row, events_cell, magnitude_cell, measure_table
from indicators.report.model import CellId, Row, Section, Table
from indicators.tallies import RowKey, Tallies

K = aggregates.SUPPORT_KINDS


def section(b: Layout, children: bool) -> Section:
    tallies = b.source.support_tallies(b.area, b.period, children=children)
    kinds = dict(b.labels["kind"])
    kind_rows = [Row(str(RowKey("kind", kind)), kinds[kind]) for kind in (K.SHELTER, K.COUNSELLING, K.ACCOMPANIMENT)]
    emergency = Row("emergency", _("Emergency support (material or cash)"), "SP_EMERGENCY")
    material, cash = (
        Row(str(RowKey("kind", kind)), kinds[kind], depth=1) for kind in (K.EMERGENCY_MATERIAL, K.EMERGENCY_CASH)
    )
    everyone = all_row(_("All people supported"))
    rows = [everyone, *kind_rows, emergency, material, cash]
    people = b.people_table(
        "SP",
        _("People supported, by kind of support and area"),
        tallies,
        rows,
        population="SP",
        note=_("A person given several kinds of support is counted in each."),
    )
    for indicator, row in (
        ("SP_SHELTER", kind_rows[0]),
        ("SP_COUNSELLING", kind_rows[1]),
        ("SP_ACCOMPANIMENT", kind_rows[2]),
        ("SP_EMERGENCY", emergency),
    ):
        b.note_indicator(indicator, people.cells[(row.key, b.total.key)])
    measures = _measures(b, tallies, people, rows, amounts={emergency.key, material.key, cash.key})
    b.note_indicator("SP_SHELTER_NIGHTS", CellId("SP_MEASURE", kind_rows[0].key, "nights"))
    b.note_indicator("SP_EMERGENCY_VND", CellId("SP_MEASURE", emergency.key, "amount"))
    return Section(Group.SUPPORT, str(catalogue.GROUP_TITLES[Group.SUPPORT]), [people, measures])


def _measures(b: Layout, tallies: Tallies, people: Table, rows: list[Row], *, amounts: set[str]) -> Table:
    """Services, nights and amounts, for the area as a whole; hidden with the people they describe."""
    columns = [
        ("persons", _("People"), Unit.PEOPLE),
        ("services", _("Services"), Unit.SERVICES),
        ("nights", _("Nights"), Unit.NIGHTS),
        ("amount", _("Amount (VND)"), Unit.VND),
    ]
    measures = measure_table("SP_MEASURE", _("Services, shelter nights and amounts"), Unit.SERVICES, rows, columns)
    shelter = str(RowKey("kind", K.SHELTER))
    for row in rows:
        values = b.of_area(tallies, row)
        persons_id = people.cells[(row.key, b.total.key)]
        measures.cells[(row.key, "persons")] = persons_id
        services = b.system.put(CellId("SP_MEASURE", row.key, "services"), events_cell(values, "services"),
                                Unit.SERVICES)
        measures.cells[(row.key, "services")] = services
        linked = [persons_id, services]
        # Nights for shelter stays and amounts for emergency support only: an "all" figure would equal
        # them and show what they hide.
        if row.key == shelter:
            nights = b.system.put(CellId("SP_MEASURE", row.key, "nights"), magnitude_cell(values, "nights"),
                                  Unit.NIGHTS)
            measures.cells[(row.key, "nights")] = nights
            linked.append(nights)
        if row.key in amounts:
            amount = b.system.put(CellId("SP_MEASURE", row.key, "amount"), magnitude_cell(values, "amount"), Unit.VND)
            measures.cells[(row.key, "amount")] = amount
            linked.append(amount)
        b.system.link(*linked)
    return measures
