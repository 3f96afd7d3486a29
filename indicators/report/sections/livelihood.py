"""5. Livelihood support: beneficiaries by programme model, group and area; the named models and the
amounts by model."""

from __future__ import annotations

from django.utils.translation import gettext as _

from indicators import aggregates, catalogue
from indicators.catalogue import Group, Unit
from indicators.report.layout import Layout, all_row, magnitude_cell, measure_table, public_cell
from indicators.report.model import CellId, Row, Section, Table
from indicators.tallies import RowKey, Tallies


def section(b: Layout, children: bool) -> Section:
    tallies = b.source.livelihood_tallies(b.area, b.period, children=children)
    models, groups = dict(b.labels["model"]), dict(b.labels["group"])
    rows = [all_row(_("All beneficiaries"), "LV_BENEFICIARIES")]
    for model in aggregates.LIVELIHOOD_MODELS.values:
        rows.append(Row(model, models[model]))
        rows += [
            Row(str(RowKey(model, group)), groups[group], depth=1) for group in aggregates.LIVELIHOOD_GROUPS.values
        ]
    rows += [Row(group, groups[group]) for group in aggregates.LIVELIHOOD_GROUPS.values]
    people = b.people_table("LV", _("Beneficiaries by model, group and area"), tallies, rows, population="LV")
    b.note_indicator("LV_BENEFICIARIES", people.cells[("all", b.total.key)])
    measures = _measures(b, tallies, people, models)
    b.note_indicator("LV_MODELS", CellId("LV_MEASURE", "all", "models"))
    b.note_indicator("LV_MODELS_PILOT", CellId("LV_MEASURE", "pilot", "models"))
    b.note_indicator("LV_MODELS_REPLICATED", CellId("LV_MEASURE", "replicated", "models"))
    b.note_indicator("LV_AMOUNT", CellId("LV_MEASURE", "all", "amount"))
    return Section(Group.LIVELIHOOD, str(catalogue.GROUP_TITLES[Group.LIVELIHOOD]), [people, measures])


def _measures(b: Layout, tallies: Tallies, people: Table, models: dict[str, str]) -> Table:
    """Named models (shown as they are) and amounts (hidden with the beneficiaries), by model."""
    rows = [Row(model, models[model]) for model in aggregates.LIVELIHOOD_MODELS.values]
    rows.append(all_row(_("All models")))
    columns = [("models", _("Models"), Unit.MODELS), ("persons", _("Beneficiaries"), Unit.PEOPLE),
               ("amount", _("Amount (VND)"), Unit.VND)]
    note = _("Models are counted by their recorded names.")
    measures = measure_table("LV_MEASURE", _("Livelihood models and amounts"), Unit.MODELS, rows, columns, note)
    for row in rows:
        values = b.of_area(tallies, row)
        measures.cells[(row.key, "models")] = b.system.put(
            CellId("LV_MEASURE", row.key, "models"), public_cell(values, "models"), Unit.MODELS
        )
        persons = people.cells[(row.key, b.total.key)]
        measures.cells[(row.key, "persons")] = persons
        amount = b.system.put(CellId("LV_MEASURE", row.key, "amount"), magnitude_cell(values, "amount"), Unit.VND)
        measures.cells[(row.key, "amount")] = amount
        b.system.link(persons, amount)
    return measures
