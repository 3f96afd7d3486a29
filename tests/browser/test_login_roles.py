"""Signing in through the real form, at phone width, as every role of the standing cast."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.utils import translation
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from accounts.models import Role
from tests.browser.conftest import ARTIFACTS, PHONE
from tests.factories import TEST_PASSWORD, totp_device

pytestmark = pytest.mark.browser

# The roles that see across organisations must pass the second step; the others must not be asked.
TWO_STEP_ROLES = {Role.UNION_SUPERVISOR, Role.PROVINCIAL_ANALYST, Role.SYSTEM_ADMINISTRATOR}
WRONG_LOGIN = "Sai tên đăng nhập hoặc mật khẩu. Vui lòng thử lại."


def submit_login_form(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Tên đăng nhập", exact=True).fill(username)
    page.get_by_label("Mật khẩu", exact=True).fill(password)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_each_role_signs_in_on_a_phone_and_lands_on_its_home_page(role, cast, live_server, phone_page):
    membership = cast.by_role()[role]
    user = membership.user
    device = totp_device(user) if role in TWO_STEP_ROLES else None

    submit_login_form(phone_page, live_server.url, user.username, TEST_PASSWORD)

    if device is not None:
        two_step = re.escape(f"{live_server.url}/accounts/two-step/") + r"(\?.*)?$"
        expect(phone_page).to_have_url(re.compile(two_step))
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        phone_page.locator("input[name=token]").fill(f"{code:0{device.digits}d}")
        phone_page.get_by_role("button", name="Tiếp tục", exact=True).click()

    expect(phone_page).to_have_url(f"{live_server.url}/")
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Trang chủ")
    with translation.override("vi"):
        role_name = str(membership.get_role_display())
    acting = phone_page.locator(".acting")
    expect(acting).to_contain_text(role_name)
    expect(acting).to_contain_text(membership.organisation.name)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_login_page_fits_a_phone_and_loads_nothing_from_elsewhere(live_server, phone_page, requested_urls):
    phone_page.goto(f"{live_server.url}/accounts/login/")
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Đăng nhập")
    # The stylesheet arrived and applied: the sign-in button wears the accent colour.
    expect(phone_page.get_by_role("button", name="Đăng nhập", exact=True)).to_have_css(
        "background-color", "rgb(138, 21, 56)"
    )
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    phone_page.screenshot(path=ARTIFACTS / "login-phone.png", full_page=True)

    server = urlsplit(live_server.url)
    assert f"{live_server.url}/static/css/app.css" in requested_urls
    elsewhere = [u for u in requested_urls if urlsplit(u)[:2] != (server.scheme, server.netloc)]
    assert elsewhere == []


def test_wrong_password_shows_the_vietnamese_message(cast, live_server, phone_page):
    submit_login_form(phone_page, live_server.url, cast.volunteer_a.user.username, "not-the-password")

    expect(phone_page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(phone_page.get_by_role("alert")).to_have_text(WRONG_LOGIN)
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Đăng nhập")
