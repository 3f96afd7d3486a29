"""The dashboard and its downloads: who sees which area, bad input, and no way into a case."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import URLPattern, get_resolver, reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import Role
from casework.models import Survivor
from indicators import areas, periods
from tests.casework.builders import CANARY_NAME, case_a, case_b
from tests.conftest import signed_in
from tests.indicators.builders import plan_target, release, this_year, three_rapes
from tests.referrals.builders import referral_a


def vietnamese(message: str) -> str:
    """The message as the (Vietnamese-first) site shows it; it must be translated."""
    with translation.override("vi"):
        text = gettext(message)
    assert text != message, f"not translated: {message}"
    return text


def test_the_analyst_sees_the_province_in_the_newest_released_quarter_with_charts_and_no_script(cast):
    three_rapes(cast)
    release()  # this year, and with it its fourth quarter
    response = signed_in(cast.analyst).get(reverse("indicators:dashboard"))
    assert response.status_code == 200
    report = response.context["report"]
    today = periods.current_year().start
    assert (report.area, report.period) == (cast.province, periods.quarter(today.year, 4))
    content = response.content.decode()
    assert "<svg" in content and 'role="img"' in content
    # CSP: no inline script or style; the one script is the shared idle-time-out file from templates/base.html.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", content, flags=re.S)
    assert scripts == [(' src="/static/js/session.js" defer', "")]
    assert "style=" not in content
    assert 'href="/cases/' not in content and 'href="/referrals/' not in content  # no drill-down


def test_the_supervisor_sees_their_district_by_default_and_may_pick_a_commune_in_it(cast):
    release()
    client = signed_in(cast.supervisor)
    response = client.get(reverse("indicators:dashboard"))
    assert response.context["report"].area == cast.district
    response = client.get(
        reverse("indicators:dashboard"), {"area": f"c{cast.commune2.code}", "period": "phase1"}
    )
    assert response.status_code == 200
    assert response.context["report"].area == cast.commune2


def test_the_supervisor_cannot_pick_the_province_and_gets_a_clear_vietnamese_error(cast):
    release()
    response = signed_in(cast.supervisor).get(
        reverse("indicators:dashboard"), {"area": f"p{cast.province.code}"}
    )
    assert response.status_code == 400
    assert "report" not in response.context
    message = vietnamese("Unknown area, or an area outside yours. Choose one from the list.")
    assert response.context["form"].errors["area"] == [message]
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "period",
    [
        "2020",
        "2031",
        "2025-Q5",
        "2025-13",
        "2025-1",
        "phase3",
        "2025-01-01",
        "2021..2025",
        "' OR 1=1 --",
        "x" * 40,
    ],
)
def test_an_unknown_period_is_answered_400_with_the_reason_next_to_the_field(cast, period):
    for name in ("indicators:dashboard", "indicators:download-csv", "indicators:download-pdf"):
        response = signed_in(cast.analyst).get(reverse(name), {"period": period})
        assert response.status_code == 400, (name, period)
        message = vietnamese(
            "Unknown reporting period. Choose a month (2025-07), a quarter (2025-Q3), a year "
            "(2025) or a programme phase (phase1), between 2021 and 2030."
        )
        assert response.context["form"].errors["period"] == [message]
        assert message in response.content.decode()


def test_a_period_that_has_not_started_is_refused(cast):
    import time_machine

    # Inside the programme (2021–2030) whatever today's date, so that next year is a valid period.
    with time_machine.travel(dt.datetime(periods.LAST_YEAR - 2, 6, 1, tzinfo=dt.UTC)):
        next_year = str(periods.LAST_YEAR - 1)
        response = signed_in(cast.analyst).get(reverse("indicators:dashboard"), {"period": next_year})
    assert response.status_code == 400
    assert response.context["form"].errors["period"] == [
        vietnamese("This period has not started yet; choose one that has.")
    ]


@pytest.mark.parametrize("area", ["", "62", "v23300-01", "c99999", "p", "c" + "9" * 30])
def test_an_unknown_area_or_a_village_is_refused(cast, area):
    if area == "":
        return  # empty means "my area"
    release()
    response = signed_in(cast.analyst).get(reverse("indicators:dashboard"), {"area": area})
    assert response.status_code == 400
    assert response.context["form"].errors["area"]


def test_a_phase_cannot_be_exported_to_dhis2(cast):
    release()  # phase I with every period due
    response = signed_in(cast.analyst).get(reverse("indicators:download-dhis2"), {"period": "phase1"})
    assert response.status_code == 400
    assert response.context["form"].errors["period"] == [
        vietnamese("DHIS2 has no period for a whole programme phase: choose a year, quarter or month.")
    ]


def test_downloads_are_attachments_named_by_area_and_period_only(cast):
    release()
    client = signed_in(cast.analyst)
    year = this_year()
    expected = {
        "indicators:download-csv": ("text/csv", "csv"),
        "indicators:download-xlsx": (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        "indicators:download-pdf": ("application/pdf", "pdf"),
        "indicators:download-dhis2": ("application/json", "dhis2.json"),
    }
    for name, (content_type, suffix) in expected.items():
        response = client.get(reverse(name), {"period": year})
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith(content_type)
        assert response["Content-Disposition"] == (
            f'attachment; filename="chi-so-du-an-8-p{cast.province.code}-{year}.{suffix}"'
        )
        assert "no-store" in response["Cache-Control"]  # said by accounts.middleware.NoStoreMiddleware


def test_no_output_carries_a_survivor_code_or_name(cast):
    case_a(cast)
    case_b(cast)
    referral_a(cast)
    codes = list(Survivor.objects.values_list("code", flat=True))
    release()
    client = signed_in(cast.analyst)
    for name in ("indicators:dashboard", "indicators:download-csv", "indicators:download-dhis2"):
        response = client.get(reverse(name), {"period": this_year()})
        assert response.status_code == 200
        text = response.content.decode("utf-8-sig")
        assert CANARY_NAME not in text
        assert not any(code in text for code in codes)


def test_plan_targets_show_as_achieved_over_target_with_the_percent(cast):
    plan_target(cast)  # 30 new trusted addresses in phase I; the cast's address A is new (2023)
    release()
    response = signed_in(cast.analyst).get(reverse("indicators:dashboard"), {"period": "phase1"})
    (line,) = response.context["report"].targets
    assert (line.achieved.text, line.target, line.percent.text) == ("1", 30, "3%")
    assert "1/30 (3%)" in response.content.decode()


def _object_urls(namespace: str, kwargs: dict[str, object]) -> list[str]:
    resolver = get_resolver().namespace_dict[namespace][1]
    urls = []
    for pattern in resolver.url_patterns:
        if not isinstance(pattern, URLPattern) or not pattern.pattern.converters:
            continue
        params = {name: kwargs[name] for name in pattern.pattern.converters}
        urls.append(reverse(f"{namespace}:{pattern.name}", kwargs=params))
    return urls


@pytest.mark.parametrize("role", [Role.PROVINCIAL_ANALYST, Role.UNION_SUPERVISOR])
def test_an_indicators_reader_opening_any_case_survivor_or_referral_url_gets_403_or_404(cast, role):
    case, referral = case_a(cast), referral_a(cast)
    record = case.incidents.first()
    membership = cast.by_role()[role]
    client = signed_in(membership)
    urls = _object_urls("casework", {"pk": case.pk, "record_pk": record.pk, "step": "incident"})
    urls += _object_urls("referrals", {"pk": referral.pk, "case_pk": case.pk})
    assert len(urls) > 15
    for url in urls:
        status = client.get(url).status_code
        assert status in (403, 404, 405), (url, status)


def test_the_home_page_shows_the_indicators_tile_to_readers_only(cast):
    tile = reverse("indicators:dashboard")
    for role, membership in cast.by_role().items():
        content = signed_in(membership).get(reverse("home")).content.decode()
        assert (f'href="{tile}"' in content) == (role in (Role.PROVINCIAL_ANALYST, Role.UNION_SUPERVISOR)), (
            role
        )


def test_the_area_list_holds_the_members_area_and_its_districts_and_communes_only(cast):
    keys = [key for key, _label in areas.choices(cast.supervisor)]
    assert keys == [f"d{cast.district.code}", f"c{cast.commune1.code}", f"c{cast.commune2.code}"]
    assert areas.choices(cast.volunteer_a) == []
    assert re.fullmatch(r"p\d+", areas.choices(cast.analyst)[0][0])


def test_every_dashboard_figure_carries_its_column_so_a_phone_can_stack_the_rows(cast):
    """On a phone a table is shown row by row (static/css/app.css): each figure is labelled with its
    column — the area, or the measure — from its own data-label, the header row being hidden there."""
    from indicators.services import plan_target_set

    three_rapes(cast)
    plan_target_set(area=cast.district, indicator="SV_NEW", period=this_year(), target=50, by=None)
    release()
    response = signed_in(cast.analyst).get(
        reverse("indicators:dashboard"), {"area": f"d{cast.district.code}", "period": this_year()}
    )
    content = response.content.decode()
    tables = re.findall(r'<table class="ind-table[^"]*">(.*?)</table>', content, flags=re.S)
    assert len(tables) > 10
    areas = {"Tổng số", cast.commune1.name, cast.commune2.name}
    area_tables = 0
    for table in tables:
        thead, tbody = table.split("<tbody>")
        columns = re.findall(r'<th scope="col" class="num">(.*?)</th>', thead)
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", tbody, flags=re.S)
        assert rows
        for row in rows:
            assert re.findall(r'<td[^>]*data-label="([^"]*)"', row) == columns
        area_tables += set(columns) == areas
    assert area_tables >= 5
    (targets,) = [t for t in tables if "Đạt được / chỉ tiêu" in t.split("<tbody>")[0]]
    assert 'data-label="Đạt được / chỉ tiêu (tỷ lệ %)">29/50 (58%)</td>' in targets
