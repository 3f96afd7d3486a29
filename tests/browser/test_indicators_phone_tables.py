"""The demo's provincial analyst reads the indicators on a 360 px phone: the province's report for
programme phase I, with its plan targets and a column for each of its districts. Every table fits the screen — no
element is wider than it, nothing scrolls sideways — and what each target achieved is in sight."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import FloatRect, Page, expect

from accounts.demo import DEFAULT_PASSWORD, current_code, demo_device_for
from accounts.models import AdminUnit
from indicators import periods
from indicators.models import PlanTarget
from tests.browser.conftest import ARTIFACTS, PHONE
from tests.browser.test_login_roles import submit_login_form

pytestmark = pytest.mark.browser

ANALYST = "phantich"

# Elements that stick out of the viewport on either side, and elements that scroll sideways (a table in a
# scroll box whose content is wider than the box counts, whatever its overflow style).
LAYOUT_PROBLEMS = """
() => {
  const width = document.documentElement.clientWidth;
  const describe = (el) =>
    `${el.tagName.toLowerCase()}.${el.getAttribute('class') || ''} «${(el.textContent || '').trim().slice(0, 40)}»`;
  const wider = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not rendered
    if (box.left < -0.5 || box.right > width + 0.5) {
      wider.push(`${describe(el)} ${Math.round(box.left)}…${Math.round(box.right)}`);
    }
  }
  const scrolling = [];
  for (const el of document.querySelectorAll('main *')) {
    const style = getComputedStyle(el);
    const isTablePart = el.matches('table, .ind-table-wrap');
    if ((isTablePart || ['auto', 'scroll'].includes(style.overflowX)) && el.scrollWidth > el.clientWidth) {
      scrolling.push(`${describe(el)} ${el.scrollWidth}>${el.clientWidth}`);
    }
  }
  return {
    width,
    pageScrollWidth: document.documentElement.scrollWidth,
    tables: document.querySelectorAll('main table').length,
    wider,
    scrolling,
  };
}
"""

# Every control in the page's content that a finger taps, and its height.
TAP_TARGETS = """
() => [...document.querySelectorAll('main a.button, main button, main select, main summary')]
  .filter((el) => el.getBoundingClientRect().height > 0)
  .map((el) => [el.textContent.trim().slice(0, 30) || el.getAttribute('name'), el.getBoundingClientRect().height])
"""


def _sign_in_as_the_analyst(page: Page, base_url: str) -> None:
    submit_login_form(page, base_url, ANALYST, DEFAULT_PASSWORD)
    code, _seconds_left = current_code(demo_device_for(ANALYST))
    page.locator("input[name=token]").fill(code)
    page.get_by_role("button", name="Tiếp tục", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trang chủ")


def _inside_the_screen(box: FloatRect | None) -> bool:
    """Between the screen's left and right edges (anywhere up or down the page)."""
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_the_analysts_dashboard_fits_a_phone_with_every_target_achievement_in_sight(live_server, phone_page):
    call_command("seed_demo", stdout=io.StringIO())
    period = periods.phase("phase1")  # released, and with the demo's plan targets
    province = AdminUnit.objects.get(level=AdminUnit.Level.PROVINCE)
    targets = PlanTarget.objects.filter(area=province, period=period.code).count()
    assert targets >= 3  # the demo's targets for the province in programme phase I

    _sign_in_as_the_analyst(phone_page, live_server.url)
    phone_page.goto(f"{live_server.url}{reverse('indicators:dashboard')}?period={period.code}")
    expect(phone_page.locator(".ind-subtitle")).to_contain_text(province.name)
    phone_page.locator(".ind-definitions summary").click()  # the definitions too must fit when open

    # Several areas: the survivors' first table has a column for the province and one per district, and
    # every area's figure is on the screen, named.
    table = phone_page.locator("#ind-survivors ~ .ind-table-wrap").first
    areas = table.locator("thead th.num").evaluate_all("cells => cells.map(c => c.textContent.trim())")
    assert len(areas) >= 4 and areas[0] == "Tổng số", areas
    cells = table.locator("tbody tr").first.locator("td")
    for index, area in enumerate(areas):
        cell = cells.nth(index)
        expect(cell).to_be_visible()
        assert _inside_the_screen(cell.bounding_box()), area
        assert cell.evaluate("c => getComputedStyle(c, '::before').content") == f'"{area}"'

    layout = phone_page.evaluate(LAYOUT_PROBLEMS)
    assert layout["width"] == PHONE["width"]
    assert layout["tables"] > 10
    assert layout["wider"] == [], layout["wider"][:10]
    assert layout["scrolling"] == [], layout["scrolling"][:10]
    assert layout["pageScrollWidth"] <= PHONE["width"]

    # Each target's achievement ("achieved/target (percent)") is visible inside the screen's width.
    achievements = phone_page.locator(".ind-targets tbody td")
    expect(achievements).to_have_count(targets)
    for index in range(targets):
        cell = achievements.nth(index)
        cell.scroll_into_view_if_needed()
        expect(cell).to_be_visible()
        expect(cell).to_have_text(re.compile(r"^(\d[\d.]*|<\d+|×)/\d[\d.]* \((\d+%|×|–)\)$"))
        assert _inside_the_screen(cell.bounding_box()), index

    # Tap targets of at least 44 CSS pixels.
    small = [(name, height) for name, height in phone_page.evaluate(TAP_TARGETS) if height < 44]
    assert small == []

    ARTIFACTS.mkdir(exist_ok=True)
    phone_page.locator(".ind-targets").screenshot(path=ARTIFACTS / "indicators-phone-targets.png")
    phone_page.locator("#ind-survivors ~ .ind-table-wrap").first.screenshot(
        path=ARTIFACTS / "indicators-phone-table.png"
    )
