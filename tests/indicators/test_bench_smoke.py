"""A tiny run of the indicators benchmark (bench/indicators.py) on the test database, to prove the
script works. Not a timing test: the benchmark runs by hand against its own database."""

from __future__ import annotations

import io

import pytest

from accounts.models import AdminUnit
from bench import casework as cases_bench
from bench import indicators as bench
from casework.models import Case, Consent, LivelihoodSupport, SupportService
from indicators.models import Snapshot
from indicators.services import snapshot_refresh
from referrals.models import Referral


@pytest.fixture
def filled(db):  # type: ignore[no-untyped-def]
    cases_bench.fill(cases=200, addresses=10, heavy=40, batch=64, progress_stream=io.StringIO())
    return bench.fill_extras(progress_stream=io.StringIO())


def test_the_extra_fill_adds_support_livelihood_and_referrals_and_is_resumable(filled):
    assert SupportService.objects.filter(kind="counselling").count() >= 200
    # Every case has its counselling service: the fill is resumable by that marker, whatever order the
    # random case ids sort in (the services-built case, filled by the casework fill, once sorted last).
    assert not Case.objects.exclude(services__kind="counselling").exists()
    assert filled.services == SupportService.objects.count() - 3  # the services-built case has three
    assert LivelihoodSupport.objects.exists() and Referral.objects.exists()
    again = bench.fill_extras(progress_stream=io.StringIO())
    assert (again.services, again.referrals) == (0, 0)


@pytest.mark.postgres_only
def test_the_measurements_run_and_the_hand_written_sql_agrees_with_the_report(filled):
    # No gunicorn here (clients=0): it would not see the test's uncommitted data.
    figures = bench.measure(repeats=1, live=True, clients=0)
    assert all(check["equal"] for check in figures["check"].values()), figures["check"]
    assert figures["withdrawals"]["snapshot_corrected_in_place"] and figures["snapshot_still_current"]
    text = bench.table(figures)
    assert "Province report built from the release" in text and "right after a withdrawal" in text


def test_the_withdrawals_correct_the_working_snapshot_in_place(filled):
    province = AdminUnit.objects.get(level=AdminUnit.Level.PROVINCE, code=cases_bench.PROVINCE_CODE)
    snapshot = snapshot_refresh()
    withdrawing = Consent.objects.filter(scope=Consent.Scope.STATISTICS, withdrawn_on__isnull=True).count()
    found = bench.measure_withdrawals(province, count=3)
    assert found["count"] == 3 and found["snapshot_corrected_in_place"]
    assert Snapshot.objects.current() == snapshot
    assert Consent.objects.filter(scope=Consent.Scope.STATISTICS, withdrawn_on__isnull=True).count() == withdrawing - 3
    first, rest = found["timings"]
    assert "compiles" in first.label and rest.queries > 0 and rest.cpu_ms is not None
