"""A new volunteer's first day, on two phones: the operator has asked for her role; her lead hands her
a one-time link (QR code), she chooses her own password, signs in and shows her lead the code; the lead
confirms, and only then does she see the address's cases."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts import services
from accounts.models import Membership, Role
from tests.browser.conftest import PHONE
from tests.browser.test_login_roles import submit_login_form
from tests.casework.builders import case_a
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.browser

CHOSEN = "Hoa-chon-mat-khau-2025"


def _phone(browser: Browser) -> Page:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN")
    context.set_default_timeout(15_000)
    return context.new_page()


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_a_new_volunteer_chooses_her_password_and_reads_cases_only_once_her_lead_confirmed(browser, cast,
                                                                                         live_server):
    case_a(cast)
    hoa = services.user_create(username="hoa", first_name="Hoa", last_name="Đinh Thị", by=cast.sysadmin)
    grant = services.membership_request(user=hoa, organisation=cast.address_a, role=Role.VOLUNTEER,
                                        by=cast.sysadmin)

    lead = _phone(browser)
    submit_login_form(lead, live_server.url, cast.lead_a.user.username, TEST_PASSWORD)
    lead.get_by_role("link", name=re.compile("Thành viên và xác nhận")).click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("Thành viên và xác nhận")
    member = lead.locator("li.card", has_text="(hoa)")
    member.get_by_role("button", name="Tạo đường dẫn đặt mật khẩu").click()
    expect(lead.locator("img.qr")).to_be_visible()
    link = urlsplit(lead.locator("code.secret").inner_text().strip())
    _fits(lead)
    lead.reload()
    expect(lead.locator("code.secret")).to_have_count(0)  # shown once

    volunteer = _phone(browser)
    volunteer.goto(f"{live_server.url}{link.path}")
    expect(volunteer).to_have_url(f"{live_server.url}/accounts/link/")
    volunteer.get_by_label("Mật khẩu mới", exact=True).fill(CHOSEN)
    volunteer.get_by_label("Nhập lại mật khẩu mới", exact=True).fill(CHOSEN)
    volunteer.get_by_role("button", name="Lưu mật khẩu").click()
    expect(volunteer.locator("main")).to_contain_text("Tên đăng nhập của bạn là: hoa")
    _fits(volunteer)
    submit_login_form(volunteer, live_server.url, "hoa", CHOSEN)
    code = volunteer.locator("strong.code").inner_text()
    assert re.fullmatch(r"\d{6}", code)
    _fits(volunteer)
    assert volunteer.request.get(f"{live_server.url}/cases/").status == 403

    lead.goto(f"{live_server.url}/accounts/grants/")
    waiting = lead.locator("div.grant", has_text="(hoa)")
    waiting.get_by_label("Mã hiện trên điện thoại của người đó").fill(code)
    waiting.get_by_role("button", name="Xác nhận", exact=True).click()
    expect(lead.locator(".msg.success")).to_contain_text("Đã xác nhận")
    assert Membership.objects.get(pk=grant.pk).state == Membership.State.ACTIVE

    volunteer.goto(f"{live_server.url}/cases/")
    expect(volunteer.get_by_role("heading", level=1)).to_be_visible()
    assert volunteer.request.get(f"{live_server.url}/cases/").status == 200
    _fits(volunteer)
