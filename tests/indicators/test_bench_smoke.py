"""A tiny run of the indicators benchmark (bench/indicators.py) on the test database, to prove the
script works. Not a timing test: the benchmark runs by hand against its own database."""

from __future__ import annotations

import io

import pytest

from bench import casework as cases_bench
from bench import indicators as bench
from casework.models import Case, LivelihoodSupport, SupportService
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
    figures = bench.measure(repeats=1)
    assert all(check["equal"] for check in figures["check"].values()), figures["check"]
    assert figures["same_as_live"]
    text = bench.table(figures)
    assert "Live: ORM aggregates / hand-written SQL" in text and "from the snapshot, uncached" in text
