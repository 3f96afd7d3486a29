"""The case list: search through the blind indexes only, filters, pagination, constant queries; and the
supervisor's de-identified list."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework import services
from casework.fields import encrypted_fields
from casework.models import Case, Survivor
from tests.casework.builders import CANARY_NAME, CANARY_PHONE, case_a, case_b, open_case
from tests.conftest import signed_in

LIST = reverse("casework:case-list")
SUPERVISION = reverse("casework:supervision-list")


def codes_in(response) -> list[str]:
    return [case.survivor.code for case in response.context["page"]]


def child_case(by, *, days_ago: int = 10) -> Case:
    today = timezone.localdate()
    return services.case_open(
        by=by, opened_on=today - dt.timedelta(days=days_ago),
        survivor_fields={"full_name": "Y Bé", "birth_year": today.year - 10, "sex": "female"},
    )


# --- Search ---------------------------------------------------------------------------------------


def test_alice_finds_a_case_by_its_whole_code_in_either_case(cast):
    a = case_a(cast)
    open_case(cast.volunteer_a, full_name="Y Thị Khác")
    client = signed_in(cast.volunteer_a)
    code = a.survivor.code
    assert codes_in(client.get(LIST, {"q": code})) == [code]
    assert codes_in(client.get(LIST, {"q": f" {code.lower()} "})) == [code]


@pytest.mark.parametrize("partial", [
    lambda code: code[:3],  # the beginning of a code: "Thanh" used to be read as one
    lambda code: code[:6],
    lambda code: code.replace("-", ""),  # an eight-letter name fits the alphabet just as well
    lambda code: code.replace("-", " "),  # so do two four-letter words
    lambda code: f"{code[:4]} - {code[5:]}",
    lambda code: code.replace("-", "–"),
])
def test_only_a_whole_code_is_searched_from_the_address(cast, partial):
    a = case_a(cast)
    response = signed_in(cast.volunteer_a).get(LIST, {"q": partial(a.survivor.code)})
    assert response.status_code == 200
    assert response.context["form"].errors["q"] == ["Tìm theo tên hoặc số điện thoại bằng nút Tìm kiếm."]
    assert codes_in(response) == []


def test_a_code_typed_without_its_hyphen_is_not_a_code_search_and_gets_a_hint(cast):
    a = case_a(cast)
    response = signed_in(cast.volunteer_a).post(LIST, {"q": a.survivor.code.replace("-", "").lower()})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["q"] == ["Để tìm theo mã, hãy gõ đủ mã có dấu gạch ngang, ví dụ ACDE-FGHJ."]
    assert errors["birth_year"] == ["Để tìm theo tên, hãy nhập thêm năm sinh của chị ấy."]


def test_a_posted_code_search_is_redirected_to_a_plain_address(cast):
    a = case_a(cast)
    response = signed_in(cast.volunteer_a).post(LIST, {"q": a.survivor.code.lower(), "status": "open"})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?q={a.survivor.code}&status=open"


def test_a_name_is_found_with_the_birth_year_whatever_the_accents_or_unicode_form(cast):
    a = case_a(cast)
    client = signed_in(cast.volunteer_a)
    for typed in ("ho thi canary zyx", "  HỜ   THỊ canary ZYX ", unicodedata.normalize("NFD", CANARY_NAME)):
        response = client.post(LIST, {"q": typed, "birth_year": "1990"})
        # Answered directly, never redirected: the name must not reach a URL.
        assert response.status_code == 200
        assert codes_in(response) == [a.survivor.code]
    assert codes_in(client.post(LIST, {"q": "ho thi canary zyx", "birth_year": "1991"})) == []


def test_a_phone_number_is_found_whatever_way_it_is_written(cast):
    a = case_a(cast)
    client = signed_in(cast.volunteer_a)
    for typed in ("+84 987-654-321", "84987654321", CANARY_PHONE.replace(" ", "")):
        response = client.post(LIST, {"q": typed})
        assert response.status_code == 200
        assert codes_in(response) == [a.survivor.code]


def test_the_list_searches_only_the_blind_indexes_and_never_decrypts(cast, monkeypatch):
    a = case_a(cast)

    def refuse(*args, **kwargs):
        raise AssertionError("the case list decrypted a value")

    monkeypatch.setattr("casework.fields.decrypt_text", refuse)
    client = signed_in(cast.volunteer_a)
    for response in (client.get(LIST), client.post(LIST, {"q": CANARY_NAME, "birth_year": "1990"}),
                     client.post(LIST, {"q": CANARY_PHONE})):
        assert a.survivor.code in response.content.decode()


def test_a_survivor_of_address_b_is_never_found_by_alice(cast):
    b = case_b(cast)
    case_a(cast)
    client = signed_in(cast.volunteer_a)
    assert codes_in(client.post(LIST, {"q": "Nguyễn Thị B", "birth_year": "1988"})) == []
    assert codes_in(client.get(LIST, {"q": b.survivor.code})) == []
    assert b.survivor.code not in client.get(LIST).content.decode()
    # Charlie, at address B, does find her.
    assert codes_in(signed_in(cast.volunteer_b).post(LIST, {"q": "nguyen thi b", "birth_year": "1988"})) == [
        b.survivor.code]


def test_a_name_in_the_address_bar_is_not_searched(cast):
    case_a(cast)
    response = signed_in(cast.volunteer_a).get(LIST, {"q": "Ho Thi Canary Zyx", "birth_year": "1990"})
    assert response.status_code == 200
    assert response.context["form"].errors["q"] == ["Tìm theo tên hoặc số điện thoại bằng nút Tìm kiếm."]
    assert codes_in(response) == []


def test_a_name_without_a_birth_year_asks_for_the_year(cast):
    case_a(cast)
    response = signed_in(cast.volunteer_a).post(LIST, {"q": "Hờ Thị Canary"})
    assert response.status_code == 200
    assert response.context["form"].errors["birth_year"] == [
        "Để tìm theo tên, hãy nhập thêm năm sinh của chị ấy."]
    # What was typed is kept in the form.
    assert 'value="Hờ Thị Canary"' in response.content.decode()


def test_a_malformed_phone_number_says_so(cast):
    response = signed_in(cast.volunteer_a).post(LIST, {"q": "0123"})
    assert response.status_code == 200
    assert "q" in response.context["form"].errors


# --- Filters --------------------------------------------------------------------------------------


def test_filters_by_status_risk_and_opening_date(cast):
    a = case_a(cast)  # assessed at medium risk, opened 3 days ago
    a.refresh_from_db()
    other = open_case(cast.volunteer_a, full_name="Y Thị Hai")
    services.case_close(case=other, by=cast.lead_a, reason=Case.ClosureReason.SAFE)
    client = signed_in(cast.volunteer_a)
    assert codes_in(client.get(LIST, {"status": "closed"})) == [other.survivor.code]
    assert codes_in(client.get(LIST, {"status": "open"})) == [a.survivor.code]
    assert codes_in(client.get(LIST, {"risk": a.risk_level})) == [a.survivor.code]
    assert codes_in(client.get(LIST, {"risk": "none"})) == [other.survivor.code]
    today = timezone.localdate()
    assert codes_in(client.get(LIST, {"opened_from": (today - dt.timedelta(days=2)).isoformat()})) == []
    assert len(codes_in(client.get(LIST, {"opened_to": today.strftime("%d/%m/%Y")}))) == 2


def test_open_tasks_lists_child_cases_without_a_support_plan_overdue_first(cast):
    case_a(cast)
    recent = child_case(cast.volunteer_a, days_ago=1)
    late = child_case(cast.volunteer_a, days_ago=10)
    done = child_case(cast.volunteer_a, days_ago=12)
    services.support_plan_mark_done(case=done, by=cast.volunteer_a)
    response = signed_in(cast.volunteer_a).get(LIST, {"open_tasks": "1"})
    assert codes_in(response) == [late.survivor.code, recent.survivor.code]
    assert [c.support_plan_overdue for c in response.context["page"]] == [True, False]


def test_an_overdue_support_plan_is_flagged_in_the_list(cast):
    late = child_case(cast.volunteer_a, days_ago=10)
    html = signed_in(cast.volunteer_a).get(LIST).content.decode()
    row = re.search(rf'{late.survivor.code}.*?</li>', html, re.S).group(0)
    assert "Kế hoạch hỗ trợ quá hạn" in row


@pytest.mark.parametrize("params, field", [
    ({"opened_from": "31/02/2025"}, "opened_from"),
    ({"opened_from": "hôm qua"}, "opened_from"),
    ({"status": "lost"}, "status"),
    ({"risk": "extreme"}, "risk"),
    ({"opened_from": "2025-05-02", "opened_to": "2025-05-01"}, "opened_to"),
])
def test_bad_filter_input_is_explained_not_a_server_error(cast, params, field):
    case_a(cast)
    response = signed_in(cast.volunteer_a).get(LIST, params)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="errors"' in response.content.decode()


def test_the_list_is_paginated_by_25(cast):
    for n in range(27):
        open_case(cast.volunteer_a, full_name=f"Y Thị {n}")
    client = signed_in(cast.volunteer_a)
    first, second = client.get(LIST), client.get(LIST, {"page": "2"})
    assert len(codes_in(first)) == 25
    assert len(codes_in(second)) == 2
    assert not set(codes_in(first)) & set(codes_in(second))
    assert 'href="?page=2"' in first.content.decode()
    # A page that does not exist shows the last one rather than an error.
    assert codes_in(client.get(LIST, {"page": "99"})) == codes_in(second)


def test_the_list_shows_no_names_and_a_constant_number_of_queries(cast, django_assert_max_num_queries):
    case_a(cast)
    client = signed_in(cast.volunteer_a)
    client.get(LIST)  # warm the session

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(LIST)
        assert CANARY_NAME not in response.content.decode()
        return len(ctx.captured_queries)

    few = queries_for_list()
    for n in range(29):
        case = open_case(cast.volunteer_a, full_name=f"Y Thị {n}")
        services.case_assign(case=case, by=cast.lead_a, volunteers=[cast.volunteer_a, cast.lead_a])
    assert queries_for_list() == few
    # The page itself costs two queries (count, rows); the rest is sign-in, the acting membership, the
    # session renewal and the notification counter in the page header.
    with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(12):
        client.get(LIST, {"status": "open", "risk": "none", "page": "2"})
    assert len([q for q in ctx.captured_queries if "casework_" in q["sql"]]) == 2


def test_the_row_counts_the_people_assigned(cast):
    a = case_a(cast)
    services.case_assign(case=a, by=cast.lead_a, volunteers=[cast.volunteer_a, cast.lead_a])
    response = signed_in(cast.volunteer_a).get(LIST)
    assert [c.volunteer_count for c in response.context["page"]] == [2]


# --- Supervision ----------------------------------------------------------------------------------


def _encrypted_columns() -> set[str]:
    from django.apps import apps

    models = apps.get_app_config("casework").get_models()
    return {f.column for model in models for f in encrypted_fields(model)}


def test_the_supervisor_sees_codes_dates_status_and_risk_but_no_personal_data(cast):
    a, b = case_a(cast), case_b(cast)
    client = signed_in(cast.supervisor)
    client.get(SUPERVISION)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(SUPERVISION)
    html = response.content.decode()
    assert response.status_code == 200
    assert a.survivor.code in html and b.survivor.code in html
    assert "Địa chỉ tin cậy A" in html and "Địa chỉ tin cậy B" in html
    for secret in (CANARY_NAME, "Nguyễn Thị B", CANARY_PHONE, "064190001234", "Anh ta đánh"):
        assert secret not in html
    assert reverse("casework:case-detail", kwargs={"pk": a.pk}) not in html
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "casework_survivor" in sql
    for column in _encrypted_columns():
        assert f'"{column}"' not in sql, column


def test_the_supervisor_filters_by_trusted_address_and_status(cast):
    a, b = case_a(cast), case_b(cast)
    services.case_close(case=b, by=cast.lead_b, reason=Case.ClosureReason.MOVED)
    client = signed_in(cast.supervisor)

    def codes(params):
        return [row["survivor__code"] for row in client.get(SUPERVISION, params).context["entries"]]

    assert codes({"trusted_address": str(cast.address_a.pk)}) == [a.survivor.code]
    assert codes({"status": "closed"}) == [b.survivor.code]
    assert codes({"trusted_address": str(cast.address_a.pk), "status": "closed"}) == []
    response = client.get(SUPERVISION, {"trusted_address": "not-an-address", "status": "gone"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"trusted_address", "status"}


def test_a_supervisor_elsewhere_sees_none_of_these_cases(cast):
    from accounts.models import AdminUnit, Organisation, Role
    from tests import factories as f

    case_a(cast)
    other_district = f.unit(AdminUnit.Level.DISTRICT, "Huyện Khác", cast.province)
    union = f.organisation(Organisation.Kind.WOMENS_UNION_DISTRICT, other_district, "Hội LHPN huyện Khác")
    response = signed_in(f.member(Role.UNION_SUPERVISOR, union, "other-supervisor")).get(SUPERVISION)
    assert response.context["entries"] == []
    assert Survivor.objects.count() == 1
