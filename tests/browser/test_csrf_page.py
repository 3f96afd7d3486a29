"""A form sent after its page went stale (the CSRF cookie gone: cookies cleared, another tab, a long
wait) meets a Vietnamese page at phone width, which says nothing was saved, and she can go on."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from casework.models import CaseNote
from tests.browser.conftest import ARTIFACTS, PHONE
from tests.browser.test_login_roles import submit_login_form
from tests.casework.builders import case_a
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.browser

TYPED = "Chị ấy gọi lại lúc 9 giờ tối, đang ở nhà mẹ đẻ."


def test_a_stale_form_gets_a_vietnamese_phone_page_and_she_can_go_on(cast, live_server, phone_page):
    case = case_a(cast)
    notes = CaseNote.objects.filter(case=case).count()
    submit_login_form(phone_page, live_server.url, cast.volunteer_a.user.username, TEST_PASSWORD)
    note_url = f"{live_server.url}{reverse('casework:note-create', kwargs={'pk': case.pk})}"
    phone_page.goto(note_url)
    phone_page.context.clear_cookies(name="csrftoken")  # as after clearing cookies, keeping the session
    phone_page.locator("textarea[name=text]").fill(TYPED)
    phone_page.locator("main form button[type=submit]").click()

    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Trang này đã hết hạn")
    expect(phone_page.get_by_role("alert")).to_contain_text("Chưa có gì được lưu.")
    assert TYPED not in phone_page.content()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    home = phone_page.get_by_role("link", name="Về trang chủ")
    assert home.bounding_box()["height"] >= 44  # a tap target
    ARTIFACTS.mkdir(exist_ok=True)
    phone_page.screenshot(path=ARTIFACTS / "csrf-failure-phone.png", full_page=True)
    assert CaseNote.objects.filter(case=case).count() == notes

    # She reloads the form and sends it again: this time it is saved.
    phone_page.goto(note_url)
    phone_page.locator("textarea[name=text]").fill(TYPED)
    phone_page.locator("main form button[type=submit]").click()
    expect(phone_page).to_have_url(f"{live_server.url}{reverse('casework:case-detail', kwargs={'pk': case.pk})}")
    assert CaseNote.objects.filter(case=case).count() == notes + 1
