"""``manage.py indicators_report``: the period's report files, with progress."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.indicators.builders import release, this_year, three_rapes


def run(*args: str) -> str:
    out = StringIO()
    call_command("indicators_report", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_writes_the_four_files_for_an_area_and_its_communes_with_progress(cast, tmp_path):
    three_rapes(cast)
    release()
    output = run(
        "--period", this_year(), "--area", f"d{cast.district.code}", "--children", "--output", str(tmp_path)
    )
    names = sorted(path.name for path in tmp_path.iterdir())
    assert len(names) == 12  # district + two communes, four formats each
    district = f"chi-so-du-an-8-d{cast.district.code}-{this_year()}"
    assert (tmp_path / f"{district}.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / f"{district}.xlsx").read_bytes().startswith(b"PK")
    assert "<5" in (tmp_path / f"{district}.csv").read_text(encoding="utf-8-sig")
    assert json.loads((tmp_path / f"{district}.dhis2.json").read_text())["dataValues"]
    assert "[1/3]" in output and "[3/3]" in output and "Wrote 12 files for 3 areas" in output


def test_a_dry_run_writes_nothing(cast, tmp_path):
    release()
    output = run(
        "--period", "phase1", "--output", str(tmp_path / "out"), "--dry-run", "--format", "csv,dhis2"
    )
    assert not (tmp_path / "out").exists()
    assert "Would write 1 files for 1 areas" in output  # a phase has no DHIS2 file


@pytest.mark.parametrize(
    "args",
    [("--period", "2025-13"), ("--period", "2025", "--area", "x1"), ("--period", "2025", "--format", "docx")],
)
def test_bad_arguments_are_refused(cast, args):
    release()
    with pytest.raises(CommandError):
        run(*args)
