"""Sessions: idle timeout, signing out everywhere on a password change, choosing the acting role."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from accounts import services
from accounts.middleware import SESSION_MEMBERSHIP_KEY
from accounts.models import Role
from tests import factories as f
from tests.conftest import signed_in
from tests.factories import TEST_PASSWORD

START = dt.datetime(2026, 3, 8, 8, 0, tzinfo=dt.UTC)
NEW_PASSWORD = "a-brand-new-passphrase-2026"


def _is_signed_in(client: Client) -> bool:
    response = client.get("/accounts/profile/")
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/?next=")
        return False
    assert response.status_code == 200
    return True


# --- Idle timeout ---------------------------------------------------------------------------------


def test_idle_timeout_is_thirty_minutes_and_django_expiry_is_only_the_backstop():
    assert settings.SESSION_IDLE_TIMEOUT_MINUTES == 30
    assert "accounts.middleware.IdleTimeoutMiddleware" in settings.MIDDLEWARE
    # The session row outlives the idle time by the hour work is kept, so a late post knows its author.
    assert settings.SESSION_COOKIE_AGE == (30 + 60) * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_session_ends_after_thirty_one_idle_minutes(cast):
    with time_machine.travel(START, tick=False) as traveller:
        client = signed_in(cast.volunteer_a)
        assert _is_signed_in(client)

        traveller.shift(dt.timedelta(minutes=31))

        assert not _is_signed_in(client)


def test_activity_every_twenty_minutes_keeps_the_session_alive(cast):
    with time_machine.travel(START, tick=False) as traveller:
        client = signed_in(cast.volunteer_a)
        for _minute in (20, 40):
            traveller.shift(dt.timedelta(minutes=20))
            assert _is_signed_in(client)

        traveller.shift(dt.timedelta(minutes=10))  # minute 50, 50 minutes after signing in
        assert _is_signed_in(client)


def test_idle_timeout_also_ends_the_second_step(cast):
    with time_machine.travel(START, tick=False) as traveller:
        client = signed_in(cast.sysadmin)
        assert client.get("/operator/").status_code == 200

        traveller.shift(dt.timedelta(minutes=31))

        assert client.get("/operator/")["Location"].startswith("/operator/login/")


def test_session_cookie_is_http_only_same_site_and_dies_with_the_browser(client, cast):
    client.post("/accounts/login/", {"username": "alice", "password": TEST_PASSWORD})

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["max-age"]
    assert not cookie["expires"]


def test_signing_in_issues_a_new_session_key(client, cast):
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key

    client.post("/accounts/login/", {"username": "alice", "password": TEST_PASSWORD})

    assert client.session.session_key != before


def test_signing_out_kills_the_session_on_the_server(cast):
    client = signed_in(cast.volunteer_a)
    stolen = Client()
    stolen.cookies = client.cookies.__class__(client.cookies)  # a copy of the cookie jar
    assert _is_signed_in(stolen)

    assert client.post("/accounts/logout/").status_code == 302

    assert not _is_signed_in(client)
    assert not _is_signed_in(stolen)


def test_sign_out_is_post_only(cast):
    client = signed_in(cast.volunteer_a)

    # A GET (an <img src> planted somewhere) must not sign anybody out.
    assert client.get("/accounts/logout/").status_code == 405
    assert _is_signed_in(client)


# --- Password change ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["volunteer_a", "sysadmin"])
def test_changing_the_password_signs_out_every_other_session(cast, who):
    membership = getattr(cast, who)
    changer, other = signed_in(membership), signed_in(membership)
    assert _is_signed_in(other)

    response = changer.post(
        "/accounts/password/",
        {"old_password": TEST_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert not _is_signed_in(other)
    assert _is_signed_in(changer)
    assert changer.get("/").status_code == 200  # second step, where needed, is kept
    membership.user.refresh_from_db()
    assert membership.user.check_password(NEW_PASSWORD)


def test_password_change_with_the_wrong_current_password_changes_nothing(cast):
    changer, other = signed_in(cast.volunteer_a), signed_in(cast.volunteer_a)

    response = changer.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    assert _is_signed_in(other)
    cast.volunteer_a.user.refresh_from_db()
    assert cast.volunteer_a.user.check_password(TEST_PASSWORD)


def test_a_weak_new_password_is_refused(cast):
    client = signed_in(cast.volunteer_a)

    response = client.post(
        "/accounts/password/",
        {"old_password": TEST_PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]


# --- Acting membership ----------------------------------------------------------------------------


@pytest.fixture
def alice_in_two_places(cast):
    """Alice volunteers at address A and at address B."""
    second = f.member(Role.VOLUNTEER, cast.address_b, user=cast.volunteer_a.user)
    return cast.volunteer_a, second


def test_user_with_two_roles_chooses_one_and_acts_as_it(cast, alice_in_two_places):
    first, second = alice_in_two_places
    client = Client()
    client.force_login(first.user)
    assert client.get("/")["Location"] == "/accounts/act-as/"

    response = client.post(f"/accounts/act-as/{second.pk}/")

    assert response.status_code == 302
    assert client.session[SESSION_MEMBERSHIP_KEY] == second.pk
    assert cast.address_b.name in client.get("/").content.decode()


def test_switching_to_another_users_membership_is_not_found(cast, alice_in_two_places):
    client = signed_in(cast.volunteer_a)

    for others in (cast.lead_a, cast.volunteer_b, cast.sysadmin):
        assert client.post(f"/accounts/act-as/{others.pk}/").status_code == 404
    assert client.session[SESSION_MEMBERSHIP_KEY] == cast.volunteer_a.pk


def test_switching_to_a_revoked_membership_is_not_found(cast, alice_in_two_places):
    first, second = alice_in_two_places
    services.membership_revoke(membership=second, by=None)
    client = signed_in(first)

    assert client.post(f"/accounts/act-as/{second.pk}/").status_code == 404
    assert client.session[SESSION_MEMBERSHIP_KEY] == first.pk


def test_switching_to_an_unknown_membership_is_not_found(cast):
    client = signed_in(cast.volunteer_a)

    assert client.post("/accounts/act-as/999999999/").status_code == 404


def test_switching_needs_a_post(cast, alice_in_two_places):
    _first, second = alice_in_two_places
    client = signed_in(cast.volunteer_a)

    assert client.get(f"/accounts/act-as/{second.pk}/").status_code == 405
    assert client.session[SESSION_MEMBERSHIP_KEY] == cast.volunteer_a.pk


def test_a_membership_revoked_mid_session_stops_working_at_once(cast, alice_in_two_places):
    first, second = alice_in_two_places
    client = signed_in(second)
    assert cast.address_b.name in client.get("/").content.decode()

    services.membership_revoke(membership=second, by=None)

    html = client.get("/").content.decode()
    assert cast.address_b.name not in html
    assert cast.address_a.name in html  # the one remaining role


def test_vietnamese_is_the_default_even_for_a_phone_set_to_english(client, db):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page["Content-Language"] == "vi"
    assert '<html lang="vi">' in page.content.decode()


def test_english_is_kept_once_chosen_with_the_switch(client, db):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/")
    assert page["Content-Language"] == "en"


def test_two_factor_gate_fails_closed_when_memberships_were_not_loaded(cast, rf):
    from django.contrib.sessions.middleware import SessionMiddleware

    from accounts.middleware import TwoFactorRequiredMiddleware

    request = rf.get("/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = cast.analyst.user
    request.user.is_verified = lambda: False
    response = TwoFactorRequiredMiddleware(lambda r: "page")(request)
    assert response != "page" and response.status_code == 302
