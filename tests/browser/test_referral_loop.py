"""The referral loop in a real browser: a volunteer refers, the commune police officer accepts and
completes, and the volunteer sees the outcome on the case."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from referrals.models import Referral, Status
from tests.browser.conftest import PHONE
from tests.browser.test_login_roles import submit_login_form
from tests.casework.builders import CANARY_NAME, case_a
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.browser

OUTCOME = "Đã lập biên bản, ra quyết định cấm tiếp xúc 3 ngày."


def _phone(browser: Browser) -> Page:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN")
    context.set_default_timeout(15_000)
    return context.new_page()


def _act(page: Page, action: str, note: str = "") -> None:
    form = page.locator(f"form.action:has(input[name=action][value={action}])")
    if note:
        form.locator("textarea[name=note]").fill(note)
    form.locator("button[type=submit]").click()


def test_volunteer_refers_police_accepts_and_completes_volunteer_sees_outcome(browser, cast, live_server):
    case = case_a(cast)
    volunteer = _phone(browser)
    submit_login_form(volunteer, live_server.url, cast.volunteer_a.user.username, TEST_PASSWORD)
    volunteer.goto(f"{live_server.url}/cases/{case.pk}/")
    volunteer.locator(f"a[href='/referrals/case/{case.pk}/new/']").first.click()
    volunteer.locator("select[name=partner]").select_option(str(cast.police1.pk))
    volunteer.locator("input[name=services][value=police_protection]").check()
    volunteer.locator("input[name=urgency][value=urgent]").check()
    volunteer.locator("button[name=send]").click()
    expect(volunteer.locator(".msg.success")).to_be_visible()
    referral = Referral.objects.get(case=case)
    assert referral.status == Status.SENT and referral.urgency == Referral.Urgency.URGENT

    police = _phone(browser)
    submit_login_form(police, live_server.url, cast.police_officer.user.username, TEST_PASSWORD)
    police.goto(f"{live_server.url}/referrals/inbox/")
    police.locator(f"a[href='/referrals/{referral.pk}/']").click()
    expect(police.locator("main")).to_contain_text(case.survivor.code)
    expect(police.locator("main")).not_to_contain_text(CANARY_NAME)
    _act(police, "accept")
    _act(police, "start")
    _act(police, "complete", OUTCOME)
    expect(police.locator("main")).to_contain_text(OUTCOME)
    assert Referral.objects.get(pk=referral.pk).status == Status.COMPLETED

    volunteer.goto(f"{live_server.url}/cases/{case.pk}/")
    panel = volunteer.locator("#referrals")
    expect(panel).to_contain_text(cast.police1.name)
    expect(panel).to_contain_text(OUTCOME)
    assert volunteer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
