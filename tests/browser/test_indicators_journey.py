"""The provincial analyst of the demo, in a real browser on a phone: signs in with the second step, opens
the indicators from the home page, picks the newest released year, and downloads the four files — none of which shows a
count of people under k or anything that names a person."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from accounts.demo import DEFAULT_PASSWORD, current_code, demo_device_for
from casework.models import Survivor
from indicators.models import Release
from tests.browser.conftest import ARTIFACTS, PHONE
from tests.browser.test_login_roles import submit_login_form
from tests.casework.test_pdf import pdf_text as read_pdf_text

pytestmark = pytest.mark.browser

ANALYST = "phantich"


def _download(page: Page, name: str, tmp_path: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("link", name=name, exact=True).click()
    download = info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return path


def _person_texts(survivors: list[Survivor]) -> list[str]:
    """What would name a person: every survivor's code, full name and phone, decrypted here."""
    return [text for s in survivors for text in (s.code, s.full_name, s.phone) if text]


def test_the_demo_analyst_reads_the_dashboard_and_downloads_the_four_files(
    live_server, phone_page, requested_urls, tmp_path
):
    call_command("seed_demo", stdout=io.StringIO())  # ends by releasing every period that is due
    k = settings.INDICATORS_MIN_CELL
    year = next(period for period in Release.objects.periods() if period.kind == "year")  # the newest released

    submit_login_form(phone_page, live_server.url, ANALYST, DEFAULT_PASSWORD)
    code, _seconds_left = current_code(demo_device_for(ANALYST))
    phone_page.locator("input[name=token]").fill(code)
    phone_page.get_by_role("button", name="Tiếp tục", exact=True).click()
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Trang chủ")

    phone_page.get_by_role("link", name=re.compile("^Chỉ tiêu")).click()
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Chỉ tiêu Dự án 8")
    phone_page.get_by_label("Kỳ báo cáo").select_option(year.code)
    phone_page.get_by_role("button", name="Xem", exact=True).click()
    expect(phone_page.locator(".ind-subtitle")).to_contain_text("Tỉnh Kon Tum")
    expect(phone_page.locator(".ind-subtitle")).to_contain_text(str(year.label))
    expect(phone_page.locator(".ind-release")).to_contain_text("Số liệu công bố ngày")
    # Real figures, and small counts of people shown as "<k", never as numbers.
    expect(phone_page.get_by_text(f"<{k}").first).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    phone_page.screenshot(path=ARTIFACTS / "indicators-phone.png", full_page=True)
    dashboard_text = phone_page.locator("main").inner_text()

    pdf = _download(phone_page, "Báo cáo PDF", tmp_path)
    xlsx = _download(phone_page, "Excel (XLSX)", tmp_path)
    csv_file = _download(phone_page, "CSV", tmp_path)
    dhis2 = _download(phone_page, "DHIS2 (JSON)", tmp_path)

    # Each file is what it says it is, in Vietnamese, with the suppression rule.
    assert pdf.read_bytes().startswith(b"%PDF")
    pdf_text = read_pdf_text(pdf.read_bytes(), tmp_path)
    assert "BÁO CÁO" in pdf_text and f"<{k}" in pdf_text

    workbook = load_workbook(xlsx)
    xlsx_cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert any(cell.value == f"<{k}" for cell in xlsx_cells)
    # Formula injection: no cell of the workbook is a formula.
    assert not any(cell.data_type == "f" for cell in xlsx_cells)
    xlsx_text = " ".join(str(cell.value) for cell in xlsx_cells)

    csv_text = csv_file.read_text(encoding="utf-8-sig")
    assert any(f"<{k}" in row for row in csv.reader(io.StringIO(csv_text)))

    payload = json.loads(dhis2.read_text(encoding="utf-8"))
    assert payload["period"] == year.dhis2 and payload["dataValues"]
    # Only shown cells travel to DHIS2: every count of people sent (survivors by each breakdown, people
    # given support) is at least k; trusted addresses, partners and models are not people.
    people = [v for v in payload["dataValues"] if v["dataElement"].startswith("P8_SV") or v["dataElement"] == "P8_SP"]
    # (The demo's province is small: a year's counts of people may all be hidden, so none travel.)
    assert all(int(v["value"]) >= k for v in people), people
    assert any(v["dataElement"].startswith("P8_TA") for v in payload["dataValues"])

    # Nothing names a person, in the page or in any file.
    survivors = list(Survivor.objects.all())
    assert survivors
    for text in (dashboard_text, pdf_text, xlsx_text, csv_text, json.dumps(payload, ensure_ascii=False)):
        assert not [t for t in _person_texts(survivors) if t in text]

    server = urlsplit(live_server.url)
    assert [u for u in requested_urls if urlsplit(u)[:2] != (server.scheme, server.netloc)] == []
