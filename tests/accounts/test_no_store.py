"""No answer of the application stays in a browser's cache; signing out wipes the rest (issue 9).

The browser test tests/browser/test_no_trace_on_the_phone.py checks the same on a real profile; these
check every URL of the map, every role, every status.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from django.views.decorators.cache import cache_control

from accounts.middleware import NO_STORE_DIRECTIVES
from config import urls as project_urls
from tests.accounts.test_two_factor import SETUP, VERIFY, _after_password
from tests.accounts.urlmap import all_sample_urls
from tests.conftest import signed_in
from tests.factories import TEST_PASSWORD, totp_device

LOGIN, LOGOUT = "/accounts/login/", "/accounts/logout/"


def directives(response: HttpResponse) -> set[str]:
    return {part.strip().lower() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def assert_not_stored(response: HttpResponse, where: object) -> None:
    assert set(NO_STORE_DIRECTIVES) <= directives(response), (where, response.status_code,
                                                              response.get("Cache-Control"))
    assert response["Pragma"] == "no-cache", where
    assert response["Expires"] == "0", where


def _answers(client: Client, url: str) -> list[HttpResponse]:
    """The answer to a GET, and where GET is not allowed (a 405) the answer to a POST as well."""
    response = client.get(url)
    return [response, client.post(url)] if response.status_code == 405 else [response]


def test_every_answer_to_every_role_is_no_store_whatever_its_status(cast):
    samples = all_sample_urls()
    statuses: Counter[int] = Counter()

    for role, membership in cast.by_role().items():
        client = signed_in(membership)
        client.raise_request_exception = False  # a 500 page must be no-store too
        for sample in samples:
            if sample.name == "accounts:logout":
                continue  # signing out would end this client's session; see the sign-out tests
            for response in _answers(client, sample.path):
                statuses[response.status_code] += 1
                assert_not_stored(response, (role, sample.name, sample.path))

    # The walk met pages, redirects, refusals, unknown objects and wrong methods alike.
    assert {200, 302, 403, 404, 405} <= set(statuses), statuses


def test_every_answer_to_an_anonymous_visitor_is_no_store_the_sign_in_page_included(client, db):
    for sample in all_sample_urls():
        for response in _answers(client, sample.path):
            assert_not_stored(response, sample.name)

    page = client.get(LOGIN)
    assert page.status_code == 200 and "csrfmiddlewaretoken" in page.content.decode()
    assert_not_stored(page, LOGIN)
    # A failed attempt shows the typed username again.
    failed = client.post(LOGIN, {"username": "alice-typed-this", "password": "wrong"})
    assert "alice-typed-this" in failed.content.decode()
    assert_not_stored(failed, "failed sign-in")


def test_two_step_pages_are_no_store_before_the_second_step(cast):
    client = _after_password(cast.analyst)
    assert_not_stored(client.get("/cases/"), "redirect to the second step")
    assert_not_stored(client.get(SETUP), SETUP)
    totp_device(cast.supervisor.user)
    client = _after_password(cast.supervisor)
    assert_not_stored(client.get(VERIFY), VERIFY)
    assert_not_stored(client.post(VERIFY, {"token": "000000"}), "wrong code")


def test_a_refused_csrf_check_is_no_store(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.volunteer_a.user)

    response = client.post("/cases/", {"q": "Nguyễn"})

    assert response.status_code == 403
    assert_not_stored(response, "CSRF failure")


def test_static_files_stay_cacheable(client, db):
    response = client.get("/static/css/app.css")

    assert response.status_code == 200
    assert "no-store" not in directives(response)
    assert "Pragma" not in response


# --- What a view sets itself --------------------------------------------------------------------


@cache_control(public=True, max_age=3600, s_maxage=3600, immutable=True, no_transform=True)
def _cacheable(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("Hoàng Thị Canary Nguyệt")
    response["Expires"] = "Thu, 01 Jan 2099 00:00:00 GMT"
    return response


def _no_store_already(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("%PDF-")
    response["Cache-Control"] = "no-store"
    return response


def _explode(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("case page failed")


urlpatterns = [
    *project_urls.urlpatterns,
    path("test-cacheable/", _cacheable),
    path("test-no-store/", _no_store_already),
    path("test-explode/", _explode),
]


@pytest.mark.urls(__name__)
def test_a_view_asking_for_caching_is_overruled_and_a_stricter_directive_it_set_stays(cast):
    response = signed_in(cast.volunteer_a).get("/test-cacheable/")

    assert_not_stored(response, "a view that asks for caching")
    assert directives(response) == {*NO_STORE_DIRECTIVES, "no-transform"}


@pytest.mark.urls(__name__)
def test_a_view_that_already_said_no_store_keeps_it(cast):
    response = signed_in(cast.volunteer_a).get("/test-no-store/")

    assert_not_stored(response, "a view that said no-store")
    assert directives(response) == set(NO_STORE_DIRECTIVES)


@pytest.mark.urls(__name__)
def test_the_server_error_page_is_no_store(cast):
    client = signed_in(cast.volunteer_a)
    client.raise_request_exception = False

    response = client.get("/test-explode/")

    assert response.status_code == 500
    assert_not_stored(response, "500")


# --- Signing out ---------------------------------------------------------------------------------


def test_signing_out_clears_the_cache_and_storage_and_deletes_the_session_cookie(cast):
    client = signed_in(cast.volunteer_a)

    response = client.post(LOGOUT)

    assert response.status_code == 302 and response["Location"] == LOGIN
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert_not_stored(response, "sign-out")
    session_cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session_cookie.value == "" and session_cookie["max-age"] == 0
    assert client.get("/cases/")["Location"].startswith(LOGIN)


def test_after_signing_out_the_same_browser_signs_in_again_through_the_form(cast):
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    credentials = {"username": "alice", "password": TEST_PASSWORD}
    signed_in_response = client.post(LOGIN, {**credentials, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert signed_in_response.status_code == 302
    client.get("/cases/")

    signed_out = client.post(LOGOUT, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert signed_out.status_code == 302
    # Cookies stay (no "cookies" in Clear-Site-Data): the sign-in page's token still matches its cookie.
    assert "cookies" not in signed_out["Clear-Site-Data"]
    page = client.get(LOGIN)
    token = page.context["csrf_token"]
    again = client.post(LOGIN, {**credentials, "csrfmiddlewaretoken": token})

    assert again.status_code == 302 and again["Location"] == "/"
