"""Names typed into the case search on a phone, against a server that writes an access log the way
``runserver`` and most front servers do (one line per request, with the query string): the address bar,
every URL the browser asked for (its history is made of them) and the access log never carry them.

pytest-django's live server is quiet; this one logs through ``django.server``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.core.servers.basehttp import WSGIRequestHandler
from django.db import connections
from django.test.testcases import LiveServerThread, _StaticFilesHandler
from playwright.sync_api import expect

from tests.browser.test_login_roles import submit_login_form
from tests.casework.builders import case_a
from tests.factories import TEST_PASSWORD
from tests.typed_text import carries, record_text

pytestmark = pytest.mark.browser

TYPED = ("Thanh", "Hà Thu", "Y Nhàn", "thanhhue", "Huệ", "KSOR H'HEN", "Nguyễn Thị Hằng")


class _AccessLoggedServerThread(LiveServerThread):
    def _create_server(self, connections_override=None):  # type: ignore[no-untyped-def]
        return self.server_class((self.host, self.port), WSGIRequestHandler, allow_reuse_address=False,
                                 connections_override=connections_override)


@pytest.fixture
def access_logged_server(transactional_db, settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    # As LiveServerTestCase: an in-memory SQLite database is shared with the server's thread.
    shared = {conn.alias: conn for conn in connections.all() if conn.vendor == "sqlite" and conn.is_in_memory_db()}
    for conn in shared.values():
        conn.inc_thread_sharing()
    thread = _AccessLoggedServerThread("localhost", _StaticFilesHandler, shared, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield f"http://localhost:{thread.port}"
    finally:
        thread.terminate()
        for conn in shared.values():
            conn.dec_thread_sharing()


def _access_log(records) -> list[str]:  # type: ignore[no-untyped-def]
    return [record_text(r) for r in records if r.name == "django.server"]


def test_names_typed_on_a_phone_stay_out_of_the_address_bar_the_history_and_the_access_log(
        cast, access_logged_server, every_log_record, phone_page, requested_urls):
    server = access_logged_server
    code = case_a(cast).survivor.code
    submit_login_form(phone_page, server, cast.volunteer_a.user.username, TEST_PASSWORD)
    address_bar = {}
    for typed in TYPED:
        phone_page.goto(f"{server}/cases/")
        phone_page.locator("#id_q").fill(typed)
        with phone_page.expect_navigation():
            phone_page.locator("#case-search button[type=submit]").click()
        address_bar[typed] = phone_page.url
    # A code is the one search that goes into the address; its line in the log shows the capture works.
    phone_page.goto(f"{server}/cases/")
    phone_page.locator("#id_q").fill(code.lower())
    phone_page.locator("#case-search button[type=submit]").click()
    expect(phone_page.locator(".case-code")).to_have_text(code)
    assert phone_page.url == f"{server}/cases/?q={code}"
    deadline = time.monotonic() + 10  # the server logs a request once its answer is sent
    while not any(f"/cases/?q={code}" in line for line in _access_log(every_log_record.records)):
        assert time.monotonic() < deadline, _access_log(every_log_record.records)
        time.sleep(0.05)

    log = _access_log(every_log_record.records)
    for typed in TYPED:
        assert not [line for line in log if carries(line, typed)], typed
        assert not [record_text(r) for r in every_log_record.records if carries(record_text(r), typed)], typed
        assert not [url for url in requested_urls if carries(url, typed)], typed
        assert address_bar[typed] == f"{server}/cases/", typed
    # Each name was answered on the POST itself (plus the code's POST, which was redirected).
    assert sum('"POST /cases/ HTTP/1.1" 200' in line for line in log) == len(TYPED)
    assert sum('"POST /cases/ HTTP/1.1" 302' in line for line in log) == 1
