"""Reporting periods: a fixed set, parsed strictly."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from indicators import periods
from indicators.periods import InvalidPeriod

TODAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize(
    ("code", "start", "end", "kind", "dhis2"),
    [
        ("2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31), "year", "2025"),
        ("2025-Q3", dt.date(2025, 7, 1), dt.date(2025, 9, 30), "quarter", "2025Q3"),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "month", "202402"),
        ("2025-12", dt.date(2025, 12, 1), dt.date(2025, 12, 31), "month", "202512"),
        ("phase1", dt.date(2021, 1, 1), dt.date(2025, 12, 31), "phase", None),
        ("phase2", dt.date(2026, 1, 1), dt.date(2030, 12, 31), "phase", None),
        (" 2025-Q1 ", dt.date(2025, 1, 1), dt.date(2025, 3, 31), "quarter", "2025Q1"),
    ],
)
def test_fixed_periods_parse_to_their_dates(code, start, end, kind, dhis2):
    period = periods.parse(code, today=TODAY)
    assert (period.start, period.end, period.kind, period.dhis2) == (start, end, kind, dhis2)


def test_periods_nest_phase_years_quarters_months():
    assert [p.code for p in periods.parse("phase1").children()] == ["2021", "2022", "2023", "2024", "2025"]
    assert [p.code for p in periods.parse("2025").children()] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert [p.code for p in periods.parse("2025-Q4").children()] == ["2025-10", "2025-11", "2025-12"]
    assert periods.parse("2025-11").children() == []


def test_labels_are_vietnamese_by_default():
    with translation.override("vi"):
        assert periods.parse("2025-Q3").label == "Quý III/2025"
        assert periods.parse("phase1").label == "Giai đoạn I (2021–2025)"
        assert periods.parse("2025-07").label == "Tháng 7/2025"


@pytest.mark.parametrize(
    "code",
    [
        "2020",
        "2031",
        "2025-Q0",
        "2025-Q5",
        "2025-00",
        "2025-13",
        "2025-7",
        "25",
        "phase",
        "phase3",
        "2025-07-01",
        "2021..2025",
        "",
        "Q3-2025",
    ],
)
def test_anything_else_is_refused_with_a_message(code):
    with pytest.raises(InvalidPeriod) as error:
        periods.parse(code, today=TODAY)
    assert "2025-Q3" in str(error.value.args[0])


def test_a_period_that_has_not_started_is_refused_unless_asked_for_a_target():
    with pytest.raises(InvalidPeriod):
        periods.parse("2027", today=TODAY)
    assert periods.parse("2027", today=TODAY, require_started=False).code == "2027"


VALID = re.compile(r"20(2[1-9]|30)(-Q[1-4]|-(0[1-9]|1[0-2]))?|phase[12]")


@given(st.text(max_size=12))
def test_random_text_is_either_a_fixed_period_or_refused(text):
    try:
        period = periods.parse(text, require_started=False)
    except InvalidPeriod:
        assert not VALID.fullmatch(text.strip())
    else:
        assert VALID.fullmatch(text.strip())
        assert periods.parse(period.code, require_started=False) == period


def test_the_choices_offer_the_periods_given_grouped_by_kind_newest_first():
    offered = [periods.parse(code) for code in ("2025-Q1", "phase1", "2026-Q3", "2025", "2026-10", "2025-Q4")]
    with translation.override("en"):
        groups = periods.choices(offered)
    assert [(title, [code for code, _label in items]) for title, items in groups] == [
        ("Programme phase", ["phase1"]),
        ("Year", ["2025"]),
        ("Quarter", ["2026-Q3", "2025-Q4", "2025-Q1"]),
        ("Month", ["2026-10"]),
    ]
    assert periods.choices([]) == []


@pytest.mark.parametrize(
    ("code", "lag", "last_day_before", "due_on"),
    [
        ("2026-10", 15, dt.date(2026, 11, 15), dt.date(2026, 11, 16)),
        ("2026-Q3", 15, dt.date(2026, 10, 15), dt.date(2026, 10, 16)),
        ("2025", 15, dt.date(2026, 1, 15), dt.date(2026, 1, 16)),
        ("phase1", 15, dt.date(2026, 1, 15), dt.date(2026, 1, 16)),
        ("2026-11", 0, dt.date(2026, 11, 30), dt.date(2026, 12, 1)),  # no lag: due once it has ended
    ],
)
def test_a_period_is_due_once_it_has_ended_and_the_lag_has_passed(code, lag, last_day_before, due_on):
    period = periods.parse(code, require_started=False)
    assert period.published_after(lag) == last_day_before
    assert not period.is_due(last_day_before, lag_days=lag)
    assert period.is_due(due_on, lag_days=lag)


def test_the_lag_is_the_setting(settings):
    settings.INDICATORS_RELEASE_LAG_DAYS = 30
    assert periods.parse("2026-10").published_after() == dt.date(2026, 11, 30)


def test_the_due_periods_on_a_day_are_every_fixed_period_ended_a_lag_ago():
    due = {p.code for p in periods.due(TODAY)}  # 22/11/2026, lag 15 days
    assert {"phase1", "2021", "2025", "2021-01", "2026-Q3", "2026-10"} <= due
    assert not due & {"phase2", "2026", "2026-Q4", "2026-11", "2027-01"}
    assert len(due) == 1 + 5 + (5 * 4 + 3) + (5 * 12 + 10)
    assert {p.code for p in periods.every()} >= due and len(periods.every()) == 2 + 10 + 40 + 120
