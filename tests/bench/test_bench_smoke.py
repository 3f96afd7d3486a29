"""A tiny run of the casework benchmark (bench/casework.py) on the test database, to prove the script
works. Not a timing test: the benchmark itself runs by hand against its own database."""

from __future__ import annotations

import io

import pytest
from django.db import connection

from bench import casework as bench
from casework.fields import SealedValue
from casework.models import SURVIVOR_CODE_ALPHABET, Case, CaseGroupObjectPermission, Incident, Survivor
from casework.services import CASE_OBJECT_PERMS


@pytest.fixture
def layout(db) -> bench.Layout:
    return bench.fill(cases=200, addresses=10, heavy=40, batch=64, progress_stream=io.StringIO())


def test_fill_spreads_cases_with_a_typical_and_a_heavy_address_and_one_services_built_case(layout):
    assert layout.total_cases == 201  # 200 synthetic + the full case for the case page
    assert layout.typical_cases == 21  # 200 / 10, + the full case
    assert layout.heavy_cases == 40
    assert Case.objects.visible_to(layout.typical).count() == 21
    assert Case.objects.visible_to(layout.heavy).count() == 40
    seen_by_typical = Case.objects.visible_to(layout.typical)
    assert not seen_by_typical.filter(trusted_address=layout.heavy.organisation).exists()
    assert CaseGroupObjectPermission.objects.count() == 201 * len(CASE_OBJECT_PERMS)
    assert Case.assigned_volunteers.through.objects.count() == 201
    assert Incident.objects.count() == 202  # one per synthetic case, two on the full case


def test_bulk_filled_survivors_are_sealed_in_the_database_and_open_on_their_row(layout):
    survivor = Survivor.objects.exclude(code=bench.DETAIL_CODE).order_by("code").first()
    raw_id = survivor.pk.hex if connection.vendor == "sqlite" else survivor.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name FROM casework_survivor WHERE id = %s", [raw_id])
        raw = cursor.fetchone()[0]
    assert raw.startswith("enc.v1.")
    assert isinstance(Survivor.objects.values_list("full_name", flat=True).get(pk=survivor.pk), SealedValue)
    assert len(survivor.full_name.split()) >= 2
    assert survivor.name_birth_year_index
    assert Survivor.history.filter(code=bench.DETAIL_CODE).count() >= 1  # services-built: with history


def test_a_second_fill_to_the_same_size_writes_nothing(layout):
    again = bench.fill(cases=200, addresses=10, heavy=40, batch=64, progress_stream=io.StringIO())
    assert again.filled_now == 0
    assert again.total_cases == 201


def test_the_crypto_measurement_saves_and_reads_survivors_and_rolls_back(layout):
    before = Survivor.history.count()
    figure = bench.measure_crypto(layout, survivors=5)
    assert figure.survivors == 5
    assert figure.service_save_us > figure.encrypt_us > 0
    assert figure.decrypt_us > 0
    assert Survivor.history.count() == before


def test_the_page_measurement_signs_in_as_the_volunteer_and_reads_every_page(layout):
    figures = bench.measure_pages(layout, repeats=1)
    assert [f.status for f in figures] == [200] * len(figures)
    lists = [f for f in figures if f.label.startswith("case list")]
    assert len(lists) == 3  # typical: page 1; heavy: pages 1 and 2 (25 a page)
    assert len({f.queries for f in lists}) == 1  # the same number of queries on every page
    assert lists[0].queries > 0
    assert "case page, full case (services-built)" in [f.label for f in figures]
    assert "Dataset: 201 cases" in bench.table(layout, figures, None)


@pytest.mark.parametrize(("url", "message"), [
    ("postgres://postgres@127.0.0.1:5432/diachi", "must contain “bench”"),
    ("sqlite:///var/db.sqlite3", "needs PostgreSQL"),
])
def test_the_benchmark_refuses_any_database_but_a_postgresql_bench_one(url, message):
    with pytest.raises(bench.BenchError, match=message):
        bench.bench_database_url({"DATABASE_URL": url})


def test_the_default_database_is_the_dedicated_bench_one():
    assert bench.bench_database_url({}) == "postgres://postgres@127.0.0.1:5432/diachi_bench"


def test_synthetic_survivor_codes_are_unique_and_look_like_real_ones():
    codes = [bench.survivor_code(i) for i in range(20_000)]
    assert len(set(codes)) == 20_000
    alphabet = set(bench._CODE_ALPHABET)
    assert all(len(c) == 9 and c[4] == "-" and set(c.replace("-", "")) <= alphabet for c in codes)


def test_the_bench_code_alphabet_is_the_survivor_code_alphabet():
    assert bench._CODE_ALPHABET == SURVIVOR_CODE_ALPHABET


def test_case_addresses_give_the_typical_and_heavy_addresses_their_share():
    plan = bench.case_addresses(cases=100_000, addresses=1400, heavy=2000)
    assert len(plan) == 100_000
    assert plan.count(0) == 71
    assert plan.count(1) == 2000
    assert plan == bench.case_addresses(cases=100_000, addresses=1400, heavy=2000)
