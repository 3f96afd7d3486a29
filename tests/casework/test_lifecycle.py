"""Closing, reopening and assigning a case: the lead's actions, through the services."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from casework import services
from casework.models import Case
from tests.casework.builders import case_a, case_b
from tests.conftest import signed_in


def url(name: str, case: Case) -> str:
    return reverse(f"casework:{name}", kwargs={"pk": case.pk})


def test_the_lead_closes_a_case_with_a_reason_and_a_date(cast):
    a = case_a(cast)
    response = signed_in(cast.lead_a).post(url("case-close", a),
                                          {"reason": Case.ClosureReason.SAFE, "on": a.opened_on.isoformat()})
    assert response.status_code == 302
    assert response["Location"] == url("case-detail", a)
    a.refresh_from_db()
    assert (a.status, a.closure_reason, a.closed_on) == (Case.Status.CLOSED, "safe", a.opened_on)
    assert a.history.latest().history_user == cast.lead_a.user


def test_a_volunteer_cannot_close_a_case(cast):
    a = case_a(cast)
    client = signed_in(cast.volunteer_a)
    assert client.get(url("case-close", a)).status_code == 403
    response = client.post(url("case-close", a), {"reason": "safe", "on": a.opened_on.isoformat()})
    assert response.status_code == 403
    a.refresh_from_db()
    assert a.status == Case.Status.OPEN


def test_closing_a_closed_case_is_refused_with_a_message(cast):
    a = case_a(cast)
    services.case_close(case=a, by=cast.lead_a, reason=Case.ClosureReason.MOVED, on=a.opened_on)
    client = signed_in(cast.lead_a)
    page = client.get(url("case-close", a))
    assert "Hồ sơ này đã đóng" in page.content.decode()
    response = client.post(url("case-close", a), {"reason": "safe", "on": timezone.localdate().isoformat()})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Hồ sơ này đã đóng. Không có gì thay đổi."]
    a.refresh_from_db()
    assert (a.closure_reason, a.closed_on) == ("moved", a.opened_on)


def test_closing_needs_a_reason_and_a_sensible_date(cast):
    a = case_a(cast)
    client = signed_in(cast.lead_a)
    response = client.post(url("case-close", a), {"reason": "", "on": "32/13/2025"})
    assert set(response.context["form"].errors) == {"reason", "on"}
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    future = client.post(url("case-close", a), {"reason": "safe", "on": tomorrow.isoformat()})
    assert future.context["form"].errors["on"] == ["Ngày đóng không thể ở tương lai."]
    early = client.post(url("case-close", a), {"reason": "safe",
                                                "on": (a.opened_on - dt.timedelta(days=1)).isoformat()})
    assert early.status_code == 200
    assert early.context["form"].errors
    # What was typed is kept.
    assert 'value="safe" selected' in early.content.decode()
    a.refresh_from_db()
    assert a.status == Case.Status.OPEN


def test_the_lead_reopens_a_closed_case(cast):
    a = case_a(cast)
    services.case_close(case=a, by=cast.lead_a, reason=Case.ClosureReason.NO_CONTACT)
    client = signed_in(cast.lead_a)
    response = client.post(url("case-reopen", a))
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.status, a.closed_on, a.closure_reason) == (Case.Status.OPEN, None, "")
    # Reopening an open case changes nothing and says so.
    again = client.post(url("case-reopen", a), follow=True)
    assert "Hồ sơ này đang mở. Không có gì thay đổi." in again.content.decode()


def test_reopen_is_a_post_only_action_of_the_lead(cast):
    a = case_a(cast)
    services.case_close(case=a, by=cast.lead_a, reason=Case.ClosureReason.NO_CONTACT)
    assert signed_in(cast.lead_a).get(url("case-reopen", a)).status_code == 405
    assert signed_in(cast.volunteer_a).post(url("case-reopen", a)).status_code == 403
    a.refresh_from_db()
    assert a.status == Case.Status.CLOSED


def test_the_assign_form_offers_only_members_of_the_cases_address(cast):
    a = case_a(cast)
    response = signed_in(cast.lead_a).get(url("case-assign", a))
    offered = set(response.context["form"].fields["volunteers"].queryset)
    assert offered == {cast.volunteer_a, cast.lead_a}
    assert response.context["form"]["volunteers"].value() == [cast.volunteer_a.pk]


def test_the_lead_assigns_the_case(cast):
    a = case_a(cast)
    response = signed_in(cast.lead_a).post(url("case-assign", a),
                                          {"volunteers": [cast.lead_a.pk], "version": a.version})
    assert response.status_code == 302
    assert set(a.assigned_volunteers.all()) == {cast.lead_a}


def test_assigning_a_member_of_another_address_is_refused(cast):
    a = case_a(cast)
    case_b(cast)
    response = signed_in(cast.lead_a).post(
        url("case-assign", a), {"volunteers": [cast.lead_a.pk, cast.volunteer_b.pk], "version": a.version})
    assert response.status_code == 200
    assert response.context["form"].errors["volunteers"]
    assert set(a.assigned_volunteers.all()) == {cast.volunteer_a}


def test_assigning_nobody_is_refused(cast):
    a = case_a(cast)
    response = signed_in(cast.lead_a).post(url("case-assign", a), {"version": a.version})
    assert response.context["form"].errors["volunteers"] == ["Chọn ít nhất một người."]


def test_an_assignment_from_a_stale_page_is_refused(cast):
    a = case_a(cast)
    a.refresh_from_db()
    stale = a.version
    services.case_assign(case=a, by=cast.lead_a, volunteers=[cast.lead_a])
    response = signed_in(cast.lead_a).post(url("case-assign", a),
                                          {"volunteers": [cast.volunteer_a.pk], "version": stale})
    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert error.startswith("Người khác đã lưu hồ sơ này trong lúc bạn đang sửa.")
    # The ticked boxes are kept, to be saved again after a reload.
    assert response.context["form"]["volunteers"].value() == [str(cast.volunteer_a.pk)]
    assert set(a.assigned_volunteers.all()) == {cast.lead_a}
