"""The read-access log of a case, and "who saw my file" for the survivor."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.urls import reverse
from django.utils import translation
from guardian.shortcuts import assign_perm

from accounts.access import CASE_READING_ROLES
from casework import services
from casework.models import Case, CaseAccess
from casework.services import CASE_OBJECT_PERMS
from casework.views.audit import ACCESS_LOG_PAGE_SIZE, access_sentence
from tests.casework.builders import CANARY_NAME, case_a, case_b
from tests.conftest import signed_in

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=HANOI)


def log(case: Case, by, action: str, at: dt.datetime, what: str = "") -> CaseAccess:  # type: ignore[no-untyped-def]
    if by.role in CASE_READING_ROLES:
        access = services.access_record(case=case, by=by, action=action, what=what)
    else:
        # A partner's read is logged by the service only through a referral of the case it may read
        # (tests/referrals cover that path); here only the row matters, as that service writes it.
        access = CaseAccess.objects.create(case=case, survivor_id=case.survivor_id, user=by.user,
                                           organisation=by.organisation, role=by.role, action=action, what=what)
    # The service stamps "now"; the tests need fixed times. CaseAccess refuses update(), so save().
    access.at = at
    access.save()
    return access


def cells(html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
            for row in rows if "<td" in row]


def test_lead_sees_who_opened_the_case_newest_first(cast):
    case = case_a(cast)
    log(case, cast.volunteer_a, CaseAccess.Action.VIEW_CASE, at(2026, 10, 11, 9, 30), "case page")
    log(case, cast.police_officer, CaseAccess.Action.VIEW_REFERRAL, at(2026, 10, 12, 14, 5),
        "shared referral information")
    response = signed_in(cast.lead_a).get(reverse("casework:access-log", args=[case.pk]))
    assert response.status_code == 200
    rows = cells(response.content.decode())
    assert [row[0] for row in rows] == ["12/10/2026 14:05", "11/10/2026 09:30"]
    police, alice = rows
    assert police[1:3] == ["police", "Công an xã Một"]
    # What was read is stored as the English message and shown in the reader's language.
    assert police[5] == "thông tin chuyển gửi được chia sẻ"
    assert alice[1:3] == ["alice", "Địa chỉ tin cậy A"]
    assert alice[3] == str(cast.volunteer_a.get_role_display())
    assert alice[4] == str(CaseAccess.Action.VIEW_CASE.label)
    assert alice[5] == "trang hồ sơ"


def test_access_log_is_paginated(cast):
    case = case_a(cast)
    start = at(2026, 1, 1, 8, 0)
    for minute in range(ACCESS_LOG_PAGE_SIZE + 3):
        log(case, cast.volunteer_a, CaseAccess.Action.VIEW_CASE, start + dt.timedelta(minutes=minute))
    client = signed_in(cast.lead_a)
    first = cells(client.get(reverse("casework:access-log", args=[case.pk])).content.decode())
    second = cells(client.get(reverse("casework:access-log", args=[case.pk]), {"page": 2}).content.decode())
    assert len(first) == ACCESS_LOG_PAGE_SIZE
    assert [row[0] for row in second] == ["01/01/2026 08:02", "01/01/2026 08:01", "01/01/2026 08:00"]
    # A page number out of range or not a number shows a page, never an error.
    assert client.get(reverse("casework:access-log", args=[case.pk]), {"page": "x"}).status_code == 200


def test_access_log_pages_are_not_themselves_recorded_as_reads(cast):
    case = case_a(cast)
    client = signed_in(cast.lead_a)
    client.get(reverse("casework:access-log", args=[case.pk]))
    client.get(reverse("casework:survivor-access", args=[case.pk]))
    assert not CaseAccess.objects.filter(case=case).exists()


def test_volunteer_is_refused_the_access_log_and_the_other_lead_sees_nothing(cast):
    case = case_a(cast)
    for name in ("casework:access-log", "casework:survivor-access"):
        assert signed_in(cast.volunteer_a).get(reverse(name, args=[case.pk])).status_code == 403
        assert signed_in(cast.lead_b).get(reverse(name, args=[case.pk])).status_code == 404


def test_survivor_reads_plain_vietnamese_sentences(cast):
    case = case_a(cast)
    log(case, cast.police_officer, CaseAccess.Action.VIEW_REFERRAL, at(2026, 10, 12, 14, 5))
    log(case, cast.lead_a, CaseAccess.Action.PRINT_SUMMARY, at(2026, 10, 13, 8, 0))
    response = signed_in(cast.lead_a).get(reverse("casework:survivor-access", args=[case.pk]))
    html = response.content.decode()
    sentences = [re.sub(r"\s+", " ", s).strip() for s in re.findall(r"<li>(.*?)</li>", html, flags=re.S)]
    assert sentences == [
        "Ngày 13/10/2026 lúc 08:00, người phụ trách Địa chỉ tin cậy A đã in bản tóm tắt hồ sơ.",
        "Ngày 12/10/2026 lúc 14:05, cán bộ Công an xã Một đã mở thông tin chuyển gửi.",
    ]
    # The scope of the list is said on the page.
    assert "Địa chỉ tin cậy A" in html and "địa chỉ tin cậy khác" in html


def test_sentences_read_naturally_in_english_too(cast):
    case = case_a(cast)
    access = log(case, cast.volunteer_a, CaseAccess.Action.EDIT, at(2026, 3, 1, 7, 45))
    with translation.override("en"):
        assert access_sentence(access) == (
            "On 01/03/2026 at 07:45, a volunteer of Địa chỉ tin cậy A opened the file to update it."
        )


def test_who_saw_my_file_covers_every_case_of_hers_at_this_address_and_no_other(cast):
    first = case_a(cast)
    # She comes back: a second case at address A for the same survivor.
    second = services.case_open(by=cast.volunteer_a, survivor=first.survivor)
    # And a case for her at address B (set up directly: address B cannot find her through the services).
    elsewhere = Case.objects.create(survivor=first.survivor, trusted_address=cast.address_b,
                                    opened_on=first.opened_on)
    for perm in CASE_OBJECT_PERMS:
        assign_perm(perm.value, cast.address_b.group, elsewhere)
    log(first, cast.volunteer_a, CaseAccess.Action.VIEW_CASE, at(2026, 5, 1, 9, 0))
    log(second, cast.volunteer_a, CaseAccess.Action.EDIT, at(2026, 5, 2, 9, 0))
    log(elsewhere, cast.volunteer_b, CaseAccess.Action.VIEW_CASE, at(2026, 5, 3, 9, 0))
    log(case_b(cast), cast.volunteer_b, CaseAccess.Action.VIEW_CASE, at(2026, 5, 4, 9, 0))
    html = signed_in(cast.lead_a).get(reverse("casework:survivor-access", args=[first.pk])).content.decode()
    items = re.findall(r"<li>(.*?)</li>", html, flags=re.S)
    assert len(items) == 2
    assert "02/05/2026" in items[0] and "01/05/2026" in items[1]
    assert "Địa chỉ tin cậy B" not in html


def test_audit_pages_show_no_identifying_data(cast):
    case = case_a(cast)
    log(case, cast.volunteer_a, CaseAccess.Action.VIEW_CASE, at(2026, 5, 1, 9, 0), "case")
    client = signed_in(cast.lead_a)
    for name in ("casework:access-log", "casework:survivor-access"):
        html = client.get(reverse(name, args=[case.pk])).content.decode()
        assert case.survivor.code in html
        for secret in (CANARY_NAME, "654 321", "064190001234", "Thôn Kon, xã Một"):
            assert secret not in html, (name, secret)
