"""The statistics snapshot: counted once by ``indicators_refresh``, the working figures that periods are
released from (see test_release.py for the releases and for withdrawals).

A report read from the snapshot must be the very report counted live (same figures, same marks)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from casework import services as cw
from indicators import periods
from indicators.models import Release, Snapshot, SnapshotFigures
from indicators.report import build_report, get_report
from indicators.services import snapshot_refresh
from tests.conftest import signed_in
from tests.indicators.builders import counted_case, release, three_rapes
from tests.referrals.builders import referral_a

PERIODS = ("month", "quarter", "year", "phase")


def some_periods() -> list[periods.Period]:
    """The current month, quarter, year and phase, and last year."""
    today = timezone.localdate()
    return [
        periods.month(today.year, today.month),
        periods.quarter(today.year, (today.month - 1) // 3 + 1),
        periods.year(today.year),
        periods.year(today.year - 1),
        *(periods.phase(code) for code, (first, last) in periods.PHASES.items() if first <= today.year <= last),
    ]


def same(live, stored) -> list:  # type: ignore[no-untyped-def]
    """The cells where two reports differ, in value or in mark."""
    keys = set(live.cells) | set(stored.cells)
    return [
        (key, live.cells.get(key), stored.cells.get(key))
        for key in keys
        if getattr(live.cells.get(key), "value", None) != getattr(stored.cells.get(key), "value", None)
        or live.marks.get(key) != stored.marks.get(key)
    ]


def counted(report) -> int:  # type: ignore[no-untyped-def]
    """New survivors, as counted (before suppression)."""
    return report.cells[report.indicator_cells["SV_NEW"]].value


def test_every_report_read_from_the_snapshot_is_the_report_counted_live(cast):
    three_rapes(cast)
    referral_a(cast)
    snapshot = snapshot_refresh()
    checked = 0
    for period in some_periods():
        for area in (cast.province, cast.district, cast.commune1, cast.commune2):
            live = build_report(area, period)
            stored = build_report(area, period, snapshot=snapshot)
            assert same(live, stored) == [], (area.path, period.code)
            assert stored.counted_at == timezone.localtime(snapshot.started_at) and live.counted_at is None
            checked += 1
    assert checked == 4 * len(some_periods())
    # Not an empty comparison: the commune's seventeen survivors, and the case referred.
    report = build_report(cast.commune1, periods.current_year(), snapshot=snapshot)
    assert counted(report) == 18


def test_the_snapshot_holds_counts_only_for_reporting_areas(cast):
    three_rapes(cast)
    snapshot = snapshot_refresh()
    rows = list(SnapshotFigures.objects.filter(snapshot=snapshot))
    assert rows
    paths = {row.area_path for row in rows}
    assert paths <= {cast.province.path, cast.district.path, cast.commune1.path, cast.commune2.path}
    assert not any(path.count("/") > 3 or "/v" in path for path in paths)  # no village, no address
    kinds = {periods.parse(row.period, require_started=False).kind for row in rows}
    assert kinds == set(PERIODS)

    def numbers_only(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(key, str) and numbers_only(inner) for key, inner in value.items())
        return value is None or isinstance(value, int | float)

    assert all(numbers_only(row.figures) for row in rows)
    text = json.dumps([row.figures for row in rows], ensure_ascii=False)
    assert "Người Số" not in text and cast.volunteer_a.organisation.name not in text


def test_a_refresh_replaces_the_previous_snapshot(cast):
    first = snapshot_refresh()
    second = snapshot_refresh()
    assert list(Snapshot.objects.all()) == [second]
    assert not SnapshotFigures.objects.filter(snapshot_id=first.pk).exists()
    assert Snapshot.objects.current() == second


def test_reports_read_the_release_and_show_when_it_was_counted_and_released(cast):
    counted_case(cast.volunteer_a, name="Người Một")
    release()
    counted_case(cast.volunteer_a, name="Người Hai")  # after the release: never added to it

    response = signed_in(cast.analyst).get(reverse("indicators:dashboard"), {"period": periods.current_year().code})
    report = response.context["report"]
    published = Release.objects.get(period=periods.current_year().code)
    assert report.counted_at == timezone.localtime(published.counted_at)
    assert report.released_at == timezone.localtime(published.released_at)
    assert counted(report) == 1
    assert "Số liệu tính đến" in response.content.decode()

    release()
    assert counted(get_report(cast.province, periods.current_year())) == 1
    assert counted(build_report(cast.province, periods.current_year(), snapshot=Snapshot.objects.current())) == 2


def test_the_refresh_command_shows_its_progress_and_the_periods_it_released(cast):
    three_rapes(cast)
    out = StringIO()
    call_command("indicators_refresh", stdout=out)
    output = out.getvalue()
    assert "[0/" in output and "100%" in output
    assert "Statistics snapshot of" in output and "area-periods counted" in output
    assert Snapshot.objects.current() is not None
    due = [p.code for p in periods.due()]
    assert sorted(Release.objects.values_list("period", flat=True)) == sorted(due)
    assert f"Released {len(due)} periods: " in output and "phase1" in output
    again = StringIO()
    call_command("indicators_refresh", stdout=again)
    assert "No period released." in again.getvalue()


def test_the_report_files_read_the_release_and_refuse_a_period_not_released(cast, tmp_path):
    case = counted_case(cast.volunteer_a, name="Người Một")
    year = periods.current_year()
    with pytest.raises(CommandError, match="not released"):
        call_command("indicators_report", "--period", year.code, "--output", str(tmp_path), stdout=StringIO())
    release()
    consent = case.consents.get(scope="statistics")
    cw.consent_withdraw(consent=consent, by=cast.volunteer_a, on=case.opened_on)  # after the release
    out = StringIO()
    call_command("indicators_report", "--period", year.code, "--format", "csv", "--output", str(tmp_path),
                 stdout=out)
    published = Release.objects.get(period=year.code)
    assert f"released on {timezone.localtime(published.released_at):%d/%m/%Y %H:%M}" in out.getvalue()
    text = (tmp_path / f"chi-so-du-an-8-p{cast.province.code}-{year.code}.csv").read_text(encoding="utf-8-sig")
    assert "Số liệu công bố ngày" in text


def test_sums_are_stored_as_json_numbers():
    from decimal import Decimal

    from indicators.services import _json_ready

    assert _json_ready(Decimal("51674700000")) == 51674700000 and isinstance(_json_ready(Decimal("3")), int)
    assert _json_ready(Decimal("4.5")) == 4.5 and _json_ready(None) is None and _json_ready(7) == 7
