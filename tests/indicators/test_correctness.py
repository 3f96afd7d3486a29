"""Every figure of a report equals what the generated dataset says it should be, computed in plain
Python from the generated specifications (tests/indicators/dataset.py), never from the database —
whether the report is counted live or read from the statistics snapshot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from indicators import periods
from indicators.disclosure import MAGNITUDE_SHARE, MAX_PERTURBATION, Kind
from indicators.models import Snapshot
from indicators.report import build_report
from indicators.services import snapshot_refresh
from tests.indicators.dataset import World, build_world, expected, generate


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker) -> Iterator[World]:
    """One generated programme for the module (about 60 cases through every service), rolled back at
    the end; each test's own transaction nests inside."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world(generate())
        snapshot_refresh()
        yield world
        transaction.set_rollback(True)


@pytest.fixture
def world(built: World, db) -> World:
    return built


def _area(world: World, key: str):  # type: ignore[no-untyped-def]
    return {
        "p71": world.province,
        "d710": world.districts["710"],
        "d711": world.districts["711"],
        "c71002": world.communes["71002"],
    }[key]


CASES = [
    ("p71", "2025"),
    ("p71", "2026"),
    ("p71", "phase1"),
    ("d710", "2025-Q2"),
    ("d710", "2026"),
    ("c71002", "2025"),
    ("d711", "2026-03"),
]


@pytest.mark.parametrize("source", ["live", "snapshot"])
@pytest.mark.parametrize(("area_key", "period_code"), CASES)
def test_every_figure_equals_the_expectation_computed_from_the_generated_cases(
    world, area_key, period_code, source
):
    area, period = _area(world, area_key), periods.parse(period_code)
    snapshot = Snapshot.objects.current() if source == "snapshot" else None
    assert (snapshot is None) is (source == "live")
    report = build_report(area, period, k=5, snapshot=snapshot)
    expect = expected(world, area, period)

    mismatches = []
    checked = 0
    for cell_id, cell in report.cells.items():
        table, row, _column = cell_id
        if table == "RF_OUT" and _column == "rate":
            continue  # derived from two checked cells, below
        want = expect.get(cell_id, None if _column == "hours" else 0)
        got = cell.value
        hours = _column == "hours" and want is not None and got is not None
        ok = abs(got - want) < 0.01 if hours else got == want
        checked += 1
        if not ok:
            mismatches.append((cell_id, got, want))
    assert not mismatches, mismatches[:20]
    assert checked > 100
    # Nothing expected is missing from the report.
    assert {key for key, value in expect.items() if value} <= set(report.cells)
    # What is published: exact where the rule promises it, within the printed bounds elsewhere.
    wrong = []
    for cell_id, cell in report.cells.items():
        figure, want = report.figure(cell_id), expect.get(cell_id, 0)
        if cell.kind is Kind.PUBLIC:
            ok = figure.value == want
        elif cell.kind in (Kind.PERSONS, Kind.EVENTS):
            ok = figure.text == "<5" if want < 5 else (
                figure.text == "×" or figure.value >= 5 and abs(figure.value - want) <= MAX_PERTURBATION
            )
        elif cell.kind is Kind.MAGNITUDE:
            ok = figure.value is None or abs(figure.value - want) <= MAGNITUDE_SHARE * want + 1000
        else:
            continue
        if not ok:
            wrong.append((cell_id, figure.text, want))
    assert not wrong, wrong[:20]


def test_the_completion_rate_is_the_shown_completed_over_the_shown_accepted(world):
    shown = 0
    for code in ("phase1", "2025", "2026"):
        report = build_report(world.province, periods.parse(code), k=2)
        for row in report.sections[3].tables[1].rows:
            accepted, completed, rate = (report.figure(("RF_OUT", row.key, name)) for name in
                                         ("accepted", "completed", "rate"))
            if accepted.hidden or completed.hidden:
                assert rate.hidden
            else:
                shown += 1
                assert rate.value == min(100, round(100 * completed.value / accepted.value))
    assert shown


def test_the_dataset_has_people_at_two_addresses_and_left_out_cases(world):
    addresses_per_person: dict[int, set[str]] = {}
    for spec in world.specs:
        addresses_per_person.setdefault(spec.person.number, set()).add(spec.address)
    assert any(len(found) > 1 for found in addresses_per_person.values())
    assert {"no", "withdrawn"} <= {spec.consent for spec in world.specs}
    assert {r.outcome for spec in world.specs for r in spec.referrals} >= {
        "completed",
        "accepted",
        "declined",
        "expired",
        "withdrawn",
        "waiting",
    }
