"""Two-step sign-in (TOTP) for the roles that see across organisations or administer the system."""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import quote

import pytest
import time_machine
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.access import TWO_FACTOR_ROLES
from accounts.middleware import TWO_FACTOR_EXEMPT
from accounts.models import Membership, Role
from tests.accounts.urlmap import all_sample_urls
from tests.conftest import signed_in
from tests.factories import TEST_PASSWORD, totp_device

SETUP = "/accounts/two-step/setup/"
VERIFY = "/accounts/two-step/"
TWO_FACTOR_CAST = ["analyst", "supervisor", "sysadmin"]
# Pages that must stay shut until the second step, whatever else the URL map holds.
GUARDED = [
    "/", "/operator/", "/operator/accounts/user/", "/operator/accounts/membership/add/",
    "/accounts/profile/", "/accounts/password/", "/accounts/act-as/", "/no-such-page/",
]


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _after_password(membership: Membership) -> Client:
    """A client that has passed the password step, through the real sign-in form."""
    client = Client()
    credentials = {"username": membership.user.username, "password": TEST_PASSWORD}
    response = client.post("/accounts/login/", credentials)
    assert response.status_code == 302
    return client


def test_two_factor_is_required_for_analysts_supervisors_and_administrators():
    assert {Role.PROVINCIAL_ANALYST, Role.UNION_SUPERVISOR, Role.SYSTEM_ADMINISTRATOR} == TWO_FACTOR_ROLES


@pytest.mark.parametrize("who", TWO_FACTOR_CAST)
def test_two_factor_role_without_a_device_is_sent_to_setup_from_every_guarded_page(cast, who):
    membership = getattr(cast, who)
    client = _after_password(membership)

    for path in [*GUARDED, f"/accounts/act-as/{membership.pk}/"]:
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 302, (path, response.status_code)
            assert response["Location"] == f"{SETUP}?next={quote(path, safe='')}", path


@pytest.mark.parametrize("who", TWO_FACTOR_CAST)
def test_two_factor_role_with_a_device_is_sent_to_verify_from_every_guarded_page(cast, who):
    membership = getattr(cast, who)
    totp_device(membership.user)
    client = _after_password(membership)

    for path in GUARDED:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(f"{VERIFY}?next="), (path, response["Location"])


def test_before_the_second_step_only_two_step_pages_sign_out_and_language_are_reachable(cast):
    client = _after_password(cast.sysadmin)
    samples = all_sample_urls()
    assert {sample.name for sample in samples} >= TWO_FACTOR_EXEMPT

    for sample in samples:
        if sample.name in TWO_FACTOR_EXEMPT:
            continue
        response = client.get(sample.path)
        assert response.status_code == 302, (sample.path, response.status_code)
        assert response["Location"].startswith(f"{SETUP}?next="), (sample.path, response["Location"])

    # The exempt pages answer.
    assert client.get(SETUP).status_code == 200
    assert client.get(VERIFY).status_code == 200
    assert client.post("/i18n/setlang/", {"language": "en", "next": SETUP})["Location"] == SETUP
    logout = client.post("/accounts/logout/")
    assert logout.status_code == 302
    assert client.get(SETUP)["Location"].startswith("/accounts/login/")


def test_setup_page_shows_the_key_as_an_inline_qr_code(cast):
    client = _after_password(cast.analyst)

    response = client.get(SETUP)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'src="data:image/svg+xml' in html  # rendered here: the key never goes to an outside service
    device = TOTPDevice.objects.get(user=cast.analyst.user, confirmed=False)
    assert base64.b32encode(device.bin_key).decode() in html
    # Reloading the page shows the same key rather than piling up devices.
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=cast.analyst.user).count() == 1


def test_confirming_setup_with_a_valid_code_enrols_the_device_and_verifies_the_session(cast):
    client = _after_password(cast.analyst)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=cast.analyst.user)

    response = client.post(f"{SETUP}?next=/accounts/profile/", {"token": _code(device)})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/").status_code == 200
    assert client.get("/accounts/profile/").status_code == 200


def test_setup_with_a_wrong_code_explains_and_enrols_nothing(cast):
    client = _after_password(cast.analyst)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=cast.analyst.user)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"

    response = client.post(SETUP, {"token": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/")["Location"].startswith(SETUP)


def test_verifying_with_a_valid_code_opens_the_page_first_asked_for(cast):
    device = totp_device(cast.supervisor.user)
    client = _after_password(cast.supervisor)
    to_verify = client.get("/accounts/profile/")["Location"]
    assert to_verify == f"{VERIFY}?next=%2Faccounts%2Fprofile%2F"

    response = client.post(to_verify, {"token": _code(device)})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/").status_code == 200


def test_verifying_with_a_wrong_code_shows_a_clear_error_and_keeps_the_door_shut(cast):
    device = totp_device(cast.supervisor.user)
    client = _after_password(cast.supervisor)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"

    response = client.post(VERIFY, {"token": wrong})

    assert response.status_code == 200
    html = response.content.decode()
    [error] = response.context["form"].errors["token"]
    assert error in html
    assert client.get("/")["Location"].startswith(VERIFY)


@pytest.mark.parametrize(
    "token", ["", "abcdef", "12345", "1234567", "1" * 10_000, "12\x0034", "12 34 56", ["abc", "def"]],
    ids=["empty", "letters", "short", "long", "huge", "nul", "spaces", "list"],
)
def test_verify_refuses_malformed_codes_with_a_form_error(cast, token):
    totp_device(cast.sysadmin.user)
    client = _after_password(cast.sysadmin)

    response = client.post(VERIFY, {"token": token})

    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert client.get("/operator/")["Location"].startswith(VERIFY)


def test_a_code_cannot_be_used_twice(cast):
    device = totp_device(cast.analyst.user)
    first, second = _after_password(cast.analyst), _after_password(cast.analyst)
    code = _code(device)

    assert first.post(VERIFY, {"token": code}).status_code == 302
    replay = second.post(VERIFY, {"token": code})

    assert replay.status_code == 200
    assert replay.context["form"].errors["token"]


def test_wrong_codes_slow_down_further_attempts(cast):
    device = totp_device(cast.analyst.user)
    client = _after_password(cast.analyst)
    with time_machine.travel(dt.datetime(2026, 3, 8, 9, 0, 5, tzinfo=dt.UTC), tick=False) as traveller:
        for _ in range(3):
            client.post(VERIFY, {"token": f"{(int(_code(device)) + 1) % 1_000_000:06d}"})
        # Even the right code is refused while throttled…
        assert client.post(VERIFY, {"token": _code(device)}).status_code == 200
        # …and accepted once the back-off has passed.
        traveller.shift(dt.timedelta(seconds=10))
        assert client.post(VERIFY, {"token": _code(device)}).status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "http:/evil.example/",
        "https:evil.example",
        "javascript:alert(1)",
        " //evil.example/",
        "\t//evil.example/",
        "http://testserver@evil.example/",
        "http://evil.example\\@testserver/",
    ],
)
def test_verify_does_not_redirect_off_site(cast, target):
    device = totp_device(cast.sysadmin.user)
    client = _after_password(cast.sysadmin)

    response = client.post(f"{VERIFY}?next={quote(target, safe='')}", {"token": _code(device)})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_verify_follows_a_local_next(cast):
    device = totp_device(cast.sysadmin.user)
    client = _after_password(cast.sysadmin)

    response = client.post(f"{VERIFY}?next=/operator/accounts/user/%3Fq%3Dx", {"token": _code(device)})

    assert response["Location"] == "/operator/accounts/user/?q=x"


@pytest.mark.parametrize("who", ["volunteer_a", "lead_a", "police_officer"])
def test_roles_without_cross_organisation_reach_sign_in_with_a_password_alone(cast, who):
    client = _after_password(getattr(cast, who))

    assert client.get("/").status_code == 200
    assert client.get("/accounts/profile/").status_code == 200


def test_helper_client_for_two_factor_roles_is_verified(cast):
    # The rest of the suite relies on tests.conftest.signed_in passing the second step.
    assert signed_in(cast.sysadmin).get("/").status_code == 200
