"""The idle time-out in a real browser, with a 20-second time-out: the warning appears before the end,
"continue working" keeps the session past its original end, and a note typed after the end is kept,
given back after signing in again, and saved when the volunteer presses Save."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casework.models import CaseNote
from tests.browser.conftest import ARTIFACTS, PHONE
from tests.browser.test_login_roles import submit_login_form
from tests.casework.builders import case_a
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.browser

IDLE_SECONDS = 20
WARNING_SECONDS = 12
NOTE = (("Tối nay chị Kanaritrình gọi điện báo chồng lại say, đòi bán con bò của nhà; chị đã dắt hai con "
         "sang nhà em gái ở thôn bên, hẹn mai đến trạm y tế khám vết bầm ở tay. ") * 4)[:500]


@pytest.fixture
def short_time_out(settings: Any) -> None:
    settings.SESSION_IDLE_SECONDS = IDLE_SECONDS
    settings.SESSION_WARNING_SECONDS = WARNING_SECONDS


def _session_left(page: Page) -> Any:
    """Asks the status address from the page, as the script does (not counted as activity)."""
    return page.evaluate("""async () => {
        const r = await fetch(document.body.dataset.sessionStatus, {redirect: "manual"});
        return r.type === "opaqueredirect" ? "signed out" : (await r.json()).remaining;
    }""")


def test_warning_continue_then_time_out_keeps_the_typed_note(browser, cast, live_server, phone_page, short_time_out):
    case = case_a(cast)
    base = live_server.url
    note_url = f"{base}/cases/{case.pk}/notes/new/"
    submit_login_form(phone_page, base, cast.volunteer_a.user.username, TEST_PASSWORD)
    expect(phone_page).to_have_url(f"{base}/")

    phone_page.goto(note_url)
    opened = time.monotonic()
    warning = phone_page.locator("#session-warning")
    ended = phone_page.locator("#session-ended")
    expect(warning).to_be_hidden()

    # The warning appears before the end, usable on a phone, announced.
    expect(warning).to_be_visible(timeout=(IDLE_SECONDS + 5) * 1000)
    assert time.monotonic() - opened < IDLE_SECONDS
    expect(warning).to_have_attribute("role", "alert")
    expect(warning).to_contain_text("Phiên làm việc sẽ hết hạn sau")
    expect(warning).to_contain_text("phút vì không có thao tác.")
    stay = warning.get_by_role("button", name="Tiếp tục làm việc", exact=True)
    box = stay.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    phone_page.screenshot(path=ARTIFACTS / "session-warning-phone.png")

    stay.click()
    expect(warning).to_be_hidden()

    # Past the original end, the session is still alive.
    phone_page.wait_for_timeout(max(0, (opened + IDLE_SECONDS + 3 - time.monotonic()) * 1000))
    left = _session_left(phone_page)
    assert isinstance(left, int) and left > 0
    expect(ended).to_be_hidden()

    # Then left alone: the script finds the session over and says what to do.
    expect(ended).to_be_visible(timeout=(IDLE_SECONDS + 10) * 1000)
    expect(warning).to_be_hidden()
    expect(ended).to_contain_text("hãy bấm Lưu")
    phone_page.screenshot(path=ARTIFACTS / "session-ended-phone.png")
    assert _session_left(phone_page) == "signed out"

    # The banner never hides the Save button it asks for.
    save = phone_page.get_by_role("button", name="Lưu", exact=True)
    phone_page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    assert not _overlap(save.bounding_box(), ended.bounding_box())

    # The note typed afterwards is kept, not lost.
    phone_page.locator("textarea[name=text]").fill(NOTE)
    save.click()
    expect(phone_page).to_have_url(re.compile(r"/accounts/login/\?next="))
    notice = phone_page.locator("main .msg.warning")
    expect(notice).to_contain_text("Hệ thống đã tự động đăng xuất sau")
    expect(notice).to_contain_text("Nội dung đang nhập dở đã được giữ lại. Hãy đăng nhập lại để kiểm tra và lưu.")
    expect(phone_page.locator("body")).not_to_contain_text("Kanaritrình")
    assert NOTE not in _notes(case)

    phone_page.get_by_label("Tên đăng nhập", exact=True).fill(cast.volunteer_a.user.username)
    phone_page.get_by_label("Mật khẩu", exact=True).fill(TEST_PASSWORD)
    phone_page.get_by_role("button", name="Đăng nhập", exact=True).click()

    expect(phone_page).to_have_url(note_url)
    expect(phone_page.locator("textarea[name=text]")).to_have_value(NOTE)
    expect(phone_page.locator(".messages")).to_contain_text(
        "Đây là nội dung chị/anh đã nhập trước khi hết phiên. Kiểm tra lại rồi bấm Lưu.")
    assert NOTE not in _notes(case)  # nothing saved before Save is pressed

    phone_page.get_by_role("button", name="Lưu", exact=True).click()

    expect(phone_page).to_have_url(f"{base}/cases/{case.pk}/")
    expect(phone_page.locator("main")).to_contain_text(NOTE[:120])
    assert _notes(case).count(NOTE) == 1
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _overlap(a: Any, b: Any) -> bool:
    return bool(a and b and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]
                and a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"])


def _notes(case: Any) -> list[str]:
    return [note.text for note in CaseNote.objects.filter(case=case)]
