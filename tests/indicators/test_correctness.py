"""Every figure of a report equals what the generated dataset says it should be, computed in plain
Python from the generated specifications (tests/indicators/dataset.py), never from the database —
whether the report is counted live or read from the statistics snapshot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from indicators import periods
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


def test_the_completion_rate_is_completed_over_accepted(world):
    report = build_report(world.province, periods.parse("phase1"), k=2)
    accepted = report.cells[("RF_OUT", "all", "accepted")].value
    completed = report.cells[("RF_OUT", "all", "completed")].value
    assert accepted > 0
    assert report.cells[("RF_OUT", "all", "rate")].value == round(100 * completed / accepted)


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
