"""GBVIMS practice: only cases with a current consent to anonymised statistics are counted, and the
report says how many were left out; a person with cases at two trusted addresses counts once."""

from __future__ import annotations

from casework import services as cw
from casework.models import SupportService
from indicators import periods
from indicators.disclosure import MAX_PERTURBATION
from indicators.report import build_report
from tests.indicators.builders import add_address, counted_case


def raw(report, table: str, row: str, column) -> int:  # type: ignore[no-untyped-def]
    return report.cells[(table, row, column.path if hasattr(column, "path") else column)].value


def test_a_person_at_two_trusted_addresses_counts_once_in_the_area_and_once_in_each_commune(cast):
    counted_case(cast.volunteer_a, name="Y Thị Hai Nơi", birth_year=1991)
    counted_case(cast.volunteer_b, name="Y Thị Hai Nơi", birth_year=1991)  # same person, another commune
    counted_case(cast.volunteer_b, name="Y Thị Hai Nơi", birth_year=1992)  # another person: other birth year

    report = build_report(cast.district, periods.current_year())
    assert raw(report, "SV", "all", cast.district) == 2
    assert raw(report, "SV", "all", cast.commune1) == 1
    assert raw(report, "SV", "all", cast.commune2) == 2
    assert raw(report, "SV_AGE", "age:18-59", cast.district) == 2


def test_only_cases_with_a_current_consent_to_statistics_are_counted_and_the_rest_are_reported(cast):
    counted_case(cast.volunteer_a, name="Đồng Ý")
    counted_case(cast.volunteer_a, name="Không Đồng Ý", statistics=False)
    withdrawn = counted_case(cast.volunteer_b, name="Rút Lại")
    cw.service_record(
        case=withdrawn,
        by=cast.volunteer_b,
        kind=SupportService.Kind.COUNSELLING,
        provided_on=withdrawn.opened_on,
    )
    consent = withdrawn.consents.get(scope="statistics")
    cw.consent_withdraw(consent=consent, by=cast.volunteer_b, on=withdrawn.opened_on)

    report = build_report(cast.province, periods.current_year(), k=2)
    assert raw(report, "SV", "all", cast.province) == 1
    assert raw(report, "SP", "all", cast.province) == 0  # the withdrawn case's counselling is not counted
    assert raw(report, "SV_EXCLUDED", "all", cast.province) == 2
    # The count left out is protected like a count of people: under k it is "<k"; at k = 2, one of
    # its two cases would be left without either trusted address, so it is hidden.
    assert report.excluded.text == "×"
    assert build_report(cast.province, periods.current_year(), k=5).excluded.text == "<5"


def test_the_left_out_count_is_hidden_while_one_trusted_address_makes_nearly_all_of_it(cast):
    a2 = add_address(cast, "a2", cast.commune1, "Địa chỉ tin cậy A2")
    for number in range(6):
        counted_case(cast.volunteer_a, name=f"Không Đồng Ý {number}", statistics=False)
    counted_case(a2, name="Không Đồng Ý Ở A2 0", statistics=False)
    # 7 cases, 6 of them at one address: without it 1 is left, fewer than k = 5.
    assert build_report(cast.province, periods.current_year()).excluded.text == "×"
    for number in range(1, 5):
        counted_case(a2, name=f"Không Đồng Ý Ở A2 {number}", statistics=False)
    # 11 cases: without the largest address 5 are left.
    excluded = build_report(cast.province, periods.current_year()).excluded
    assert excluded.value is not None and abs(excluded.value - 11) <= MAX_PERTURBATION
