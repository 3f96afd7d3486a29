"""seed_demo and demo_totp: what the demo holds, that it is idempotent, and where it refuses."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.test import Client
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import given
from hypothesis import strategies as st

from accounts import demo
from accounts.models import AdminUnit, Membership, Organisation, Role, User
from portal import demo as portal_demo
from portal.demo.casework import build_demo_cases
from portal.demo.indicators import build_demo_release, build_demo_targets
from portal.demo.referrals import build_demo_referrals
from tests import factories as f

K = Organisation.Kind


@pytest.fixture(autouse=True)
def accounts_demo_only(monkeypatch):
    """These tests are about the accounts part of the demo: the other apps' builders (which test
    themselves) are left out, except in the test of the whole demo at the end."""
    monkeypatch.setattr(portal_demo, "BUILDERS", ())


def run(command: str, *args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command(command, *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "units": AdminUnit.objects.count(),
        "organisations": Organisation.objects.count(),
        "groups": Group.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "devices": TOTPDevice.objects.count(),
        "organisation history": Organisation.history.count(),
        "membership history": Membership.history.count(),
    }


def printed_password(output: str) -> str:
    return re.search(r"^Password for every demo user: (\S+)$", output, re.MULTILINE).group(1)


def test_seed_demo_builds_a_province_of_trusted_addresses_with_one_user_per_role(db):
    output = run("seed_demo")

    levels = dict(AdminUnit.objects.values_list("level").annotate(n=Count("id")))
    assert levels == {"province": 1, "district": 3, "commune": 7, "village": 11}
    province = AdminUnit.objects.get(level="province")
    assert (province.code, province.name) == ("62", "Tỉnh Kon Tum")
    assert AdminUnit.objects.get(level="district", code="613").name == "Huyện Kon Plông"
    assert AdminUnit.objects.get(level="village", code="23479-01").parent.code == "23479"

    kinds = dict(Organisation.objects.values_list("kind").annotate(n=Count("id")))
    assert kinds == {
        K.TRUSTED_ADDRESS: 10, K.COMMUNE_POLICE: 3, K.HEALTH_STATION: 3, K.LEGAL_AID: 1,
        K.SOCIAL_PROTECTION: 1, K.WOMENS_UNION_DISTRICT: 3, K.WOMENS_UNION_PROVINCE: 1,
    }
    addresses = Organisation.objects.trusted_addresses()
    statuses = dict(addresses.values_list("programme_status").annotate(n=Count("id")))
    assert statuses == {"new": 5, "consolidated": 5}
    inactive = list(addresses.filter(is_active=False).values_list("name", flat=True))
    assert inactive == ["Địa chỉ tin cậy xã Pờ Ê"]
    assert Organisation.objects.get(kind=K.WOMENS_UNION_PROVINCE).name == "Hội LHPN tỉnh Kon Tum"

    roles = dict(Membership.objects.values_list("role").annotate(n=Count("id")))
    assert roles == {
        Role.VOLUNTEER: 4, Role.LEAD: 2, Role.PARTNER_OFFICER: 2, Role.UNION_SUPERVISOR: 1,
        Role.PROVINCIAL_ANALYST: 1, Role.SYSTEM_ADMINISTRATOR: 1,
    }
    assert User.objects.count() == 10
    assert "Administrative units: 22 created, 0 already there" in output
    assert "Memberships: 11 created, 0 already there" in output


def test_two_trusted_addresses_and_two_partners_have_members(db):
    run("seed_demo")

    members = {
        org.name: sorted(org.memberships.values_list("user__username", flat=True))
        for org in Organisation.objects.annotate(n=Count("memberships")).filter(n__gt=0)
    }
    assert members == {
        "Địa chỉ tin cậy làng Kon Chênh": ["haidiachi", "tinhnguyen", "truongdiachi"],
        "Địa chỉ tin cậy xã Hiếu": ["haidiachi", "tinhnguyenb", "truongdiachib"],
        "Công an xã Măng Cành": ["congan"],
        "Trạm Y tế xã Hiếu": ["yte"],
        "Hội LHPN huyện Kon Plông": ["giamsat"],
        "Hội LHPN tỉnh Kon Tum": ["phantich", "quantri"],
    }


def test_only_roles_needing_two_factor_get_the_confirmed_demo_device(db):
    output = run("seed_demo")

    devices = TOTPDevice.objects.filter(confirmed=True, name="demo", key=demo.DEMO_TOTP_KEY)
    assert sorted(devices.values_list("user__username", flat=True)) == ["giamsat", "phantich", "quantri"]
    table = {line.split()[0]: line for line in output.splitlines() if line.startswith(("quantri", "congan"))}
    assert table["quantri"].endswith("yes: demo_totp quantri")
    assert "Hội LHPN tỉnh Kon Tum" in table["quantri"]
    assert table["congan"].endswith("no")


def test_running_seed_demo_twice_creates_and_changes_nothing(db):
    run("seed_demo")
    before = counts()
    passwords = dict(User.objects.values_list("username", "password"))

    output = run("seed_demo")

    assert counts() == before
    assert dict(User.objects.values_list("username", "password")) == passwords
    assert "Organisations: 0 created, 22 already there" in output
    assert "Users: 0 created, 10 already there" in output
    assert "warning" not in output


def test_an_existing_user_with_a_demo_name_keeps_their_password(db):
    f.UserFactory(username="congan")

    output = run("seed_demo")

    assert "congan already exists with another password; it was left unchanged." in output
    assert User.objects.get(username="congan").check_password(f.TEST_PASSWORD)
    assert Membership.objects.get(user__username="congan").organisation.name == "Công an xã Măng Cành"


def test_a_user_with_their_own_device_gets_no_demo_device(db):
    f.totp_device(f.UserFactory(username="quantri", password=demo.DEFAULT_PASSWORD))

    output = run("seed_demo")

    devices = TOTPDevice.objects.filter(user__username="quantri")
    assert list(devices.values_list("name", flat=True)) == ["test"]
    assert "yes: the user's own device" in output
    with pytest.raises(CommandError, match="quantri has no demo two-step device"):
        run("demo_totp", "quantri")


def test_seed_demo_refuses_in_production_mode(db, settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="does not run in production mode"):
        run("seed_demo")
    with pytest.raises(CommandError, match="does not run in production mode"):
        run("demo_totp", "quantri")
    assert counts()["units"] == 0
    with pytest.raises(demo.DemoError):
        demo.build_demo(log=lambda message: None)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("9999", "“9999” is not an administrative unit code"),
        ("62; DROP TABLE", "is not an administrative unit code"),
        ("23479-1", "“23479-1” is not an administrative unit code"),
        ("", "“” is not an administrative unit code"),
        ("615", "There is no administrative unit with code 615 in the demo. Codes you can use: 62, 613,"),
        ("23479-09", "There is no administrative unit with code 23479-09 in the demo."),
    ],
)
def test_bad_area_code_is_a_clear_error_and_writes_nothing(db, code, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run("seed_demo", "--only-area", code)
    assert counts()["units"] == 0


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--province-code", "6"], "“6” is not a province code"),
        (["--province-name", "  "], "Give the province's name"),
        (["--password", "123"], "The demo password is not accepted: This password is too short."),
        (["--password", "tinhnguyen1"], "The demo password is not accepted"),
    ],
)
def test_bad_options_are_clear_errors_and_write_nothing(db, option, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run("seed_demo", *option)
    assert counts()["units"] == 0


def test_another_province_code_over_an_existing_demo_is_refused_and_rolled_back(db):
    run("seed_demo")
    before = counts()

    with pytest.raises(CommandError, match="The unit with code 613 .* already exists under Tỉnh Kon Tum, "
                                           "not under Tỉnh Gia Lai"):
        run("seed_demo", "--province-code", "64", "--province-name", "Tỉnh Gia Lai")
    assert counts() == before


OFFICIAL_SHAPE = re.compile(r"[0-9]{2}|[0-9]{3}|[0-9]{5}|[0-9]{5}-[0-9]{2}")


@given(st.one_of(st.text(max_size=12), st.from_regex(OFFICIAL_SHAPE, fullmatch=True)))
def test_parse_area_code_accepts_official_shapes_and_refuses_the_rest_with_demo_error(raw):
    try:
        with translation.override("en"):
            code = demo.parse_area_code(raw)
    except demo.DemoError as error:
        assert not OFFICIAL_SHAPE.fullmatch(raw.strip())
        assert "is not an administrative unit code" in str(error)
    else:
        assert code == raw.strip()
        assert OFFICIAL_SHAPE.fullmatch(code)


def test_demo_codes_are_unique_across_levels_so_only_area_is_unambiguous():
    codes = demo.demo_plan().codes()
    assert len(codes) == len(set(codes)) == 22


def test_only_area_seeds_the_commune_the_units_above_it_and_their_offices(db):
    output = run("seed_demo", "--only-area", "23482")

    units = sorted(AdminUnit.objects.values_list("code", flat=True))
    assert units == ["23482", "23482-01", "23482-02", "613", "62"]
    assert sorted(Organisation.objects.values_list("name", flat=True)) == [
        "Hội LHPN huyện Kon Plông", "Hội LHPN tỉnh Kon Tum", "Trung tâm Công tác xã hội tỉnh Kon Tum",
        "Trung tâm Trợ giúp pháp lý Nhà nước tỉnh Kon Tum", "Trạm Y tế xã Hiếu",
        "Địa chỉ tin cậy làng Vi Văng", "Địa chỉ tin cậy xã Hiếu",
    ]
    assert sorted(User.objects.values_list("username", flat=True)) == [
        "giamsat", "haidiachi", "phantich", "quantri", "tinhnguyenb", "truongdiachib", "yte",
    ]
    shared = Membership.objects.filter(user__username="haidiachi")
    assert list(shared.values_list("organisation__name", flat=True)) == ["Địa chỉ tin cậy xã Hiếu"]
    assert "Administrative units: 5 created, 0 already there" in output

    # The rest of the province can be added later; what exists is found, not duplicated.
    output = run("seed_demo")
    assert "Administrative units: 17 created, 5 already there" in output
    assert Membership.objects.filter(user__username="haidiachi").count() == 2


def test_dry_run_reports_what_it_would_create_and_writes_nothing(db):
    output = run("seed_demo", "--dry-run")

    assert "  + Administrative unit: Tỉnh Kon Tum (62)" in output
    assert "  + Membership: haidiachi · Địa chỉ tin cậy xã Hiếu · Volunteer" in output
    assert "Administrative units: 22 created, 0 already there" in output
    assert "nothing was saved" in output
    assert set(counts().values()) == {0}


def test_seed_demo_builds_cases_then_referrals_from_them_then_the_figures_that_count_both(monkeypatch):
    monkeypatch.undo()  # every app's builder, as seed_demo runs them

    assert list(portal_demo.BUILDERS) == [build_demo_cases, build_demo_referrals, build_demo_targets,
                                          build_demo_release]


def test_the_demo_builders_run_after_the_accounts_demo_and_roll_back_with_dry_run(db, monkeypatch):
    seen = {}

    def build_extra(d: demo.Demo) -> None:
        address = d.organisations[demo.ADDRESS_A]
        seen["address"] = address.name
        seen["volunteer"] = d.users["tinhnguyen"].memberships[0].role
        group = Group.objects.create(name="extra")
        d.record(group, created=True)

    monkeypatch.setattr(portal_demo, "BUILDERS", (build_extra,))

    output = run("seed_demo", "--dry-run")

    assert seen == {"address": "Địa chỉ tin cậy làng Kon Chênh", "volunteer": Role.VOLUNTEER}
    assert "Demo data: tests.accounts.test_seed_demo" in output
    assert "Groups: 1 created, 0 already there" in output
    assert not Group.objects.filter(name="extra").exists()


def test_demo_totp_prints_a_code_the_device_accepts_and_the_otpauth_url(db):
    run("seed_demo")

    lines = run("demo_totp", "giamsat").splitlines()

    assert re.fullmatch(r"\d{6}", lines[0])
    assert re.fullmatch(r"Valid for \d+ more seconds \(a new code every 30 seconds\)\.", lines[1])
    assert lines[2].startswith("Authenticator app: otpauth://totp/") and "giamsat" in lines[2]
    device = TOTPDevice.objects.get(user__username="giamsat")
    assert device.verify_token(lines[0]) is True


@pytest.mark.parametrize("username", ["tinhnguyen", "nobody", "operator"])
def test_demo_totp_refuses_users_without_the_demo_device(db, username):
    run("seed_demo")
    f.totp_device(f.UserFactory(username="operator"))

    expected = f"{username} has no demo two-step device.*giamsat, phantich, quantri"
    with pytest.raises(CommandError, match=expected):
        run("demo_totp", username)


def test_every_demo_user_signs_in_with_the_printed_password(db):
    password = printed_password(run("seed_demo"))
    assert password == demo.DEFAULT_PASSWORD

    for username in sorted(demo.DEMO_USERNAMES):
        client = Client()
        response = client.post("/accounts/login/", {"username": username, "password": password})
        assert response.status_code == 302, username
        assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)
        home = client.get("/")
        if username in {"giamsat", "phantich", "quantri"}:
            assert home["Location"].startswith("/accounts/two-step/")
            code = run("demo_totp", username).splitlines()[0]
            assert client.post("/accounts/two-step/", {"token": code}).status_code == 302
            assert client.get("/").status_code == 200, username
        elif username == "haidiachi":
            assert home["Location"] == "/accounts/act-as/"
        else:
            assert home.status_code == 200, username


def test_a_custom_password_is_printed_and_works(db):
    password = printed_password(run("seed_demo", "--password", "mat-khau-trinh-dien", "--only-area", "613"))

    assert password == "mat-khau-trinh-dien"
    response = Client().post("/accounts/login/", {"username": "congan", "password": password})
    assert response.status_code == 302


def test_the_whole_demo_with_every_app_builder_is_idempotent(db, monkeypatch):
    monkeypatch.undo()  # every app's builder, as seed_demo runs them

    def every_table() -> dict[str, int]:
        return {model._meta.label: model._default_manager.count() for model in apps.get_models()
                if model._meta.app_label not in {"sessions", "axes"}}

    run("seed_demo", "--only-area", "23482")
    before = every_table()
    run("seed_demo", "--only-area", "23482")

    assert every_table() == before
