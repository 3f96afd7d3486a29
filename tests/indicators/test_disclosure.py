"""The disclosure-control rule (:mod:`indicators.disclosure`): threshold, perturbation, dominance, linked
figures — as a pure function, and through reports built from real cases."""

from __future__ import annotations

import random
import statistics

from django.db.models import Value

from casework.models import Survivor
from indicators import periods, sqlfunctions
from indicators.disclosure import (
    MAX_PERTURBATION,
    PTABLE,
    Cell,
    Kind,
    Mark,
    perturbation,
    protect,
    protect_one,
)
from indicators.report import build_report
from tests.indicators.builders import add_address, counted_case

K = 5


def shown(value: int, key: int, top: int = 0, kind: Kind = Kind.PERSONS, measure: str = "persons"):  # type: ignore[no-untyped-def]
    return protect_one(Cell(value, kind, key=key, top=top, measure=measure), k=K)


def test_a_count_below_k_zero_included_is_small_and_never_a_number():
    for value in range(K):
        for key in (0, 1, 12345, 2**40):
            found = shown(value, key)
            assert (found.mark, found.value) == (Mark.SMALL, None)


def test_a_shown_count_is_never_below_k_and_never_further_than_the_printed_bound():
    rng = random.Random(10)  # noqa: S311 - reproducible test data
    for value in range(K, 300):
        for _ in range(40):
            found = shown(value, rng.getrandbits(40))
            assert found.mark is Mark.SHOWN
            assert found.value >= K and abs(found.value - value) <= MAX_PERTURBATION


def test_the_same_people_always_give_the_same_figure_and_other_measures_their_own_noise():
    rng = random.Random(11)  # noqa: S311 - reproducible test data
    keys = [rng.getrandbits(40) for _ in range(2000)]
    assert all(shown(50, key) == shown(50, key) for key in keys)
    # The services of the same people are not moved by the same amount as the people.
    same = sum(perturbation(key, "persons") == perturbation(key, "services") for key in keys)
    assert same < 0.7 * len(keys)


def test_the_perturbation_follows_its_table_and_is_unbiased_above_k():
    rng = random.Random(12)  # noqa: S311 - reproducible test data
    changes = [perturbation(rng.getrandbits(40)) for _ in range(20000)]
    for change, weight in PTABLE:
        assert abs(changes.count(change) / len(changes) - weight / 256) < 0.01
    assert abs(statistics.mean(changes)) < 0.03
    # One person more changes the cell key, so the figure does not move by a clean +1.
    moves = {shown(40 + 1, key + rng.getrandbits(28)).value - shown(40, key).value for key in range(500)}
    assert len(moves) > 3


def test_a_count_that_is_nearly_one_trusted_address_s_caseload_is_hidden():
    assert shown(12, key=7, top=8).mark is Mark.HIDDEN  # 4 left without the largest address
    assert shown(12, key=7, top=7).mark is Mark.SHOWN  # 5 left
    assert shown(30, key=7, top=30).mark is Mark.HIDDEN  # all from one address
    assert shown(30, key=7, top=26, kind=Kind.EVENTS, measure="sent").mark is Mark.HIDDEN


def test_figures_about_hidden_people_are_hidden_with_them_but_not_the_other_way_round():
    cells = {
        "people": Cell(3, Kind.PERSONS, key=1, top=1),
        "services": Cell(9, Kind.EVENTS, key=1, top=3, measure="services"),
        "nights": Cell(20, Kind.MAGNITUDE, key=1, measure="nights"),
        "addresses": Cell(1, Kind.PUBLIC),
        "more people": Cell(40, Kind.PERSONS, key=2, top=10),
        "their services": Cell(2, Kind.EVENTS, key=2, top=1, measure="services"),
    }
    links = [("people", "services", "nights", "addresses"), ("more people", "their services")]
    marks = {key: found.mark for key, found in protect(cells, k=K, links=links).items()}
    assert marks == {
        "people": Mark.SMALL,
        "services": Mark.HIDDEN,
        "nights": Mark.HIDDEN,
        "addresses": Mark.SHOWN,
        "more people": Mark.SHOWN,
        "their services": Mark.SMALL,
    }


def test_magnitudes_are_changed_by_at_most_a_tenth_and_amounts_rounded_to_thousands():
    for key in range(300):
        nights = protect_one(Cell(200, Kind.MAGNITUDE, key=key, measure="nights"), k=K).value
        amount = protect_one(Cell(5_000_000, Kind.MAGNITUDE, key=key, measure="amount"), k=K).value
        assert 180 <= nights <= 220
        assert 4_500_000 <= amount <= 5_500_000 and amount % 1000 == 0


def test_six_cases_at_one_address_and_one_of_the_same_women_at_another_are_hidden(cast):
    """The probe's example: shown before as "6, from 2 addresses" — exactly the first address's caseload."""
    a2 = add_address(cast, "a2", cast.commune1, "Địa chỉ tin cậy A2")
    for number in range(6):
        counted_case(cast.volunteer_a, name=f"Người Thứ {number}", birth_year=1990)
    counted_case(a2, name="Người Thứ 0", birth_year=1990)  # the same woman, at a second address
    report = build_report(cast.commune1, periods.current_year(), k=K)
    cell = report.cells[("SV", "all", cast.commune1.path)]
    assert (cell.value, cell.top) == (6, 6)
    assert report.indicator("SV_NEW").text == "×"
    for number in range(5):
        counted_case(a2, name=f"Người Ở A2 {number}", birth_year=1991)
    report = build_report(cast.commune1, periods.current_year(), k=K)
    cell = report.cells[("SV", "all", cast.commune1.path)]
    assert (cell.value, cell.top) == (11, 6)
    assert abs(report.indicator("SV_NEW").value - 11) <= MAX_PERTURBATION


def test_a_figure_has_one_value_in_its_own_report_its_area_s_and_its_period_s(cast):
    b2 = add_address(cast, "b2", cast.commune2, "Địa chỉ tin cậy B2")
    for number in range(14):
        counted_case([cast.volunteer_b, b2][number % 2], name=f"Người Xã Hai {number}", days_ago=number)
    year = periods.current_year()
    district = build_report(cast.district, year, k=K)
    commune = build_report(cast.commune2, year, k=K)
    shown_here = [
        (cell_id, district.figure(cell_id).text)
        for cell_id in district.cells
        if cell_id[2] == cast.commune2.path and cell_id in commune.cells
    ]
    assert shown_here and all(commune.figure(cell_id).text == text for cell_id, text in shown_here)
    assert any(text.isdigit() for _cell, text in shown_here)
    for sub in year.children():
        own = build_report(cast.commune2, sub, k=K).figure(("SV", "all", cast.commune2.path))
        assert commune.figure(("SV_PERIOD", sub.code, cast.commune2.path)).text == own.text


def test_the_record_key_is_the_same_in_the_database_and_in_python(cast):
    counted_case(cast.volunteer_a, name="Khoá Bản Ghi")
    survivor = Survivor.objects.get()
    found = (
        Survivor.objects.annotate(
            stored=sqlfunctions.RecordKey(sqlfunctions.PersonKey(Value(survivor.name_birth_year_index)))
        )
        .values_list("stored", flat=True)
        .get()
    )
    assert found == sqlfunctions.record_key(survivor.name_birth_year_index)
    assert 0 <= found < 2**28
