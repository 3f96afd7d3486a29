"""The demo: seed_demo adds plan targets, and the demo analyst's dashboard and downloads show real
figures, hidden cells and targets against results — and nothing about a person."""

from __future__ import annotations

import io
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from accounts.models import AdminUnit, Membership
from casework.models import Survivor
from indicators import periods
from indicators.disclosure import Kind, Mark
from indicators.forms import default_period
from indicators.models import PlanTarget, Release
from indicators.report import build_report
from portal import demo as portal_demo
from portal.demo.indicators import build_demo_release, build_demo_targets
from tests.conftest import signed_in


def seed() -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker) -> Iterator[str]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once: str, db) -> str:
    return seeded_once


def test_seed_demo_sets_targets_and_releases_last_so_the_figures_count_every_demo_case_and_referral():
    assert portal_demo.BUILDERS[-2:] == (build_demo_targets, build_demo_release)


def test_seed_demo_sets_plan_targets_for_the_province_and_a_district_once(seeded):
    assert "Plan targets: 15 created, 0 already there" in seeded
    assert set(PlanTarget.objects.values_list("area__code", flat=True)) == {"62", "613"}
    assert PlanTarget.objects.get(area__code="62", indicator="TA_NEW", period="phase1").target == 6
    assert "Plan targets: 0 created, 15 already there" in seed()


def test_seed_demo_releases_every_due_period_so_the_dashboard_shows_figures_at_once(seeded):
    due = {period.code for period in periods.due()}
    assert set(Release.objects.values_list("period", flat=True)) == due
    assert f"Releases of figures: {len(due)} created, 0 already there" in seeded
    analyst = Membership.objects.get(user__username="phantich")
    response = signed_in(analyst).get(reverse("indicators:dashboard"))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.period == default_period(Release.objects.periods()) and report.period.kind == "quarter"
    assert report.cells[("SV", "all", report.area.path)].value > 0
    assert "Số liệu công bố ngày" in response.content.decode()
    with translation.override("en"):
        again = seed()
    assert f"Releases of figures: 0 created, {len(due)} already there" in again


def test_the_demo_analyst_sees_figures_hidden_cells_and_targets_against_results(seeded):
    analyst = Membership.objects.get(user__username="phantich")
    response = signed_in(analyst).get(reverse("indicators:dashboard"), {"period": "phase1"})
    assert response.status_code == 200
    report = response.context["report"]
    shown_people = [
        report.cells[c].value
        for c, mark in report.marks.items()
        if mark is Mark.SHOWN and report.cells[c].kind is Kind.PERSONS
    ]
    assert max(shown_people) >= 10
    assert any(mark is Mark.SMALL for mark in report.marks.values())
    assert any(mark is Mark.HIDDEN for mark in report.marks.values())
    targets = {line.indicator.code: line for line in report.targets}
    assert targets["TA_NEW"].achieved.text == "5" and targets["TA_NEW"].percent.text == "83%"
    assert "5/6 (83%)" in response.content.decode()


def test_no_shown_count_of_people_is_under_k_or_from_a_single_trusted_address(seeded):
    for code in ("phase1", periods.current_year().code):
        for unit_code in ("62", "613", "23479", "23482"):
            area = AdminUnit.objects.get(code=unit_code)
            report = build_report(area, periods.parse(code))
            for cell_id, mark in report.marks.items():
                cell = report.cells[cell_id]
                if cell.kind is Kind.PERSONS and mark is Mark.SHOWN:
                    assert cell.value - cell.top >= report.k, (area, code, cell_id)


def test_the_demo_analysts_four_downloads_name_nobody(seeded):
    analyst = Membership.objects.get(user__username="phantich")
    client = signed_in(analyst)
    survivors = list(Survivor.objects.all())
    codes = [s.code for s in survivors]
    names = [s.full_name for s in survivors]
    texts = []
    for name, params in (
        ("indicators:download-csv", {"period": "phase1"}),
        ("indicators:download-dhis2", {"period": "2025"}),
        ("indicators:dashboard", {"period": "phase1"}),
    ):
        response = client.get(reverse(name), params)
        assert response.status_code == 200
        texts.append(response.content.decode("utf-8-sig"))
    workbook = load_workbook(io.BytesIO(client.get(reverse("indicators:download-xlsx")).content))
    texts.append(" ".join(str(c.value) for sheet in workbook for row in sheet.iter_rows() for c in row))
    pdf = client.get(reverse("indicators:download-pdf"), {"period": "phase1"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for text in texts:
        assert not any(code in text for code in codes)
        assert not any(name in text for name in names)
