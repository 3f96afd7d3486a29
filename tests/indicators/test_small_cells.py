"""A commune with three survivors of rape (k = 5): every output shows "<5" for them and the same protected
figures as the report — on the dashboard, in the CSV, the XLSX, the PDF and the DHIS2 payload. Nine
survivors of physical assault, five of them at one trusted address, are hidden ("×"): without that
address four would be left."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from casework.gbv import GBVType
from indicators import dhis2, periods
from indicators.disclosure import MAX_PERTURBATION
from indicators.report import build_report
from tests.conftest import signed_in
from tests.indicators.builders import release, this_year, three_rapes

GBV_ROWS = [str(label) for _value, label in GBVType.choices]


@pytest.fixture
def commune(cast):  # type: ignore[no-untyped-def]
    three_rapes(cast)
    release()  # the outputs read the period's release
    return {"area": "c" + cast.commune1.code, "period": this_year()}


def gbv_figures(cast, period: str, column) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What the report shows in the GBV table for ``column``, by English row label."""
    with translation.override("en"):
        report = build_report(cast.commune1 if column == cast.commune1 else cast.district, periods.parse(period))
        table = next(t for t in report.tables() if t.code == "SV_GBV")
        return {row.label: report.figure(table.cells[(row.key, column.path)]).text for row in table.rows}


def assert_protected(shown: dict[str, str], cast, period: str, column=None) -> None:  # type: ignore[no-untyped-def]
    """The rape cell is "<5", physical assault "×", and the output shows what the report shows."""
    assert shown["Rape"] == "<5"
    assert shown["Physical assault"] == "×"
    assert shown == gbv_figures(cast, period, column or cast.commune1)


def test_the_report_marks_the_three_rapes_small_and_hides_one_address_s_caseload(cast, commune):
    report = build_report(cast.commune1, periods.parse(commune["period"]), k=5)
    path = cast.commune1.path
    rape = report.figure(("SV_GBV", "gbv:rape", path))
    assert (rape.text, rape.value) == ("<5", None)
    assert report.cells[("SV_GBV", "gbv:rape", path)].value == 3
    everyone = report.figure(("SV", "all", path))
    assert abs(everyone.value - 17) <= MAX_PERTURBATION
    assert report.figure(("SV_GBV", "gbv:physical_assault", path)).text == "×"
    assert report.figure(("SV_GBV", "gbv:psychological_abuse", path)).text == "×"


def english(membership):  # type: ignore[no-untyped-def]
    client = signed_in(membership)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _html_table(content: str, caption: str) -> dict[str, list[str]]:
    block = re.search(r"<caption>" + re.escape(caption) + r"</caption>(.*?)</table>", content, re.S).group(1)
    rows = {}
    for label, cells in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', block, re.S):
        rows[html.unescape(label.strip())] = [
            html.unescape(t.strip()) for t in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        ]
    return rows


def test_the_dashboard_shows_less_than_five_and_the_report_s_figures(cast, commune):
    response = english(cast.supervisor).get(reverse("indicators:dashboard"), commune)
    assert response.status_code == 200
    rows = _html_table(response.content.decode(), "By GBVIMS type of incident")
    assert_protected({label: cells[0] for label, cells in rows.items()}, cast, commune["period"])


def test_the_district_dashboard_shows_the_same_marks_in_the_communes_column(cast, commune):
    response = english(cast.analyst).get(
        reverse("indicators:dashboard"), {"area": "d" + cast.district.code, "period": commune["period"]}
    )
    rows = _html_table(response.content.decode(), "By GBVIMS type of incident")
    # Columns: total, Xã Một, Xã Hai.
    assert_protected({label: cells[1] for label, cells in rows.items()}, cast, commune["period"])


def test_the_csv_shows_less_than_five_and_the_report_s_figures(cast, commune):
    response = english(cast.supervisor).get(reverse("indicators:download-csv"), commune)
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    start = next(n for n, line in enumerate(lines) if line and line[0] == "By GBVIMS type of incident")
    column = {}
    for line in lines[start + 2 :]:
        if len(line) < 4:  # the blank line after the table, or its note
            break
        # The commune's figure and its flag: one of the two, never both.
        value, flag = line[2], line[3]
        assert bool(value) != bool(flag), line
        column[line[0].strip()] = flag or value
    assert_protected(column, cast, commune["period"])


def test_the_xlsx_shows_less_than_five_and_the_report_s_figures(cast, commune):
    response = english(cast.supervisor).get(reverse("indicators:download-xlsx"), commune)
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["Survivors supported"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    start = next(n for n, row in enumerate(values) if row[0] == "By GBVIMS type of incident")
    column = {}
    for row in values[start + 2 :]:
        if row[0] is None or (row[2] is None and row[3] is None):  # the blank line after the table, or its note
            break
        # The commune's figure (a number) and its flag: one of the two, never both.
        value, flag = row[2], row[3]
        assert (value is None) != (flag is None), row
        assert value is None or isinstance(value, int)
        column[str(row[0]).strip()] = flag or str(value)
    assert_protected(column, cast, commune["period"])
    # The marks are text, never formulas.
    texts = [cell for row in sheet.iter_rows() for cell in row if cell.value in ("<5", "×")]
    assert texts and all(cell.data_type == "s" for cell in texts)


def test_the_pdf_shows_less_than_five_and_the_report_s_figures(cast, commune, tmp_path: Path):
    response = signed_in(cast.supervisor).get(reverse("indicators:download-pdf"), commune)
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(response.content)
    command = [shutil.which("pdftotext"), "-layout", "-enc", "UTF-8", str(path), "-"]
    text = subprocess.run(command, capture_output=True, check=True, text=True).stdout  # noqa: S603
    with translation.override("vi"):
        rape, physical, psychological = (
            str(t.label) for t in (GBVType.RAPE, GBVType.PHYSICAL_ASSAULT, GBVType.PSYCHOLOGICAL_ABUSE)
        )
        title = gettext("By GBVIMS type of incident")
    section = text[text.index(title) :]

    def line(label: str) -> str:
        return next(text for text in section.splitlines() if text.strip().startswith(label))

    assert line(rape).split()[-1] == "<5"
    assert line(physical).split()[-1] == "×"
    assert line(psychological).split()[-1] == "×"
    assert "BÁO CÁO" in text


def test_the_dhis2_payload_never_carries_the_hidden_cells(cast, commune):
    response = signed_in(cast.supervisor).get(reverse("indicators:download-dhis2"), commune)
    assert response.status_code == 200
    data = response.json()
    values = {
        (v["dataElement"], v.get("categoryOptionCombo", ""), v["orgUnit"]): v["value"]
        for v in data["dataValues"]
    }
    unit = cast.commune1.code
    report = build_report(cast.commune1, periods.parse(commune["period"]))
    assert ("P8_SV_GBV", "GBV_RAPE", unit) not in values
    assert ("P8_SV_GBV", "GBV_PSYCHOLOGICAL_ABUSE", unit) not in values
    assert ("P8_SV_GBV", "GBV_PHYSICAL_ASSAULT", unit) not in values
    assert values[("P8_SV", "", unit)] == str(report.figure(("SV", "all", cast.commune1.path)).value)
    assert all(v["value"] not in ("<5", "×") for v in data["dataValues"])
    assert len(data["dataValues"]) == len(dhis2.payload(report)["dataValues"])
