"""2. Survivors supported: people with a new case in the period, by each breakdown and area; by
sub-period; and the cases left out for want of consent."""

from __future__ import annotations

from django.utils.translation import gettext as _

from indicators import aggregates, catalogue
from indicators.catalogue import Group, Unit
from indicators.report.layout import Layout, all_row, breakdown_rows, people_cell
from indicators.report.model import CellId, Row, Section, Table
from indicators.tallies import RowKey, Tallies, TallyKey


def section(b: Layout, children: bool) -> Section:
    tallies = b.source.survivor_tallies(b.area, b.period, children=children)
    everyone = all_row(_("All survivors supported"), "SV_NEW")
    tables = _by_incident(b, tallies, everyone) + _by_person(b, tallies, everyone)
    b.note_indicator("SV_NEW", CellId("SV", "all", b.total.key))
    if b.period.children():
        tables.append(_by_period(b, everyone))
    excluded = b.source.excluded_tallies(b.area, b.period)
    cell = b.system.put(
        CellId("SV_EXCLUDED", "all", b.total.key),
        people_cell(excluded.get(TallyKey("excluded", b.total.key))),
        Unit.PEOPLE,
    )
    b.note_indicator("SV_EXCLUDED", cell)
    # The headline table first: everyone, by area.
    return Section(Group.SURVIVORS, str(catalogue.GROUP_TITLES[Group.SURVIVORS]), tables)


def _by_incident(b: Layout, tallies: Tallies, everyone: Row) -> list[Table]:
    """By type of incident, harm and context: a survivor with several is counted in each."""
    labels = b.labels
    # Every row always, "no incident recorded" too: a row left out would say "nobody here".
    gbv_rows = [*breakdown_rows("gbv", labels["gbv"]), Row(str(RowKey("gbv", "none")), _("No incident recorded"))]
    # Several incidents of different types: the parts can add up to more than the total (handled as a sum).
    return [
        b.people_table(code, title, tallies, [everyone, *rows], population="SV", note=note)
        for code, title, rows, note in (
            ("SV_GBV", _("By GBVIMS type of incident"), gbv_rows,
             _("A survivor with incidents of several types is counted in each.")),
            ("SV_HARM", _("By harm (Law 13/2022 on domestic violence)"), breakdown_rows("harm", labels["harm"]),
             _("A survivor can have several kinds of harm, or none recorded.")),
            ("SV_CTX", _("By context"), breakdown_rows("ctx", labels["ctx"]),
             _("A survivor can be counted in several contexts.")),
        )
    ]


def _by_person(b: Layout, tallies: Tallies, everyone: Row) -> list[Table]:
    """By sex, age, ethnicity and disability: each survivor in one row of each."""
    labels = b.labels
    tables = [
        b.people_table(code, title, tallies, [everyone, *breakdown_rows(dimension, labels[dimension])], population="SV")
        for code, title, dimension in (("SV_SEX", _("By sex"), "sex"), ("SV_AGE", _("By age at opening"), "age"))
    ]
    tables.append(b.people_table("SV_ETH", _("By ethnicity"), tallies, _ethnicity_rows(b, tallies, everyone),
                                 population="SV"))
    tables.append(b.people_table("SV_DIS", _("By disability"), tallies,
                                 [everyone, *breakdown_rows("dis", labels["dis"])], population="SV"))
    return tables


def _ethnicity_rows(b: Layout, tallies: Tallies, everyone: Row) -> list[Row]:
    """Kinh, all minorities, each minority group with k or more survivors in the province in the period,
    the other groups together (added to ``tallies``), foreign, unknown.

    Listing only the groups that appear would tell that the few minority survivors of a commune all
    belong to the one group listed; listing all 53 would make a phone scroll for ever. Which groups are
    listed is the same for every area of the province, and says only what the province's own figures
    show."""
    not_minority = aggregates.NOT_MINORITY_CODES
    province = b.province_survivors(tallies)
    groups = [(value, label) for value, label in b.labels["eth"] if value not in not_minority]
    listed = [
        (v, label) for v, label in groups if (province.get(str(RowKey("eth", v))) or {}).get("persons", 0) >= b.k
    ]
    rest = {str(RowKey("eth", v)) for v, _label in groups} - {str(RowKey("eth", v)) for v, _label in listed}
    other_minorities = Row(str(RowKey("eth", aggregates.OTHER_MINORITIES)), _("Other minority groups"), depth=1)
    for column in b.columns:
        tallies[TallyKey(other_minorities.key, column.key)] = _together(tallies, rest, column.key)
    minorities = breakdown_rows("eth", listed, depth=1)
    minority_total = Row(str(RowKey("eth", aggregates.MINORITY)), _("Ethnic minorities (all groups)"))
    names = dict(b.labels["eth"])
    kinh, foreign, unknown = (Row(str(RowKey("eth", v)), names[v]) for v in not_minority)
    return [everyone, kinh, minority_total, *minorities, other_minorities, foreign, unknown]


def _together(tallies: Tallies, rows: set[str], column: str) -> dict[str, int]:
    """The people of several rows that no person is in twice (ethnic groups), as one row. The count at
    the largest trusted address is not known for the union: the sum of the rows' is an upper bound,
    which can only hide more."""
    found = [tallies.get(TallyKey(row, column)) or {} for row in rows]
    return {name: sum(int(m.get(name) or 0) for m in found) for name in ("persons", "key", "top_persons")}


def _by_period(b: Layout, everyone: Row) -> Table:
    """People supported in each sub-period: the area's total only."""
    sub_periods = b.period.children()
    series = b.source.survivor_series(b.area, b.period)
    table = Table(
        "SV_PERIOD",
        _("By period"),
        Unit.PEOPLE,
        [everyone] + [Row(p.code, p.label) for p in sub_periods],
        [b.total],
    )
    table.cells[("all", b.total.key)] = CellId("SV", "all", b.total.key)
    for p in sub_periods:
        found = series.get(TallyKey(p.code, b.total.key))
        table.cells[(p.code, b.total.key)] = b.system.put(
            CellId("SV_PERIOD", p.code, b.total.key), people_cell(found), Unit.PEOPLE
        )
    return table
