"""4. Referrals: people referred by partner kind and area; referrals, their outcomes, the median hours
to acceptance and the completion rate by partner kind; referrals by service requested."""

from __future__ import annotations

from django.utils.translation import gettext as _

from indicators import aggregates, catalogue
from indicators.catalogue import Group, Unit
from indicators.disclosure import Cell, Kind
from indicators.report.layout import (
    Layout,
    all_row,
    breakdown_rows,
    events_cell,
    measure_table,
    people_cell,
    public_cell,
)
from indicators.report.model import CellId, Row, Section, Table
from indicators.tallies import Tallies

# The headline indicators, as measures of the "all" row of the outcomes table.
INDICATORS = (
    ("RF_SENT", "sent"),
    ("RF_ACCEPTED", "accepted"),
    ("RF_COMPLETED", "completed"),
    ("RF_DECLINED", "declined"),
    ("RF_EXPIRED", "expired"),
    ("RF_MEDIAN_HOURS", "hours"),
    ("RF_COMPLETION_RATE", "rate"),
    ("RF_PARTNERS", "partners"),
)


def section(b: Layout, children: bool) -> Section:
    tallies = b.source.referral_tallies(b.area, b.period, children=children)
    rows = [all_row(_("All partners")), *breakdown_rows("partner", b.labels["partner"])]
    people = b.people_table(
        "RF",
        _("People referred, by partner kind and area"),
        tallies,
        rows,
        population="RF",
        note=_("A person referred to several kinds of partner is counted in each."),
    )
    outcomes = _outcomes(b, tallies, people, rows)
    for indicator, name in INDICATORS:
        b.note_indicator(indicator, CellId("RF_OUT", "all", name))
    services = _services(b, tallies)
    return Section(
        Group.REFERRALS, str(catalogue.GROUP_TITLES[Group.REFERRALS]), [people, outcomes, services]
    )


def _outcomes(b: Layout, tallies: Tallies, people: Table, rows: list[Row]) -> Table:
    columns = [
        ("partners", _("Partners"), Unit.PARTNERS),
        ("sent", _("Sent"), Unit.REFERRALS),
        ("accepted", _("Accepted"), Unit.REFERRALS),
        ("completed", _("Completed"), Unit.REFERRALS),
        ("declined", _("Declined"), Unit.REFERRALS),
        ("expired", _("Expired"), Unit.REFERRALS),
        ("other", _("Waiting or withdrawn"), Unit.REFERRALS),
        ("hours", _("Median hours to acceptance"), Unit.HOURS),
        ("rate", _("Completion rate"), Unit.PERCENT),
    ]
    title = _("Referrals and their outcomes, by partner kind")
    note = _("Completion rate: completed referrals as a share of accepted referrals.")
    outcomes = measure_table("RF_OUT", title, Unit.REFERRALS, rows, columns, note)
    for row in rows:
        values = b.of_area(tallies, row)

        def put(name: str, cell: Cell, unit: Unit, *, row_key: str = row.key) -> CellId:
            cell_id = b.system.put(CellId("RF_OUT", row_key, name), cell, unit)
            outcomes.cells[(row_key, name)] = cell_id
            return cell_id

        put("partners", public_cell(values, "partners"), Unit.PARTNERS)
        counts = {name: put(name, events_cell(values, name), Unit.REFERRALS) for name in aggregates.OUTCOMES}
        hours = values.get("hours")
        put("hours", Cell(float(hours) if hours is not None else None, Kind.STATISTIC), Unit.HOURS)
        # Worked out from the shown counts once they are protected (a rate of the true counts would
        # tell what the perturbation hides).
        rate = put("rate", Cell(None, Kind.STATISTIC), Unit.PERCENT)
        b.rates.append((rate, counts["completed"], counts["accepted"]))
        b.system.link(people.cells[(row.key, b.total.key)], counts["sent"])
        b.system.link(counts["accepted"], CellId("RF_OUT", row.key, "hours"))
        b.system.link(counts["accepted"], rate)
        b.system.link(counts["completed"], rate)
    return outcomes


def _services(b: Layout, tallies: Tallies) -> Table:
    rows = breakdown_rows("service", b.labels["service"])
    columns = [("persons", _("People"), Unit.PEOPLE), ("referrals", _("Referrals"), Unit.REFERRALS)]
    note = _("A referral can ask for several services.")
    services = measure_table("RF_SERVICE", _("Referrals by service requested"), Unit.REFERRALS, rows, columns, note)
    for row in rows:
        values = b.of_area(tallies, row)
        a = b.system.put(CellId("RF_SERVICE", row.key, "persons"), people_cell(values), Unit.PEOPLE)
        c = b.system.put(CellId("RF_SERVICE", row.key, "referrals"), events_cell(values, "referrals"), Unit.REFERRALS)
        services.cells[(row.key, "persons")], services.cells[(row.key, "referrals")] = a, c
        b.system.link(a, c)
    return services
