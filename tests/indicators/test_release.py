"""Released periods are frozen (issue 10).

Figures are published only for completed periods, once, after a lag: a late record or a withdrawal of
consent never changes a published figure (so two looks at the dashboard never differ by one woman's
profile), no report is ever counted from the records, and a withdrawal takes the survivor out of the
working snapshot at once — by difference, equal to a full recount — without setting it aside."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation
from openpyxl import load_workbook

from accounts.models import Organisation
from casework import services as cw
from casework.models import Consent
from casework.signals import consent_withdrawn
from indicators import aggregates, periods
from indicators.forms import ReportForm
from indicators.models import FrozenRelease, Release, ReleasedFigures, Snapshot, SnapshotCorrection, SnapshotFigures
from indicators.report import get_report
from indicators.services import is_additive, snapshot_refresh
from tests import factories as f
from tests.casework.builders import CANARY_NAME, case_a
from tests.casework.events import Refused, a_receiver_refusing
from tests.conftest import signed_in
from tests.indicators.builders import counted_case, release, this_year, three_rapes
from tests.referrals.builders import referral_a


def released_figures() -> dict[tuple[str, str], dict]:
    rows = ReleasedFigures.objects.select_related("release")
    return {(row.release.period, row.area_path): row.figures for row in rows}


def people(report, area) -> int:  # type: ignore[no-untyped-def]
    """New survivors in the area's column, as stored (before suppression)."""
    return report.cells[("SV", "all", area.path)].value


def open_periods() -> set[str]:
    """The codes of the periods not released (yet)."""
    return {p.code for p in periods.every()} - set(Release.objects.values_list("period", flat=True))


def additive(snapshot: Snapshot, codes: set[str] | None = None) -> dict[tuple[str, str, str, str, str], object]:
    """Every non-zero additive figure of the snapshot, for the periods ``codes`` (those not released)."""
    codes = open_periods() if codes is None else codes
    found = {}
    for row in SnapshotFigures.objects.filter(snapshot=snapshot, period__in=codes):
        for section, rows in row.figures.items():
            for key, measures in rows.items():
                for measure, value in measures.items():
                    if is_additive(measure) and value:
                        found[(row.period, row.area_path, section, key, measure)] = value
    return found


def statistics_consent(case):  # type: ignore[no-untyped-def]
    return case.consents.get(scope="statistics", withdrawn_on__isnull=True)


def a_world(cast):  # type: ignore[no-untyped-def]
    """Three communes' worth of survivors; case A (shelter, livelihood, a referral) and a second case of
    the same woman at address B (same name and birth year: one person); one case without consent."""
    three_rapes(cast)
    referral_a(cast)
    twin = counted_case(cast.volunteer_b, name=CANARY_NAME, birth_year=1990, answers={"penetration": True})
    counted_case(cast.volunteer_b, name="Không Đồng Ý", statistics=False)
    return {"case A": case_a(cast), "her case at B": twin,
            "a survivor of rape": cast.volunteer_a.organisation.cases.filter(incidents__gbv_type="rape").first()}


# --- Released figures never change ------------------------------------------------------------------


def test_a_case_added_in_a_released_period_changes_no_released_figure(cast):
    three_rapes(cast)
    release()  # this year, and every period in it
    published = released_figures()
    year = periods.current_year()
    first = get_report(cast.province, year)
    assert people(first, cast.province) == 29

    counted_case(cast.volunteer_a, name="Người Đến Muộn", answers={"penetration": True})
    release()  # a later refresh: counts her, releases nothing again

    assert released_figures() == published
    again = get_report(cast.province, year)
    assert again.cells == first.cells and again.marks == first.marks
    # Not because nothing was counted: the working snapshot has her.
    working = SnapshotFigures.objects.get(snapshot=Snapshot.objects.current(), period=year.code,
                                          area_path=cast.province.path)
    assert working.figures["survivors"]["all"]["persons"] == 30


def test_a_withdrawal_changes_no_released_figure_and_no_report_reads_the_records(cast):
    cases = a_world(cast)
    release()
    published = released_figures()
    year = periods.current_year()
    before = get_report(cast.commune1, year)

    cw.consent_withdraw(consent=statistics_consent(cases["case A"]), by=cast.volunteer_a)

    assert released_figures() == published
    with CaptureQueriesContext(connection) as captured:
        after = get_report(cast.commune1, year)
    assert after.cells == before.cells and after.marks == before.marks
    assert [q["sql"] for q in captured.captured_queries if re.search(r'"(casework|referrals)_', q["sql"])] == []
    assert any('"indicators_releasedfigures"' in q["sql"] for q in captured.captured_queries)
    # Nor do the pages and files (the page header only counts the reader's own notifications).
    client = signed_in(cast.analyst)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("indicators:dashboard"), {"area": f"c{cast.commune1.code}", "period": year.code})
        assert response.status_code == 200
        for name in ("indicators:download-csv", "indicators:download-pdf"):
            assert client.get(reverse(name), {"period": year.code}).status_code == 200
    case_data = r'"(casework_\w+|referrals_(?!notification")\w+)"'
    assert [q["sql"] for q in captured.captured_queries if re.search(case_data, q["sql"])] == []
    # The working snapshot is never set aside by a withdrawal.
    assert Snapshot.objects.current() is not None


def test_released_figures_cannot_be_changed_or_deleted(cast):
    release()
    published = ReleasedFigures.objects.select_related("release").first()
    assert published is not None
    published.figures = {}
    for attempt in (
        published.save,
        published.delete,
        published.release.save,
        published.release.delete,
        lambda: ReleasedFigures.objects.update(figures={}),
        lambda: ReleasedFigures.objects.all().delete(),
        lambda: Release.objects.filter(pk=published.release_id).update(period="2021"),
        lambda: Release.objects.all().delete(),
    ):
        with pytest.raises(FrozenRelease):
            attempt()


def test_trusted_addresses_are_frozen_with_the_release(cast):
    release()
    year = periods.current_year()
    first = get_report(cast.district, year)
    assert first.indicator("TA_TOTAL").text == "2"
    f.organisation(Organisation.Kind.TRUSTED_ADDRESS, cast.commune2, "Địa chỉ tin cậy mới",
                   established_on=timezone.localdate())
    again = get_report(cast.district, year)
    assert again.indicator("TA_TOTAL").text == "2" and again.columns == first.columns
    # Counted from the records it would be three: the release is what keeps it at two.
    from indicators.report import build_report

    assert build_report(cast.district, year).indicator("TA_TOTAL").text == "3"


# --- A withdrawal corrects the working snapshot, by difference -----------------------------------------


@pytest.mark.parametrize("who", ["case A", "her case at B", "a survivor of rape"])
def test_the_working_snapshot_after_a_withdrawal_equals_a_full_recount(cast, who):
    cases = a_world(cast)
    snapshot_refresh()  # releases the past periods only: this year's are the working figures
    working = Snapshot.objects.current()
    counted = additive(working)

    cw.consent_withdraw(consent=statistics_consent(cases[who]), by=cases[who].trusted_address.memberships.first())

    assert Snapshot.objects.current() == working  # corrected in place, not set aside
    corrected = additive(working)
    assert corrected != counted  # she was in some cells
    recounted = additive(snapshot_refresh())
    assert corrected == recounted
    assert counted[(this_year(), cast.province.path, "excluded", "excluded", "persons")] + 1 == (
        recounted[(this_year(), cast.province.path, "excluded", "excluded", "persons")]
    )


def test_a_withdrawal_that_fails_after_the_statistics_reacted_leaves_the_snapshot_as_before(cast):
    cases = a_world(cast)
    working = snapshot_refresh()
    counted = additive(working)
    with a_receiver_refusing(), pytest.raises(Refused):
        cw.consent_withdraw(consent=statistics_consent(cases["case A"]), by=cast.volunteer_a)
    assert additive(working) == counted
    assert not SnapshotCorrection.objects.exists()
    assert statistics_consent(cases["case A"]).withdrawn_on is None


def test_the_statistics_refuse_a_withdrawal_announced_without_her_figures_before_it(cast):
    """Without the count before the change her part cannot be taken out: refusing (and so rolling the
    withdrawal back) is better than leaving her counted without anyone knowing."""
    consent = statistics_consent(case_a(cast))
    with pytest.raises(RuntimeError, match="without consent_withdrawing"):
        consent_withdrawn.send(sender=Consent, consent=consent, by=cast.volunteer_a)


def test_a_withdrawal_compiles_her_queries_once_and_then_only_binds_her_case(cast, monkeypatch):
    """Compiling the statistics' wide GROUP BY queries costs ten times running them; a withdrawal runs
    them twice for her alone, in the volunteer's request. The first compiles them; later withdrawals (in
    the same process) build no queryset at all, and no query of the largest address's measures."""
    cases = a_world(cast)
    snapshot_refresh()
    built = []
    real = aggregates.of_person
    monkeypatch.setattr(aggregates, "of_person", lambda spec, case_id: built.append(case_id) or real(spec, case_id))
    cw.consent_withdraw(consent=statistics_consent(cases["case A"]), by=cast.volunteer_a)
    compiled = len(built)  # zero if an earlier test of this process compiled them already
    with CaptureQueriesContext(connection) as captured:
        cw.consent_withdraw(consent=statistics_consent(cases["a survivor of rape"]), by=cast.volunteer_a)
    assert len(built) == compiled
    grouped = [q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"]]
    assert grouped and not [sql for sql in grouped if "stat_address" in sql]


def test_withdrawing_another_kind_of_consent_changes_no_statistics(cast):
    case = case_a(cast)
    snapshot_refresh()
    counted = additive(Snapshot.objects.current())
    consent = case.consents.get(scope="share_police")
    cw.consent_withdraw(consent=consent, by=cast.volunteer_a)
    assert additive(Snapshot.objects.current()) == counted
    assert not SnapshotCorrection.objects.exists()


def test_the_correction_names_nobody(cast):
    cases = a_world(cast)
    snapshot_refresh()
    cw.consent_withdraw(consent=statistics_consent(cases["case A"]), by=cast.volunteer_a)
    (correction,) = SnapshotCorrection.objects.all()
    text = json.dumps(correction.delta, ensure_ascii=False)
    case = cases["case A"]
    for secret in (CANARY_NAME, case.survivor.code, case.survivor.name_birth_year_index, f'"{case.pk}"'):
        assert secret not in text
    assert {change[0] for change in correction.delta} <= {p.code for p in periods.every()}
    assert all(isinstance(change[-1], int | float) for change in correction.delta)
    snapshot_refresh()  # a count that saw the withdrawal: the record is no longer needed
    assert not SnapshotCorrection.objects.exists()


def _moment(period: periods.Period) -> dt.datetime:
    """Nine in the morning of the first day ``period`` is due, after every snapshot so far."""
    day = period.published_after() + dt.timedelta(days=1)
    moment = dt.datetime.combine(day, dt.time(9), tzinfo=ZoneInfo(settings.TIME_ZONE))
    newest = Snapshot.objects.order_by("-started_at").values_list("started_at", flat=True).first()
    return max(moment, newest + dt.timedelta(minutes=1)) if newest else moment


def test_a_refresh_counting_when_she_withdraws_does_not_bring_her_back(cast):
    """The refresh's count is done (it saw her consent), then she withdraws before it is stored: the
    refresh makes the withdrawal's correction itself, and releases nothing from figures corrected so."""
    cases = a_world(cast)
    snapshot_refresh()
    year = periods.current_year()
    consent = statistics_consent(cases["case A"])

    def withdraw_once_counted(done: int, total: int, step: str) -> None:
        if done == total:
            cw.consent_withdraw(consent=consent, by=cast.volunteer_a)

    with time_machine.travel(_moment(year), tick=True):
        racing = snapshot_refresh(progress=withdraw_once_counted)
    assert Snapshot.objects.current() == racing
    assert not Release.objects.filter(period=year.code).exists()  # waits for a count that saw her go
    codes = open_periods()
    corrected = additive(racing, codes)

    recount = release(year)  # the next refresh: a full count, which releases the year
    assert corrected == additive(recount, codes)
    assert Release.objects.filter(period=year.code).exists()
    published = get_report(cast.commune1, year)
    assert people(published, cast.commune1) == 17  # three_rapes' seventeen: case A is not among them


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_refresh_reading_in_repeatable_read_while_she_withdraws_does_not_bring_her_back(cast):
    """Two connections, as in production: the refresh (REPEATABLE READ) has run one of its queries when
    the withdrawal commits; its later queries still see her, and the correction it makes before it
    finishes takes her out exactly once."""
    cases = a_world(cast)
    snapshot_refresh()
    consent = statistics_consent(cases["case A"])
    counting, withdrawn = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def progress(done: int, total: int, step: str) -> None:
        if done == 1:
            counting.set()
            assert withdrawn.wait(60)

    def refresh() -> None:
        try:
            outcome["snapshot"] = snapshot_refresh(progress=progress)
        except Exception as error:  # reported to the test below
            outcome["error"] = error
        finally:
            connection.close()

    worker = threading.Thread(target=refresh)
    worker.start()
    try:
        assert counting.wait(60)
        cw.consent_withdraw(consent=consent, by=cast.volunteer_a)  # committed while the refresh reads
    finally:
        withdrawn.set()
        worker.join(120)
    assert "error" not in outcome, outcome
    racing = outcome["snapshot"]
    assert Snapshot.objects.current() == racing
    codes = open_periods()
    assert additive(racing, codes) == additive(snapshot_refresh(), codes)
    assert not SnapshotCorrection.objects.exists()


# --- What the reader sees -----------------------------------------------------------------------------


def vietnamese(message: str, **values: object) -> str:
    with translation.override("vi"):
        text = translation.gettext(message)
    assert text != message, f"not translated: {message}"
    return text % values if values else text


def test_before_any_release_the_dashboard_says_so_and_the_downloads_are_refused(cast):
    client = signed_in(cast.analyst)
    response = client.get(reverse("indicators:dashboard"))
    assert response.status_code == 200
    content = response.content.decode()
    assert vietnamese("No figures have been published yet.") in content
    assert "report" not in response.context and '<select name="period"' not in content
    for name in ("indicators:download-csv", "indicators:download-pdf", "indicators:download-dhis2"):
        refused = client.get(reverse(name))
        assert refused.status_code == 400
        assert refused.context["form"].errors["period"] == [vietnamese("No figures have been published yet.")]


def test_the_period_list_offers_released_periods_only_newest_first(cast):
    release()  # every period due by the middle of next January
    form = ReportForm(None, membership=cast.analyst)
    groups = dict(form.fields["period"].widget.choices)
    offered = [code for items in groups.values() for code, _label in items]
    assert set(offered) == set(Release.objects.values_list("period", flat=True))
    year = periods.current_year().start.year
    with translation.override("vi"):
        titles = [str(t) for t in (translation.gettext("Programme phase"), translation.gettext("Year"),
                                   translation.gettext("Quarter"), translation.gettext("Month"))]
    for title in titles:
        codes = [code for code, _label in dict(ReportForm(None, membership=cast.analyst)
                                               .fields["period"].widget.choices)[title]]
        assert codes == [p.code for p in sorted(map(periods.parse, codes), reverse=True)]
    quarters = [code for code, _label in groups[titles[2]]]
    assert quarters[0] == f"{year}-Q4" and form["period"].value() == f"{year}-Q4"  # the default
    assert f"{year + 1}-01" not in offered and str(year + 1) not in offered


def test_a_period_not_released_is_refused_with_the_day_it_will_be_published(cast):
    snapshot_refresh()  # today: the past periods are released, this month is not over
    today = timezone.localdate()
    month = periods.month(today.year, today.month)
    client = signed_in(cast.analyst)
    day = formats.date_format(month.published_after(), "d/m/Y")
    assert day == (month.end + dt.timedelta(days=15)).strftime("%d/%m/%Y")
    message = vietnamese(
        "The figures of this period are not published yet: they will be published after %(date)s.", date=day
    )
    assert "sau ngày" in message
    for name in ("indicators:dashboard", "indicators:download-csv", "indicators:download-xlsx"):
        response = client.get(reverse(name), {"period": month.code})
        assert response.status_code == 400, name
        assert response.context["form"].errors["period"] == [message]
    content = response.content.decode()
    assert message in content
    # The choice is kept: shown selected, and marked as not published.
    assert re.search(rf'<option value="{month.code}"[^>]*selected', content)


def test_a_due_period_that_no_refresh_has_released_yet_says_it_comes_at_the_next_count(cast):
    snapshot_refresh()
    today = timezone.localdate()
    month = periods.month(today.year, today.month)
    with time_machine.travel(_moment(month), tick=False), translation.override("vi"):
        form = ReportForm({"period": month.code}, membership=cast.analyst)
        assert not form.is_valid()
        assert form.errors["period"] == [vietnamese(
            "The figures of this period are due: they will be published at the next scheduled count of the "
            "statistics."
        )]


def test_every_output_says_when_the_figures_were_released_and_that_they_are_final(cast, tmp_path):
    three_rapes(cast)
    release()
    published = Release.objects.get(period=this_year())
    day = timezone.localtime(published.released_at).strftime("%d/%m/%Y")
    with translation.override("vi"):
        note = translation.gettext(
            "Figures released on %(date)s. The figures of a released period are final: records entered "
            "later are not added to it."
        ) % {"date": day}
    assert note.startswith(f"Số liệu công bố ngày {day}")
    client = signed_in(cast.analyst)
    query = {"period": this_year()}
    assert note in client.get(reverse("indicators:dashboard"), query).content.decode()
    assert note in client.get(reverse("indicators:download-csv"), query).content.decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(client.get(reverse("indicators:download-xlsx"), query).content))
    assert note in [cell.value for sheet in workbook for row in sheet.iter_rows() for cell in row]
    from tests.casework.test_pdf import pdf_text

    pdf = client.get(reverse("indicators:download-pdf"), query).content
    assert f"Số liệu công bố ngày {day}" in " ".join(pdf_text(pdf, tmp_path).split())
    payload = json.loads(client.get(reverse("indicators:download-dhis2"), query).content)
    assert payload["completeDate"] == timezone.localtime(published.released_at).date().isoformat()
