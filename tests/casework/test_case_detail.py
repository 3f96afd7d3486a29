"""The case page: the survivor's details decrypted for her trusted address only, the child support-plan
task, actions by role, the timeline, and a read logged for every view."""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework import services
from casework.models import Case, CaseAccess, Consent
from tests.casework.builders import CANARY_NAME, CANARY_PHONE, case_a, open_case
from tests.conftest import signed_in


def detail_url(case: Case) -> str:
    return reverse("casework:case-detail", kwargs={"pk": case.pk})


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def child_case(by, *, days_ago: int = 10) -> Case:
    today = timezone.localdate()
    return services.case_open(
        by=by, opened_on=today - dt.timedelta(days=days_ago),
        survivor_fields={"full_name": "Y Bé", "birth_year": today.year - 10, "sex": "female"},
    )


def test_the_case_page_shows_her_details_and_a_title_with_the_code_only(cast):
    a = case_a(cast)
    response = signed_in(cast.volunteer_a).get(detail_url(a))
    html = response.content.decode()
    assert response.status_code == 200
    assert CANARY_NAME in html
    assert CANARY_PHONE in html
    assert title_of(html).startswith(f"Hồ sơ {a.survivor.code}")
    assert CANARY_NAME not in title_of(html)


def test_every_view_of_the_case_page_is_logged(cast):
    a = case_a(cast)
    client = signed_in(cast.volunteer_a)
    client.get(detail_url(a))
    client.get(detail_url(a))
    log = list(CaseAccess.objects.filter(case=a).values_list("user__username", "action", "what", "role"))
    assert log == [("alice", CaseAccess.Action.VIEW_CASE, "case page", "volunteer")] * 2


def test_a_foreign_case_is_not_found_and_nothing_is_logged(cast):
    a = case_a(cast)
    response = signed_in(cast.volunteer_b).get(detail_url(a))
    assert response.status_code == 404
    assert CANARY_NAME not in response.content.decode()
    assert not CaseAccess.objects.exists()


def test_the_volunteer_sees_recording_actions_but_not_the_leads(cast):
    a = case_a(cast)
    html = signed_in(cast.volunteer_a).get(detail_url(a)).content.decode()
    for name in ("survivor-edit", "incident-create", "consent-create", "risk-create", "safety-plan-edit",
                 "service-create", "livelihood-create", "note-create"):
        assert reverse(f"casework:{name}", kwargs={"pk": a.pk}) in html, name
    for name in ("case-close", "case-reopen", "case-assign", "access-log", "survivor-access"):
        assert reverse(f"casework:{name}", kwargs={"pk": a.pk}) not in html, name


def test_the_lead_sees_close_assign_and_the_access_logs(cast):
    a = case_a(cast)
    html = signed_in(cast.lead_a).get(detail_url(a)).content.decode()
    for name in ("case-close", "case-assign", "access-log", "survivor-access"):
        assert reverse(f"casework:{name}", kwargs={"pk": a.pk}) in html, name
    services.case_close(case=a, by=cast.lead_a, reason=Case.ClosureReason.SAFE)
    html = signed_in(cast.lead_a).get(detail_url(a)).content.decode()
    assert reverse("casework:case-reopen", kwargs={"pk": a.pk}) in html
    assert reverse("casework:case-close", kwargs={"pk": a.pk}) not in html


def test_current_consents_are_listed_with_a_withdraw_link(cast):
    a = case_a(cast)
    police = a.consents.get(scope=Consent.Scope.SHARE_POLICE)
    services.consent_withdraw(consent=police, by=cast.volunteer_a)
    response = signed_in(cast.volunteer_a).get(detail_url(a))
    current = response.context["current_consents"]
    assert sorted(c.scope for c in current) == [Consent.Scope.KEEP_RECORD, Consent.Scope.STATISTICS]
    html = response.content.decode()
    for consent in current:
        assert reverse("casework:consent-withdraw", kwargs={"pk": a.pk, "record_pk": consent.pk}) in html
    assert reverse("casework:consent-withdraw", kwargs={"pk": a.pk, "record_pk": police.pk}) not in html


def test_the_timeline_merges_every_record_newest_first(cast):
    a = case_a(cast)
    services.case_close(case=a, by=cast.lead_a, reason=Case.ClosureReason.MOVED)
    services.case_reopen(case=a, by=cast.lead_a)
    services.case_assign(case=a, by=cast.lead_a, volunteers=[cast.lead_a])
    response = signed_in(cast.volunteer_a).get(detail_url(a))
    timeline = response.context["timeline"]
    titles = [event.title for event in timeline]
    assert titles[:3] == ["Phân công lại tình nguyện viên", "Mở lại hồ sơ", "Đóng hồ sơ"]
    assert titles.count("Phân công lại tình nguyện viên") == 1
    assert titles.count("Mở hồ sơ") == 1
    assert titles[-1] == "Vụ việc: Bạo lực thân thể"  # happened the day before the case opened
    kinds = {event.kind for event in timeline}
    assert kinds == {"lifecycle", "incident", "consent", "risk", "support", "livelihood", "note"}
    closed = timeline[2]
    assert (closed.detail, closed.who) == ("Đã chuyển đi nơi khác", "lan")
    note = next(e for e in timeline if e.kind == "note")
    assert (note.detail, note.who) == ("Chị ấy muốn về nhà mẹ đẻ.", "alice")
    days = [event.day for event in timeline]
    assert days == sorted(days, reverse=True)
    assert "Chị ấy muốn về nhà mẹ đẻ." in response.content.decode()


def test_the_timeline_shows_edits_of_her_details_by_this_address_only(cast):
    a = case_a(cast)
    services.survivor_update(survivor=a.survivor, by=cast.volunteer_a, version=None, other_names="Canary")
    events = signed_in(cast.volunteer_a).get(detail_url(a)).context["timeline"]
    assert [(e.title, e.who) for e in events if e.kind == "record"] == [
        ("Cập nhật thông tin người bị bạo lực", "alice")]


def test_the_case_page_needs_the_same_number_of_queries_however_long_the_file(cast):
    a = case_a(cast)
    client = signed_in(cast.volunteer_a)
    client.get(detail_url(a))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(detail_url(a)).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for n in range(5):
        services.note_add(case=a, by=cast.volunteer_a, text=f"Ghi chú {n}")
        services.service_record(case=a, by=cast.lead_a, kind="counselling", provided_on=a.opened_on)
        services.risk_assess(case=a, by=cast.lead_a, answers={"weapon": n % 2 == 0})
    assert count() == before


def test_a_childs_overdue_support_plan_is_flagged_and_can_be_marked_made(cast):
    child = child_case(cast.volunteer_a)
    client = signed_in(cast.volunteer_a)
    html = client.get(detail_url(child)).content.decode()
    assert "QUÁ HẠN" in html
    assert child.support_plan_due_on.strftime("%d-%m-%Y") in html or child.support_plan_due_on.strftime(
        "%d/%m/%Y") in html
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = client.post(reverse("casework:support-plan-done", kwargs={"pk": child.pk}),
                           {"on": yesterday.isoformat()})
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.support_plan_done_on == yesterday
    assert not child.support_plan_overdue
    assert "QUÁ HẠN" not in client.get(detail_url(child)).content.decode()


def test_a_bad_support_plan_date_is_explained_next_to_the_field(cast):
    child = child_case(cast.volunteer_a)
    url = reverse("casework:support-plan-done", kwargs={"pk": child.pk})
    client = signed_in(cast.volunteer_a)
    future = client.post(url, {"on": (timezone.localdate() + dt.timedelta(days=1)).isoformat()})
    assert future.status_code == 200
    assert future.context["support_form"].errors["on"] == ["Ngày không thể ở tương lai."]
    before_opening = client.post(url, {"on": (child.opened_on - dt.timedelta(days=1)).isoformat()})
    assert before_opening.context["support_form"].errors["on"] == [
        "Ngày phải nằm trong khoảng từ ngày mở hồ sơ đến hôm nay."]
    garbage = client.post(url, {"on": "ngày mai"})
    assert "on" in garbage.context["support_form"].errors
    child.refresh_from_db()
    assert child.support_plan_done_on is None


def test_an_adults_case_has_no_support_plan_to_mark(cast):
    a = open_case(cast.volunteer_a)
    response = signed_in(cast.volunteer_a).post(reverse("casework:support-plan-done", kwargs={"pk": a.pk}),
                                                {"on": timezone.localdate().isoformat()})
    assert response.status_code == 200
    assert response.context["support_form"].non_field_errors() == [
        "Hồ sơ này không có kế hoạch hỗ trợ trẻ em cần đánh dấu."]
