"""DHIS2: the dataValueSets payload, the code mapping, and the push (dry run first)."""

from __future__ import annotations

import io
import json
import urllib.error

import pytest
from django.urls import reverse

from indicators import dhis2, periods
from indicators.report import build_report
from tests.conftest import signed_in
from tests.indicators.builders import release, this_year, three_rapes


def test_the_payload_holds_the_shown_figures_with_codes_and_the_period(cast):
    three_rapes(cast)
    report = build_report(cast.district, periods.current_year())
    data = dhis2.payload(report)
    assert data["period"] == this_year() and data["orgUnit"] == cast.district.code
    values = data["dataValues"]
    assert {
        "dataElement": "P8_SV",
        "period": this_year(),
        "orgUnit": cast.district.code,
        "value": "29",
    } in values
    assert all(set(v) <= {"dataElement", "period", "orgUnit", "value", "categoryOptionCombo"} for v in values)
    sent = {(v["dataElement"], v.get("categoryOptionCombo", ""), v["orgUnit"]) for v in values}
    assert len(sent) == len(values)  # each figure once
    for table in report.tables():
        for row in table.rows:
            for column in table.columns:
                cell = table.cell(row.key, column.key)
                if cell and report.marks[cell].is_hidden and cell[0] == table.code:
                    unit = column.area_key[1:] if column.area_key else cast.district.code
                    element = f"P8_{table.code}" + ("" if column.area_key else f"_{column.key.upper()}")
                    combo = "" if row.key == "all" else row.key.replace(":", "_").replace("-", "_").upper()
                    assert (element, combo, unit) not in sent


def test_the_mapping_file_renames_codes_and_drops_rows(cast, tmp_path, settings):
    three_rapes(cast)
    mapping = {
        "dataSet": "P8_Q",
        "dataElements": {"SV": "SURVIVORS", "SV_SEX": "SURVIVORS_SEX"},
        "categoryOptionCombos": {"sex:female": "NU", "sex:male": None},
        "orgUnits": {f"c{cast.commune1.code}": "KT-XA-MOT"},
    }
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(mapping))
    settings.DHIS2_MAPPING_FILE = str(path)
    report = build_report(cast.commune1, periods.current_year())
    data = dhis2.payload(report)
    assert data["dataSet"] == "P8_Q" and data["orgUnit"] == "KT-XA-MOT"
    values = {(v["dataElement"], v.get("categoryOptionCombo", "")): v["value"] for v in data["dataValues"]}
    assert values[("SURVIVORS", "")] == str(report.figure(("SV", "all", cast.commune1.path)).value)
    female = report.figure(("SV_SEX", "sex:female", cast.commune1.path))
    assert values[("SURVIVORS_SEX", "NU")] == str(female.value)
    assert not any(combo == "SEX_MALE" for _element, combo in values)


def test_a_phase_has_no_dhis2_period(cast):
    with pytest.raises(dhis2.Dhis2Error):
        dhis2.payload(build_report(cast.province, periods.parse("phase1")))


class FakeDhis2:
    """Stands in for urllib.request.urlopen: records the requests, answers import summaries."""

    def __init__(self, *answers: dict) -> None:
        self.answers = list(answers)
        self.requests: list = []

    def __call__(self, request, timeout=None):  # type: ignore[no-untyped-def]
        self.requests.append(request)
        body = json.dumps(self.answers.pop(0)).encode()
        return io.BytesIO(body)


OK_SUMMARY = {
    "httpStatus": "OK",
    "response": {
        "status": "SUCCESS",
        "importCount": {"imported": 40, "updated": 2, "ignored": 0, "deleted": 0},
        "conflicts": [],
    },
}
CONFLICT_SUMMARY = {
    "status": "WARNING",
    "importCount": {"imported": 0, "updated": 0, "ignored": 3, "deleted": 0},
    "conflicts": [{"object": "P8_SV_GBV", "value": "Data element not found"}],
}


@pytest.fixture
def dhis2_server(settings, monkeypatch):  # type: ignore[no-untyped-def]
    settings.DHIS2_URL = "https://dhis2.example.org"
    settings.DHIS2_USERNAME, settings.DHIS2_PASSWORD = "hoi-lhpn", "mat-khau-thu"

    def install(*answers: dict) -> FakeDhis2:
        fake = FakeDhis2(*answers)
        monkeypatch.setattr("urllib.request.urlopen", fake)
        return fake

    return install


def test_a_dry_run_is_sent_and_its_summary_shown_with_a_button_to_import(cast, dhis2_server):
    release()
    fake = dhis2_server(OK_SUMMARY)
    response = signed_in(cast.analyst).post(reverse("indicators:dhis2-push"), {"mode": "dry_run"})
    assert response.status_code == 200
    (request,) = fake.requests
    assert request.full_url.startswith(
        "https://dhis2.example.org/api/dataValueSets?dryRun=true&idScheme=CODE"
    )
    assert request.get_header("Authorization").startswith("Basic ")
    sent = json.loads(request.data)
    assert all(v["value"] not in ("<5", "×") for v in sent["dataValues"])
    (summary,) = response.context["summaries"]
    assert (summary.dry_run, summary.status, summary.imported, summary.updated) == (True, "SUCCESS", 40, 2)
    assert 'value="import"' in response.content.decode()


def test_an_import_runs_a_dry_run_first_and_then_the_real_import(cast, dhis2_server):
    release()
    fake = dhis2_server(OK_SUMMARY, OK_SUMMARY)
    response = signed_in(cast.analyst).post(reverse("indicators:dhis2-push"), {"mode": "import"})
    assert [("dryRun=true" in r.full_url) for r in fake.requests] == [True, False]
    assert [s.dry_run for s in response.context["summaries"]] == [True, False]


def test_an_import_stops_when_the_dry_run_reports_conflicts(cast, dhis2_server):
    release()
    fake = dhis2_server(CONFLICT_SUMMARY)
    response = signed_in(cast.analyst).post(reverse("indicators:dhis2-push"), {"mode": "import"})
    assert len(fake.requests) == 1
    assert response.context["error"]
    assert "Data element not found" in response.content.decode()


def test_an_unreachable_server_or_a_refusal_is_a_clear_message_without_the_password(
    cast, dhis2_server, monkeypatch
):
    release()
    def unreachable(request, timeout=None):  # type: ignore[no-untyped-def]
        raise urllib.error.URLError("connection refused")

    monkeypatch.setattr("urllib.request.urlopen", unreachable)
    response = signed_in(cast.analyst).post(reverse("indicators:dhis2-push"), {"mode": "dry_run"})
    assert response.status_code == 409
    assert "mat-khau-thu" not in response.content.decode()

    def refused(request, timeout=None):  # type: ignore[no-untyped-def]
        raise urllib.error.HTTPError(request.full_url, 401, "Unauthorized", {}, io.BytesIO(b""))

    monkeypatch.setattr("urllib.request.urlopen", refused)
    response = signed_in(cast.analyst).post(reverse("indicators:dhis2-push"), {"mode": "dry_run"})
    assert response.status_code == 409
    assert "401" in response.content.decode()


def test_without_a_configured_server_nothing_is_sent(cast, settings):
    release()
    settings.DHIS2_URL = ""
    response = signed_in(cast.analyst).post(reverse("indicators:dhis2-push"), {"mode": "dry_run"})
    assert response.status_code == 409
    assert response.context["summaries"] == []
