"""Signing in: hashing, language, lockout without user enumeration, the sign-in wall, bad input."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from axes.helpers import get_client_parameters
from django.conf import settings
from django.test import Client, RequestFactory

from accounts.views import client_ip
from tests.accounts.urlmap import all_sample_urls
from tests.factories import TEST_PASSWORD

LOGIN = "/accounts/login/"
WRONG = "not-the-password"

# The only views an anonymous visitor may open. set_language is POST-only; a GET just redirects.
ANONYMOUS_ALLOWED = {"accounts:login", "set_language", "accounts:password-forgot", "accounts:link-use",
                     "accounts:link-set-password"}


def _post_login(client: Client, username: object, password: object = WRONG, **extra: object):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)


# --- Hashing and language -----------------------------------------------------------------------


def test_real_settings_hash_passwords_with_argon2():
    import config.settings as real

    assert real.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_test_settings_use_the_fast_md5_hasher(cast):
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert cast.volunteer_a.user.password.startswith("md5$")


def test_sign_in_page_is_vietnamese_by_default(client, db):
    html = client.get(LOGIN).content.decode()

    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html  # "Sign in", from locale/vi
    # The switch to English is offered on the sign-in page itself.
    assert 'action="/i18n/setlang/"' in html
    assert 'name="language" value="en"' in html


def test_sign_in_page_switches_to_english_through_set_language(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN})
    assert response.status_code == 302
    assert response["Location"] == LOGIN

    html = client.get(LOGIN).content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Sign in</h1>" in html


def test_set_language_refuses_to_redirect_to_another_site(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"] == "/"


# --- Signing in -----------------------------------------------------------------------------------


def test_volunteer_signs_in_with_username_and_password(client, cast):
    response = _post_login(client, "alice", TEST_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_sign_in_ignores_a_next_parameter_pointing_to_another_site(client, cast):
    response = client.post(
        f"{LOGIN}?next=https://evil.example/", {"username": "alice", "password": TEST_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_failure_page_is_identical_for_unknown_user_and_wrong_password(cast):
    # Same length, so the echoed username is the only difference and can be swapped out.
    unknown = _post_login(Client(), "zzzzz")
    wrong_password = _post_login(Client(), "alice")

    assert unknown.status_code == wrong_password.status_code == 200
    unknown_html = _without_csrf(unknown.content.decode()).replace('value="zzzzz"', 'value="…"')
    wrong_html = _without_csrf(wrong_password.content.decode()).replace('value="alice"', 'value="…"')
    assert unknown_html == wrong_html
    assert "Sai tên đăng nhập hoặc mật khẩu" in wrong_html or "Wrong username or password" in wrong_html


def test_inactive_user_gets_the_same_failure_page_as_an_unknown_one(cast):
    lan = cast.lead_a.user
    lan.is_active = False
    lan.save()

    inactive = _post_login(Client(), "lan", TEST_PASSWORD)
    unknown = _post_login(Client(), "zzz", TEST_PASSWORD)

    assert inactive.status_code == unknown.status_code == 200
    assert (_without_csrf(inactive.content.decode()).replace('value="lan"', 'value="…"')
            == _without_csrf(unknown.content.decode()).replace('value="zzz"', 'value="…"'))


def test_typed_username_is_kept_in_the_form_after_a_failure(client, cast):
    html = _post_login(client, "alice").content.decode()

    assert 'value="alice"' in html
    assert WRONG not in html  # the password never comes back


# --- Lockout --------------------------------------------------------------------------------------


def test_axes_counts_usernames_and_addresses_separately():
    # Axes builds one filter per entry: ["username", "ip_address"] gives two independent counters,
    # whereas [["username", "ip_address"]] would count only the pair (and let an attacker rotate either).
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]
    request = RequestFactory().post(LOGIN)
    filters = get_client_parameters("alice", "10.0.0.1", "agent", request, {"username": "alice"})
    assert filters == [{"username": "alice"}, {"ip_address": "10.0.0.1"}]
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_CALLABLE == "accounts.views.lockout"


def test_fifth_failure_locks_the_username_even_with_the_right_password(cast):
    for attempt in range(1, 5):
        assert _post_login(Client(REMOTE_ADDR=f"10.0.1.{attempt}"), "alice").status_code == 200

    fifth = _post_login(Client(REMOTE_ADDR="10.0.1.5"), "alice")
    assert fifth.status_code == 429
    assert "accounts/lockout.html" in [t.name for t in fifth.templates]

    # From yet another address, with the right password: still locked.
    client = Client(REMOTE_ADDR="10.0.1.6")
    assert _post_login(client, "alice", TEST_PASSWORD).status_code == 429
    assert client.get("/").status_code == 302


def test_lockout_page_explains_how_long_to_wait(client, cast):
    for _ in range(5):
        response = _post_login(client, "alice")

    assert response.status_code == 429
    assert response.context["minutes"] == 30
    assert "30" in response.content.decode()


def test_lockout_is_identical_for_unknown_and_real_usernames(cast):
    for _ in range(5):
        real = _post_login(Client(REMOTE_ADDR="10.0.2.1"), "alice")
        unknown = _post_login(Client(REMOTE_ADDR="10.0.2.2"), "zzzzz")

    assert real.status_code == unknown.status_code == 429
    assert _without_csrf(real.content.decode()) == _without_csrf(unknown.content.decode())


def test_five_failures_with_different_usernames_lock_the_address(cast):
    attacker = "10.0.3.1"
    for username in ["alice", "lan", "charlie", "binh", "nobody"]:
        last = _post_login(Client(REMOTE_ADDR=attacker), username)
    assert last.status_code == 429

    # The address is locked, even for a real user with the right password…
    assert _post_login(Client(REMOTE_ADDR=attacker), "police", TEST_PASSWORD).status_code == 429
    # …while that user, and the users tried, can still sign in from elsewhere.
    assert _post_login(Client(REMOTE_ADDR="10.0.3.2"), "police", TEST_PASSWORD).status_code == 302
    assert _post_login(Client(REMOTE_ADDR="10.0.3.3"), "alice", TEST_PASSWORD).status_code == 302


def test_successful_sign_in_resets_the_users_failure_count(cast):
    client = Client(REMOTE_ADDR="10.0.4.1")
    for _ in range(4):
        _post_login(client, "alice")
    assert _post_login(client, "alice", TEST_PASSWORD).status_code == 302

    # Four more failures are again tolerated: the earlier four no longer count.
    for _ in range(4):
        assert _post_login(Client(REMOTE_ADDR="10.0.4.1"), "alice").status_code == 200


def test_signing_in_to_ones_own_account_does_not_forgive_guesses_at_another(cast):
    """An insider must not be able to guess a colleague's password indefinitely by signing in to
    their own account every fourth guess (axes' AXES_RESET_ON_SUCCESS resets the whole address)."""
    insider = "10.0.5.1"
    for _ in range(4):
        _post_login(Client(REMOTE_ADDR=insider), "lan")
    assert _post_login(Client(REMOTE_ADDR=insider), "alice", TEST_PASSWORD).status_code == 302

    assert _post_login(Client(REMOTE_ADDR=insider), "lan").status_code == 429
    assert _post_login(Client(REMOTE_ADDR="10.0.5.2"), "lan", TEST_PASSWORD).status_code == 429


def test_sign_in_works_again_after_the_cool_off(cast):
    with time_machine.travel(dt.datetime(2026, 3, 8, 9, 0, tzinfo=dt.UTC), tick=False) as traveller:
        for _ in range(5):
            _post_login(Client(), "alice")
        traveller.shift(dt.timedelta(minutes=29))
        assert _post_login(Client(), "alice", TEST_PASSWORD).status_code == 429

        # Failed attempts during the lockout restart it, so wait the full period after the last one.
        traveller.shift(dt.timedelta(minutes=31))
        assert _post_login(Client(), "alice", TEST_PASSWORD).status_code == 302


# --- Client address behind reverse proxies --------------------------------------------------------


def _request(remote_addr: str, forwarded_for: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return RequestFactory().post(LOGIN, REMOTE_ADDR=remote_addr, **extra)


def test_client_address_is_the_socket_peer_without_proxies(settings):
    settings.PROXY_COUNT = 0
    assert client_ip(_request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_client_address_is_taken_from_the_trusted_proxys_forwarded_for(settings):
    settings.PROXY_COUNT = 1
    # The left part is whatever the client sent; only the entry our proxy appended is trusted.
    assert client_ip(_request("127.0.0.1", "6.6.6.6, 203.0.113.7")) == "203.0.113.7"
    settings.PROXY_COUNT = 2
    assert client_ip(_request("127.0.0.1", "6.6.6.6, 203.0.113.7, 10.0.0.2")) == "203.0.113.7"


@pytest.mark.parametrize("forwarded_for", [None, "", "not-an-address", "203.0.113.7, <script>"])
def test_client_address_falls_back_to_the_peer_on_a_missing_or_malformed_header(settings, forwarded_for):
    settings.PROXY_COUNT = 1
    assert client_ip(_request("127.0.0.1", forwarded_for)) == "127.0.0.1"


def test_behind_a_proxy_one_attackers_failures_do_not_lock_everyone_out(settings, cast):
    settings.PROXY_COUNT = 1
    for username in ["lan", "charlie", "binh", "nobody", "police"]:
        _post_login(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6"), username)
    attacker = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert _post_login(attacker, "alice").status_code == 429

    honest = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert _post_login(honest, "alice", TEST_PASSWORD).status_code == 302


# --- The sign-in wall -----------------------------------------------------------------------------


def test_every_page_except_sign_in_requires_signing_in(client, db):
    samples = all_sample_urls()
    names = {sample.name for sample in samples}
    assert names >= ANONYMOUS_ALLOWED, "the allow-list names a view that no longer exists"
    assert "admin:index" in names  # the walk reaches into included URL maps

    for sample in samples:
        if sample.name in ANONYMOUS_ALLOWED:
            continue
        response = client.get(sample.path, follow=True)
        # Only redirects on the way (the operator pages go through their own login URL, which sends
        # on to ours), ending on the one sign-in page.
        assert response.redirect_chain, (sample.path, response.status_code)
        assert all(status == 302 for _url, status in response.redirect_chain), response.redirect_chain
        assert response.redirect_chain[-1][0].startswith(f"{LOGIN}?next="), response.redirect_chain
        assert response.status_code == 200
        assert response.request["PATH_INFO"] == LOGIN


def test_allow_listed_pages_answer_anonymous_visitors_without_revealing_anything(client, db):
    assert client.get(LOGIN).status_code == 200
    response = client.get("/i18n/setlang/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_static_assets_are_served_without_signing_in(client, db):
    response = client.get("/static/css/app.css")

    assert response.status_code == 200


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "username"),
        ({"username": "alice"}, "password"),
        ({"password": WRONG}, "username"),
        ({"username": "a" * 10_000, "password": WRONG}, "username"),
        ({"username": "ali\x00ce", "password": WRONG}, "username"),
        ({"username": "alice", "password": "pass\x00word"}, "password"),
        ({"username": ["alice", "lan"], "password": [WRONG, WRONG]}, "__all__"),
        ({"username": "alice", "password": "p" * 10_000}, "__all__"),
        ({"username": "", "password": ""}, "username"),
    ],
    ids=["empty", "no-password", "no-username", "huge-username", "nul-username", "nul-password",
         "lists", "huge-password", "blank"],
)
def test_malformed_sign_in_post_shows_the_form_error(client, cast, data, field):
    response = client.post(LOGIN, data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    html = response.content.decode()
    assert 'role="alert"' in html
    from django.utils.html import escape

    assert escape(errors[field][0]) in html


def test_huge_username_is_kept_in_the_form(client, cast):
    html = _post_login(client, "b" * 10_000).content.decode()

    assert 'value="' + "b" * 10_000 + '"' in html


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"username=%FF%FE%FD&password=\xff\xfe", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00\x01garbage", "application/x-www-form-urlencoded"),
        (b'{"username": "alice", "password": "x"}', "application/json"),
        (b"<login><username>alice</username></login>", "text/xml"),
        (b"username=alice", "text/plain"),
        (b'--b\r\nContent-Disposition: form-data; name="username"\r\n\r\nalice',
         "multipart/form-data; boundary=b"),
        (b"garbage", "multipart/form-data"),
        (b"garbage", "multipart/form-data; boundary=\xff"),
        (b"&".join(b"f%d=1" % i for i in range(1000)), "application/x-www-form-urlencoded"),
    ],
    ids=["bad-utf8-escapes", "bad-utf8-raw", "json", "xml", "text", "truncated-multipart",
         "multipart-no-boundary", "multipart-bad-boundary", "too-many-fields"],
)
def test_undecodable_or_non_form_body_is_refused_without_a_server_error(client, cast, body, content_type):
    response = client.post(LOGIN, data=body, content_type=content_type)

    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        assert response.context["form"].errors


def test_malformed_post_with_csrf_checks_on_is_refused_not_crashed(cast):
    client = Client(enforce_csrf_checks=True)
    for body, content_type in [
        (b"garbage", "multipart/form-data"),
        (b"username=%FF&password=\xff", "application/x-www-form-urlencoded"),
        (b"{}", "application/json"),
    ]:
        assert client.post(LOGIN, data=body, content_type=content_type).status_code in (400, 403)
