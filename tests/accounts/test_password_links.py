"""Operators never see or set passwords: one-time links (invitation, reset), shown once, used once,
within 24 hours; "Forgot password?" that tells nothing; and the hole closed — a link that the role's
own confirmer did not hand over sends case-reading roles back to be confirmed."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AccountEvent, AccountLink, Membership, Role, User
from tests import factories as f
from tests.casework.builders import case_a
from tests.conftest import signed_in

Kind = AccountEvent.Kind
State = Membership.State
FORGOT = "/accounts/password/forgot/"
CHOSEN = "Mat-khau-cua-rieng-toi-2025"
SAME_ANSWER = "Cảm ơn bạn. Nếu tên đăng nhập này có tài khoản kèm địa chỉ thư điện tử"


@pytest.fixture(autouse=True)
def fresh_throttle():
    # "Forgot password?" counts asks per username in the cache, which outlives a test's database.
    cache.clear()
    yield
    cache.clear()


def _token_from(html: str) -> str:
    return re.search(r'<code class="secret">[^<]*/accounts/link/([^/<]+)/</code>', html).group(1)


def _choose_password(token: str, password: str = CHOSEN, client: Client | None = None):  # type: ignore[no-untyped-def]
    client = client or Client()
    opened = client.get(f"/accounts/link/{token}/")
    if opened.status_code != 302:
        return opened
    assert opened["Location"] == "/accounts/link/"  # the token leaves the address bar at once
    return client.post("/accounts/link/", {"new_password1": password, "new_password2": password})


def _signs_in(username: str, password: str = CHOSEN) -> bool:
    return Client().post("/accounts/login/", {"username": username, "password": password}).status_code == 302


# --- The operator creates an account: no password field, an invitation shown once ------------------


def test_the_admin_user_forms_have_no_password_field_and_no_password_page_for_others(cast):
    operator = signed_in(cast.sysadmin)

    add = operator.get(reverse("admin:accounts_user_add")).content.decode()
    change = operator.get(reverse("admin:accounts_user_change", args=[cast.volunteer_a.user_id])).content.decode()

    for page in (add, change):
        assert 'type="password"' not in page
        assert 'name="password' not in page
        assert "md5$" not in page and "argon2" not in page  # not even the hash's summary
    password_page = reverse("admin:auth_user_password_change", args=[cast.volunteer_a.user_id])
    assert operator.get(password_page).status_code == 404
    assert operator.post(password_page, {"password1": "x" * 12, "password2": "x" * 12}).status_code == 404
    assert cast.volunteer_a.user.check_password(f.TEST_PASSWORD)


def test_a_new_account_gets_an_invitation_shown_once_and_its_holder_chooses_the_password(cast):
    operator = signed_in(cast.sysadmin)

    created = operator.post(reverse("admin:accounts_user_add"), {
        "username": "hoa", "first_name": "Hoa", "last_name": "Đinh Thị", "email": "", "delivery": "handed",
        "_save": "1",
    })

    assert created.status_code == 302 and created["Location"] == "/accounts/password-link/"
    hoa = User.objects.get(username="hoa")
    assert not hoa.has_usable_password()
    shown = operator.get("/accounts/password-link/")
    assert "no-store" in shown["Cache-Control"]
    html = shown.content.decode()
    token = _token_from(html)
    assert 'src="data:image/svg+xml' in html  # the QR code, drawn here, no outside service
    assert token not in re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    # Shown once: reloading (or going back) shows nothing.
    again = operator.get("/accounts/password-link/").content.decode()
    assert token not in again
    assert "Mỗi đường dẫn chỉ hiện một lần" in again

    link = AccountLink.objects.get(user=hoa)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (link.purpose, link.delivery, link.created_by) == (
        AccountLink.Purpose.INVITE, AccountLink.Delivery.HANDED, cast.sysadmin.user)

    done = _choose_password(token)
    assert "Tên đăng nhập của bạn là: hoa" in done.content.decode()
    assert _signs_in("hoa")
    assert _choose_password(token).status_code == 200  # used: "cannot be used"
    assert "không dùng được nữa" in _choose_password(token).content.decode()
    assert list(AccountEvent.objects.filter(user=hoa).order_by("at", "pk").values_list("kind", "by")) == [
        (Kind.ACCOUNT_CREATED, cast.sysadmin.user_id), (Kind.INVITATION_ISSUED, cast.sysadmin.user_id),
        (Kind.INVITATION_USED, None),
    ]


def test_the_token_is_stored_nowhere_in_clear(cast):
    operator = signed_in(cast.sysadmin)
    operator.post(reverse("admin:accounts_user_password_link", args=[cast.volunteer_a.user_id]),
                  {"delivery": "handed"})
    session_rows = [s.session_data for s in Session.objects.all()]
    token = _token_from(operator.get("/accounts/password-link/").content.decode())

    stored = [str(v) for row in AccountLink.objects.values() for v in row.values()]
    stored += [str(v) for row in AccountEvent.objects.values() for v in row.values()]
    stored += session_rows + [s.session_data for s in Session.objects.all()]
    assert stored and not any(token in value for value in stored)


def test_an_invitation_e_mailed_says_nothing_about_anyone(cast, django_capture_on_commit_callbacks):
    operator = signed_in(cast.sysadmin)

    with django_capture_on_commit_callbacks(execute=True):
        operator.post(reverse("admin:accounts_user_add"), {
            "username": "xuan.nguyen", "first_name": "Xuân", "last_name": "Nguyễn Thị",
            "email": "xuan@example.org", "delivery": "emailed", "_save": "1",
        })

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["xuan@example.org"]
    assert message.subject == "Địa chỉ tin cậy: chọn mật khẩu của bạn"
    text = message.subject + message.body
    for secret in ("xuan.nguyen", "Xuân", "Nguyễn", cast.address_a.name, "Hội LHPN"):
        assert secret not in text
    token = re.search(r"/accounts/link/([^/\s]+)/", message.body).group(1)
    assert "Tên đăng nhập của bạn là: xuan.nguyen" in _choose_password(token).content.decode()


def test_a_link_works_until_24_hours_and_not_after(cast):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        _link, token = services.account_link_issue(user=cast.volunteer_a.user, by=cast.sysadmin,
                                                   delivery=AccountLink.Delivery.HANDED)
        traveller.shift(dt.timedelta(hours=24, seconds=1))
        assert "không dùng được nữa" in _choose_password(token).content.decode()
        _link, fresh = services.account_link_issue(user=cast.volunteer_a.user, by=cast.sysadmin,
                                                   delivery=AccountLink.Delivery.HANDED)
        traveller.shift(dt.timedelta(hours=23, minutes=59))
        assert "Tên đăng nhập của bạn là" in _choose_password(fresh).content.decode()
    assert _signs_in("alice")


def test_a_newer_link_voids_the_older_one(cast):
    _old_link, old = services.account_link_issue(user=cast.volunteer_a.user, by=cast.sysadmin, delivery="handed")
    _new_link, new = services.account_link_issue(user=cast.volunteer_a.user, by=cast.sysadmin, delivery="handed")

    assert "không dùng được nữa" in _choose_password(old).content.decode()
    assert "Tên đăng nhập của bạn là" in _choose_password(new).content.decode()


def test_a_weak_password_is_refused_in_vietnamese_and_the_link_still_works(cast):
    _link, token = services.account_link_issue(user=cast.volunteer_a.user, by=cast.sysadmin, delivery="handed")

    refused = _choose_password(token, password="12345678901")

    assert refused.status_code == 200
    assert "Mật khẩu này hoàn toàn là số" in refused.content.decode()
    assert "Tên đăng nhập của bạn là" in _choose_password(token).content.decode()


# --- The hole: an operator who uses a reset link himself reads nothing -----------------------------


def test_an_operator_who_uses_a_reset_link_for_a_volunteer_finds_her_role_waiting_for_her_lead(cast):
    case = case_a(cast)
    operator = signed_in(cast.sysadmin)
    operator.post(reverse("admin:accounts_user_password_link", args=[cast.volunteer_a.user_id]),
                  {"delivery": "handed"})
    token = _token_from(operator.get("/accounts/password-link/").content.decode())

    _choose_password(token, client=operator)  # the operator keeps the link to himself

    cast.volunteer_a.refresh_from_db()
    assert (cast.volunteer_a.state, cast.volunteer_a.requested_by) == (State.REQUESTED, cast.sysadmin.user)
    as_alice = Client()
    as_alice.post("/accounts/login/", {"username": "alice", "password": CHOSEN})
    assert as_alice.get(reverse("casework:case-detail", args=[case.pk])).status_code == 403
    assert as_alice.get("/cases/").status_code == 403
    assert AccountEvent.objects.filter(membership=cast.volunteer_a, kind=Kind.MEMBERSHIP_RECHECK).exists()

    # Lan confirms only with the code the account's holder sees (here: whoever signed in).
    code = Membership.objects.get(pk=cast.volunteer_a.pk).confirmation_code()
    assert code in as_alice.get("/").content.decode()
    assert signed_in(cast.lead_a).post(reverse("accounts:grant-confirm", args=[cast.volunteer_a.pk]),
                                       {"code": code}).status_code == 302
    assert as_alice.get(reverse("casework:case-detail", args=[case.pk])).status_code == 200


def test_a_link_lan_hands_over_keeps_alices_role_at_a_but_not_at_b(cast):
    at_b = f.member(Role.VOLUNTEER, cast.address_b, user=cast.volunteer_a.user)
    lan = signed_in(cast.lead_a)
    assert lan.post(reverse("accounts:member-link", args=[cast.volunteer_a.pk])).status_code == 302
    token = _token_from(lan.get("/accounts/password-link/").content.decode())

    _choose_password(token)

    cast.volunteer_a.refresh_from_db()
    at_b.refresh_from_db()
    assert cast.volunteer_a.state == State.ACTIVE  # her own lead saw her choose it
    assert at_b.state == State.REQUESTED  # binh did not
    assert _signs_in("alice")


def test_a_lead_hands_links_only_in_person_and_never_for_herself(cast):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.account_link_issue(user=cast.volunteer_a.user, by=cast.lead_a, delivery="emailed")
    assert signed_in(cast.lead_a).post(reverse("accounts:member-link", args=[cast.lead_a.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        services.account_link_issue(user=cast.lead_a.user, by=cast.lead_a, delivery="handed")
    with pytest.raises(PermissionDenied):
        services.account_link_issue(user=cast.sysadmin.user, by=cast.sysadmin, delivery="handed")


def test_the_operator_cannot_point_a_volunteers_e_mail_at_himself(cast):
    alice = cast.volunteer_a.user
    operator = signed_in(cast.sysadmin)
    url = reverse("admin:accounts_user_change", args=[alice.pk])

    assert 'name="email"' not in operator.get(url).content.decode()
    operator.post(url, {"username": "alice", "first_name": "", "last_name": "", "email": "op@example.org",
                        "is_active": "on", "_save": "1"})
    alice.refresh_from_db()
    assert alice.email == ""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.user_update(user=alice, by=cast.sysadmin, username="alice", first_name="", last_name="",
                             email="op@example.org")


def test_the_owner_changes_her_e_mail_with_her_password(cast):
    alice = signed_in(cast.volunteer_a)

    wrong = alice.post("/accounts/email/", {"email": "alice@example.org", "password": "nope"})
    assert "Đó không phải mật khẩu hiện tại của bạn" in wrong.content.decode()
    assert 'value="alice@example.org"' in wrong.content.decode()  # what she typed is kept

    saved = alice.post("/accounts/email/", {"email": "alice@example.org", "password": f.TEST_PASSWORD})
    assert saved.status_code == 302
    assert User.objects.get(username="alice").email == "alice@example.org"
    assert AccountEvent.objects.filter(user=cast.volunteer_a.user, kind=Kind.EMAIL_CHANGED,
                                       by=cast.volunteer_a.user).exists()


# --- "Forgot password?" ----------------------------------------------------------------------------


def _ask(username: str) -> tuple[int, str, int]:
    client = Client()
    with TestCase.captureOnCommitCallbacks(execute=True), CaptureQueriesContext(connection) as queries:
        response = client.post(FORGOT, {"username": username})
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return response.status_code, html, len(queries)


def test_forgot_password_answers_the_same_for_a_real_an_unknown_and_an_e_mail_less_username(cast):
    alice = cast.volunteer_a.user
    alice.email = "alice@example.org"
    alice.save()

    real = _ask("alice")
    unknown = _ask("nobody-here")
    without_email = _ask("lan")

    assert real[0] == unknown[0] == without_email[0] == 200
    assert real[1] == unknown[1] == without_email[1]
    assert SAME_ANSWER in real[1]
    assert real[2] == unknown[2] == without_email[2]  # the same database statements, whoever it is
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]
    # Nothing was written for nobody; lan's ask is on record for her lead.
    assert not AccountEvent.objects.filter(user_id=0).exists() and not AccountLink.objects.filter(user_id=0).exists()
    assert AccountEvent.objects.filter(user=cast.lead_a.user, kind=Kind.RESET_ASKED,
                                       delivery=AccountEvent.Delivery.NO_EMAIL).exists()
    assert not AccountLink.objects.filter(user=cast.lead_a.user).exists()


def test_forgot_password_e_mails_a_link_that_sends_the_role_back_for_confirmation(cast):
    alice = cast.volunteer_a.user
    alice.email = "alice@example.org"
    alice.save()

    _ask("alice")

    message = mail.outbox[0]
    assert message.subject == "Địa chỉ tin cậy: chọn mật khẩu của bạn"
    assert "alice" not in message.body.replace("alice@example.org", "")
    token = re.search(r"/accounts/link/([^/\s]+)/", message.body).group(1)
    assert "Trước khi bắt đầu làm việc" in _choose_password(token).content.decode()
    cast.volunteer_a.refresh_from_db()
    assert cast.volunteer_a.state == State.REQUESTED  # whoever reads that mailbox, her lead sees her first


def test_forgot_password_is_throttled_per_username(cast):
    alice = cast.volunteer_a.user
    alice.email = "alice@example.org"
    alice.save()

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(3):
            assert SAME_ANSWER in _ask("alice")[1]
        assert len(mail.outbox) == 1
        traveller.shift(services.RESET_ASK_INTERVAL + dt.timedelta(seconds=1))
        _ask("alice")
    assert len(mail.outbox) == 2


def test_an_e_mail_less_ask_shows_to_the_lead_and_the_operator_until_a_link_is_handed_over(cast):
    Client().post(FORGOT, {"username": "alice"})
    lan, operator = signed_in(cast.lead_a), signed_in(cast.sysadmin)

    assert "Đã xin mật khẩu mới" in lan.get("/accounts/grants/").content.decode()
    users = operator.get(reverse("admin:accounts_user_changelist") + "?q=alice").content.decode()
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*>alice<(?:(?!</tr>).)*</tr>", users, re.S).group(0)
    assert row.count('alt="Có"') == 2  # active, and "asked for a new password"

    lan.post(reverse("accounts:member-link", args=[cast.volunteer_a.pk]))
    assert "Đã xin mật khẩu mới" not in lan.get("/accounts/grants/").content.decode()


def test_the_forgot_page_refuses_bad_input_clearly(db):
    response = Client().post(FORGOT, {"username": "x" * 500})
    assert response.status_code == 200
    assert "errors" in response.content.decode()
    assert Client().post(FORGOT, {"username": ""}).status_code == 200


# --- The account history --------------------------------------------------------------------------


def test_the_history_has_no_free_text_so_no_secret_can_be_written_there():
    fields = {field.name for field in AccountEvent._meta.get_fields() if field.concrete}
    assert fields == {"id", "user", "kind", "at", "by", "membership", "delivery"}
    assert AccountEvent._meta.get_field("delivery").choices  # a fixed vocabulary, not text


def test_no_history_row_carries_a_token_a_password_or_a_hash(cast):
    operator = signed_in(cast.sysadmin)
    operator.post(reverse("admin:accounts_user_password_link", args=[cast.volunteer_a.user_id]),
                  {"delivery": "handed"})
    token = _token_from(operator.get("/accounts/password-link/").content.decode())
    _choose_password(token)
    password_hash = User.objects.get(pk=cast.volunteer_a.user_id).password
    secrets = (token, CHOSEN, password_hash, hashlib.sha256(token.encode()).hexdigest())

    rows = [str(v) for row in AccountEvent.objects.values() for v in row.values()]
    rows += [str(v) for row in Membership.history.values() for v in row.values()]
    assert rows and not [value for value in rows for secret in secrets if secret in value]
    # The user sees her own history, the operator sees it on her account's page, the lead her grant's.
    assert "Vai trò chờ xác nhận lại" in signed_in(cast.lead_a).get("/accounts/grants/").content.decode()
    profile = Client()
    profile.post("/accounts/login/", {"username": "alice", "password": CHOSEN})
    assert "Đã tạo đường dẫn đặt mật khẩu" in profile.get("/accounts/profile/").content.decode()
    admin_page = operator.get(reverse("admin:accounts_user_change", args=[cast.volunteer_a.user_id]))
    assert "Vai trò chờ xác nhận lại" in admin_page.content.decode()


def test_changing_ones_own_password_is_in_the_history(cast):
    client = signed_in(cast.volunteer_a)
    response = client.post("/accounts/password/", {
        "old_password": f.TEST_PASSWORD, "new_password1": CHOSEN, "new_password2": CHOSEN})
    assert response.status_code == 302
    assert AccountEvent.objects.filter(user=cast.volunteer_a.user, kind=Kind.PASSWORD_CHANGED).exists()
