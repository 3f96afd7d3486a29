"""Headless Chromium driven by Playwright against pytest-django's live server.

The browser is Debian's Chromium (``make test`` installs the package); Playwright never downloads one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
VI_CATALOGUE = ROOT / "locale" / "vi" / "LC_MESSAGES" / "django.mo"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing; `make test` installs Debian's chromium package.")
    if not VI_CATALOGUE.exists():
        pytest.fail("The Vietnamese catalogue is not compiled; `make test` runs compilemessages.")
    # Playwright's sync API keeps an event loop running in this thread, and Django refuses ORM calls from
    # a thread with a running loop. The check is lifted only while the browser runs (module scope), so
    # the rest of the suite keeps it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def requested_urls() -> list[str]:
    """Every URL the phone page's browser context asked for, in order."""
    return []


@pytest.fixture
def phone_page(browser: Browser, requested_urls: list[str]) -> Iterator[Page]:
    """A fresh, Vietnamese-speaking phone (360×740 CSS pixels, touch) with its own cookies."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
    )
    context.set_default_timeout(15_000)
    context.on("request", lambda request: requested_urls.append(request.url))
    page = context.new_page()
    yield page
    context.close()
