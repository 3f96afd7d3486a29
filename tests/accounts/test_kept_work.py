"""A time-out that loses no work (issue 9, item 4).

A form posted after the idle time-out goes to the sign-in page with a message; what it carried is kept,
sealed, for the same user only, for an hour; after signing in again it is shown back in its form, and
nothing is saved until the user presses Save. The warning's two addresses (status and keep-alive) are
tested here too; the banner itself in tests/browser/test_session_timeout.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp

from accounts.models import Role, UnsavedWork
from casework.models import CaseNote
from referrals.models import Referral, Status
from tests import factories as f
from tests.casework.builders import case_a
from tests.casework.helpers import make_key, raw_rows
from tests.casework.test_case_detail import child_case
from tests.conftest import signed_in
from tests.factories import TEST_PASSWORD
from tests.referrals.builders import referral_a

START = dt.datetime(2026, 3, 9, 1, 0, tzinfo=dt.UTC)
IDLE = dt.timedelta(minutes=31)


def _note(length: int = 500) -> str:
    """A 500-character Vietnamese note, unique to these tests (so a leak cannot be anything else)."""
    sentence = ("Chị Kanarihết kể rằng tối qua chồng say rượu, đập phá đồ đạc và dọa đánh hai đứa nhỏ; "
                "chị chạy sang nhà bà Hờ ở cuối thôn, xin ở nhờ vài hôm cho an toàn. ")
    return (sentence * (length // len(sentence) + 1))[:length]


NOTE = _note()
SIGNED_OUT = "Hệ thống đã tự động đăng xuất sau 30 phút không có thao tác."
KEPT = "Nội dung đang nhập dở đã được giữ lại. Hãy đăng nhập lại để kiểm tra và lưu."
GIVEN_BACK = "Đây là nội dung chị/anh đã nhập trước khi hết phiên. Kiểm tra lại rồi bấm Lưu."
COOKIE = "kept_work"


def _forms_of(text: str) -> list[str]:
    """The note as typed, in both Unicode normal forms, and JSON-escaped."""
    forms = {text, unicodedata.normalize("NFD", text), unicodedata.normalize("NFC", text)}
    forms |= {json.dumps(t)[1:-1] for t in list(forms)}
    # A distinctive stretch is enough to find a copy that was cut or re-wrapped.
    forms |= {t[:40] for t in list(forms)} | {"Kanarihết", unicodedata.normalize("NFD", "Kanarihết")}
    return sorted(forms)


def _stored_anywhere(text: str) -> list[str]:
    """Where ``text`` (in any of its forms) is found in clear: the kept-work table, and every session,
    decoded (the session store only signs and compresses)."""
    found = []
    dumped = " ".join(str(value) for row in raw_rows(UnsavedWork) for value in row)
    sessions = " ".join(json.dumps(SessionStore().decode(s.session_data), ensure_ascii=False)
                        for s in Session.objects.all())
    for form in _forms_of(text):
        if form in dumped:
            found.append(f"unsaved work: {form[:20]}")
        if form in sessions:
            found.append(f"session: {form[:20]}")
    return found


def _notes(case: Any) -> list[str]:
    """The notes of ``case`` written by these tests (the builder writes others)."""
    return [n.text for n in CaseNote.objects.filter(case=case) if "Kanari" in n.text]


def _csrf(client: Client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def _enforcing(client: Client) -> Client:
    """The test client skips the CSRF check unless told: these tests need the real one."""
    client.handler.enforce_csrf_checks = True
    return client


def _sign_in(client: Client, user: Any, next_url: str = "") -> Any:
    login = reverse("accounts:login") + (f"?next={next_url}" if next_url else "")
    token = _csrf(client, login)
    data = {"username": user.username, "password": TEST_PASSWORD, "csrfmiddlewaretoken": token}
    if next_url:
        data["next"] = next_url
    return client.post(login, data)


def _time_out_and_post(client: Client, form_page: str, action: str, data: dict[str, str], traveller) -> Any:
    """Open the form, stay idle past the time-out, then post it."""
    token = _csrf(client, form_page)
    traveller.shift(IDLE)
    return client.post(action, {**data, "csrfmiddlewaretoken": token})


@pytest.fixture
def traveller():
    with time_machine.travel(START, tick=False) as moving:
        yield moving


# --- The kept post -----------------------------------------------------------------------------------


def test_a_note_posted_after_the_time_out_is_kept_sealed_and_given_back_after_sign_in(cast, traveller):
    case = case_a(cast)
    alice = cast.volunteer_a
    client = _enforcing(signed_in(alice))
    note_url = reverse("casework:note-create", args=[case.pk])

    response = _time_out_and_post(client, note_url, note_url, {"text": NOTE}, traveller)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    login_page = client.get(response["Location"]).content.decode()
    assert SIGNED_OUT in login_page and KEPT in login_page
    assert NOTE[:40] not in login_page
    # Kept for alice, sealed: the note is nowhere in clear, and nothing was saved.
    work = UnsavedWork.objects.get()
    assert work.user == alice.user and work.action == note_url and work.page == note_url
    assert _stored_anywhere(NOTE) == []
    assert _notes(case) == []
    cookie = client.cookies[COOKIE]
    assert cookie.value == str(work.pk)
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"

    signed = _sign_in(client, alice.user, next_url=note_url)

    assert signed.status_code == 302 and signed["Location"] == note_url
    assert client.cookies[COOKIE].value == ""  # cleared
    assert not UnsavedWork.objects.exists()
    assert _stored_anywhere(NOTE) == []  # in the session, still sealed
    page = client.get(note_url)
    html = page.content.decode()
    assert page.status_code == 200
    assert page.context["form"].data["text"] == NOTE
    assert GIVEN_BACK in html
    assert _notes(case) == []  # nothing saved before Save is pressed
    # A reload shows it again: it stays until the form is posted.
    assert client.get(note_url).context["form"].data["text"] == NOTE

    saved = client.post(note_url, {"text": NOTE, "csrfmiddlewaretoken": _csrf(client, note_url)})

    assert saved.status_code == 302 and saved["Location"] == reverse("casework:case-detail", args=[case.pk])
    assert _notes(case) == [NOTE]
    assert not client.get(note_url).context["form"].is_bound  # given back once, saved once


def test_someone_else_signing_in_on_that_browser_deletes_the_kept_work(cast, traveller):
    case = case_a(cast)
    client = _enforcing(signed_in(cast.volunteer_a))
    note_url = reverse("casework:note-create", args=[case.pk])
    _time_out_and_post(client, note_url, note_url, {"text": NOTE}, traveller)
    assert UnsavedWork.objects.count() == 1

    signed = _sign_in(client, cast.lead_a.user, next_url=note_url)  # lan, of the same address

    assert signed.status_code == 302 and signed["Location"] == note_url  # where she asked to go, no more
    assert not UnsavedWork.objects.exists()
    assert client.cookies[COOKIE].value == ""
    page = client.get(note_url)
    assert not page.context["form"].is_bound
    assert NOTE[:40] not in page.content.decode() and GIVEN_BACK not in page.content.decode()

    # Alice signing in afterwards on that browser finds nothing either.
    client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": _csrf(client, note_url)})
    assert _sign_in(client, cast.volunteer_a.user)["Location"] == "/"
    assert not client.get(note_url).context["form"].is_bound


def test_kept_work_is_gone_after_an_hour(cast, traveller):
    case = case_a(cast)
    alice = cast.volunteer_a
    client = _enforcing(signed_in(alice))
    note_url = reverse("casework:note-create", args=[case.pk])
    _time_out_and_post(client, note_url, note_url, {"text": NOTE}, traveller)
    assert UnsavedWork.objects.count() == 1

    traveller.shift(dt.timedelta(minutes=61))
    login = client.get(reverse("accounts:login")).content.decode()

    assert KEPT not in login  # the sign-in page promises nothing any more
    assert not UnsavedWork.objects.exists()  # reading swept it away
    signed = _sign_in(client, alice.user, next_url=note_url)
    assert signed["Location"] == note_url
    assert not client.get(note_url).context["form"].is_bound


def test_the_purge_command_deletes_expired_kept_work_only(cast, traveller):
    case = case_a(cast)
    note_url = reverse("casework:note-create", args=[case.pk])
    _time_out_and_post(_enforcing(signed_in(cast.volunteer_a)), note_url, note_url, {"text": NOTE}, traveller)
    traveller.shift(dt.timedelta(minutes=61))
    # Written directly: keeping work through the application would sweep the expired row first.
    fresh = UnsavedWork(user=cast.lead_a.user, action=note_url, page=note_url)
    fresh.fields = UnsavedWork.seal(fresh.pk, {"text": ["Ghi chú thứ hai."]})
    fresh.save()

    assert _call("purge_unsaved_work", "--dry-run") == "1 expired kept post(s) would be deleted.\n"
    assert UnsavedWork.objects.count() == 2

    assert _call("purge_unsaved_work") == "1 expired kept post(s) deleted.\n"
    assert list(UnsavedWork.objects.values_list("pk", flat=True)) == [fresh.pk]


def _call(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, no_color=True)
    return out.getvalue()


def test_a_cross_site_post_after_the_time_out_is_refused_and_not_kept(cast, traveller):
    case = case_a(cast)
    client = _enforcing(signed_in(cast.volunteer_a))
    note_url = reverse("casework:note-create", args=[case.pk])
    token = _csrf(client, note_url)
    traveller.shift(IDLE)

    forged = client.post(note_url, {"text": NOTE}, HTTP_ORIGIN="https://evil.example")

    assert forged.status_code == 403
    assert not UnsavedWork.objects.exists()
    assert COOKIE not in client.cookies
    assert _notes(case) == []
    # The same post from the page itself, with its token, is kept: only the forgery was refused.
    assert client.post(note_url, {"text": NOTE, "csrfmiddlewaretoken": token}).status_code == 302
    assert UnsavedWork.objects.get().user == cast.volunteer_a.user


@pytest.mark.parametrize("what", ["only the CSRF token", "a password change", "an action button without a note"])
def test_a_post_with_nothing_to_give_back_is_not_kept(cast, traveller, what):
    client = _enforcing(signed_in(cast.police_officer))
    referral = referral_a(cast)
    posts = {
        "only the CSRF token": (reverse("referrals:referral-note", args=[referral.pk]), {"note": "  "}),
        "a password change": (reverse("accounts:password-change"),
                              {"old_password": TEST_PASSWORD, "new_password1": "x" * 12, "new_password2": "x" * 12}),
        "an action button without a note": (reverse("referrals:referral-act", args=[referral.pk]),
                                            {"action": "accept"}),
    }
    action, data = posts[what]
    response = _time_out_and_post(client, reverse("referrals:referral-detail", args=[referral.pk]), action, data,
                                  traveller)

    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    login = client.get(response["Location"]).content.decode()
    assert SIGNED_OUT in login and KEPT not in login
    assert not UnsavedWork.objects.exists()


def test_a_page_request_after_the_time_out_says_why_on_the_sign_in_page(cast, traveller):
    fresh = Client().get(reverse("accounts:login")).content.decode()
    assert SIGNED_OUT not in fresh and KEPT not in fresh  # nothing to say to someone who just arrives
    client = signed_in(cast.volunteer_a)
    client.get("/")
    traveller.shift(IDLE)

    response = client.get(reverse("accounts:profile"), follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    assert SIGNED_OUT in html and KEPT not in html


# --- Forms posted from another page ------------------------------------------------------------------


def test_a_referral_note_is_given_back_on_the_referral_page(cast, traveller):
    referral = referral_a(cast)
    client = _enforcing(signed_in(cast.volunteer_a))
    page_url = reverse("referrals:referral-detail", args=[referral.pk])
    note_url = reverse("referrals:referral-note", args=[referral.pk])
    events = referral.events.count()

    response = _time_out_and_post(client, page_url, note_url, {"note": NOTE[:300]}, traveller)

    assert response["Location"].startswith(reverse("accounts:login"))
    work = UnsavedWork.objects.get()
    assert (work.action, work.page) == (note_url, page_url)
    signed = _sign_in(client, cast.volunteer_a.user, next_url=note_url)
    assert signed["Location"] == page_url  # the page the form is on, not the POST-only address
    page = client.get(page_url)
    assert page.context["note_form"].data["note"] == NOTE[:300]
    assert NOTE[:40] in page.content.decode() and GIVEN_BACK in page.content.decode()
    assert referral.events.count() == events

    client.post(note_url, {"note": NOTE[:300], "csrfmiddlewaretoken": _csrf(client, page_url)})

    assert referral.events.count() == events + 1
    assert not client.get(page_url).context["note_form"].is_bound


def test_a_date_typed_in_the_support_plan_form_comes_back_on_the_case_page(cast, traveller):
    child = child_case(cast.volunteer_a)
    client = _enforcing(signed_in(cast.volunteer_a))
    page_url = reverse("casework:case-detail", args=[child.pk])
    action = reverse("casework:support-plan-done", args=[child.pk])
    typed = (child.opened_on + dt.timedelta(days=2)).isoformat()

    _time_out_and_post(client, page_url, action, {"on": typed}, traveller)
    signed = _sign_in(client, cast.volunteer_a.user, next_url=action)

    assert signed["Location"] == page_url
    assert client.get(page_url).context["support_form"].data["on"] == typed
    child.refresh_from_db()
    assert child.support_plan_done_on is None


def test_a_reason_typed_for_an_action_comes_back_in_that_actions_form(cast, traveller):
    referral = referral_a(cast)
    client = _enforcing(signed_in(cast.police_officer))
    page_url = reverse("referrals:referral-detail", args=[referral.pk])
    act_url = reverse("referrals:referral-act", args=[referral.pk])
    reason = "Vụ việc thuộc địa bàn xã Hai, đã báo công an xã Hai tiếp nhận."

    _time_out_and_post(client, page_url, act_url, {"action": "decline", "note": reason}, traveller)
    _sign_in(client, cast.police_officer.user)

    html = client.get(page_url).content.decode()
    assert re.search(r'<textarea id="note-decline" name="note"[^>]*>' + re.escape(reason) + "</textarea>", html)
    assert GIVEN_BACK in html
    assert Referral.objects.get(pk=referral.pk).status == Status.SENT  # not declined until pressed


def test_kept_work_opens_again_in_the_role_it_was_typed_in(cast, traveller):
    """Alice volunteers at two addresses: the form comes back acting at A; the access gate still decides."""
    second = f.member(Role.VOLUNTEER, cast.address_b, user=cast.volunteer_a.user)
    case = case_a(cast)
    client = _enforcing(signed_in(cast.volunteer_a))
    note_url = reverse("casework:note-create", args=[case.pk])
    _time_out_and_post(client, note_url, note_url, {"text": NOTE}, traveller)
    assert UnsavedWork.objects.get().membership == cast.volunteer_a

    _sign_in(client, cast.volunteer_a.user)

    assert client.get(note_url).context["form"].data["text"] == NOTE  # acting at address A again
    client.post(reverse("accounts:membership-switch", args=[second.pk]),
                {"csrfmiddlewaretoken": _csrf(client, note_url)})
    assert client.get(note_url).status_code == 404  # address B cannot see A's case


# --- Two-step sign-in ------------------------------------------------------------------------------------


def test_kept_work_comes_back_after_the_second_step(cast, traveller):
    """A trusted-address lead who also supervises for the Women's Union signs in with two steps."""
    lan = cast.lead_a
    f.member(Role.UNION_SUPERVISOR, cast.union_district, user=lan.user)
    case = case_a(cast)
    client = _enforcing(signed_in(lan))
    device = lan.user.totpdevice_set.get()
    note_url = reverse("casework:note-create", args=[case.pk])
    _time_out_and_post(client, note_url, note_url, {"text": NOTE}, traveller)
    assert UnsavedWork.objects.get().user == lan.user

    signed = _sign_in(client, lan.user, next_url=note_url)
    assert signed["Location"] == note_url
    gate = client.get(note_url)
    assert gate.status_code == 302 and gate["Location"].startswith(reverse("accounts:otp-verify"))
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    token = _csrf(client, gate["Location"])
    verified = client.post(gate["Location"], {"token": f"{code:06d}", "csrfmiddlewaretoken": token})
    assert verified.status_code == 302 and verified["Location"] == note_url

    page = client.get(note_url)

    assert page.status_code == 200 and page.context["form"].data["text"] == NOTE
    assert page.context["membership"] == lan  # in the role it was typed in
    assert _notes(case) == []


# --- Robustness -----------------------------------------------------------------------------------------


def test_kept_work_that_can_no_longer_be_opened_is_dropped_without_an_error(cast, traveller, settings):
    case = case_a(cast)
    client = _enforcing(signed_in(cast.volunteer_a))
    note_url = reverse("casework:note-create", args=[case.pk])
    _time_out_and_post(client, note_url, note_url, {"text": NOTE}, traveller)
    assert UnsavedWork.objects.count() == 1
    # The key that sealed it was removed from the ring within the hour (an early end of a rotation).
    settings.FIELD_ENCRYPTION_KEYS = f"k9:{make_key('a-new-key-after-rotation')}"

    _sign_in(client, cast.volunteer_a.user)
    page = client.get(note_url)

    assert page.status_code == 200 and not page.context["form"].is_bound
    assert GIVEN_BACK not in page.content.decode()


def test_sealed_work_opens_only_for_its_own_row(cast, traveller):
    fields = {"text": [NOTE]}
    work = UnsavedWork(user=cast.volunteer_a.user, action="/", page="/")
    sealed = UnsavedWork.seal(work.pk, fields)

    assert UnsavedWork.unseal(work.pk, sealed) == fields
    assert UnsavedWork.unseal(UnsavedWork().pk, sealed) is None  # copied to another row: refused


# --- The warning's addresses -------------------------------------------------------------------------------


def test_the_status_poll_does_not_count_as_activity(cast, traveller):
    client = signed_in(cast.volunteer_a)
    client.get("/")
    traveller.shift(dt.timedelta(minutes=20))

    status = client.get(reverse("accounts:session-status"))

    assert status.json() == {"remaining": 600}
    assert "no-store" in status["Cache-Control"]
    traveller.shift(dt.timedelta(minutes=11))
    assert client.get("/")["Location"].startswith(reverse("accounts:login"))


def test_continue_working_keeps_the_session_past_its_original_end(cast, traveller):
    client = _enforcing(signed_in(cast.volunteer_a))
    token = _csrf(client, "/")
    traveller.shift(dt.timedelta(minutes=26))

    extended = client.post(reverse("accounts:session-extend"), HTTP_X_CSRFTOKEN=token)

    assert extended.status_code == 200 and extended.json() == {"remaining": 1800}
    assert "no-store" in extended["Cache-Control"]
    traveller.shift(dt.timedelta(minutes=26))  # 52 minutes after the page was opened
    assert client.get(reverse("accounts:session-status")).json() == {"remaining": 240}
    assert client.get("/").status_code == 200


def test_continue_working_needs_the_csrf_token(cast, traveller):
    client = _enforcing(signed_in(cast.volunteer_a))
    client.get("/")
    traveller.shift(dt.timedelta(minutes=26))

    assert client.post(reverse("accounts:session-extend")).status_code == 403
    traveller.shift(dt.timedelta(minutes=5))
    assert client.get("/")["Location"].startswith(reverse("accounts:login"))


def test_pages_of_signed_in_users_carry_the_warning_script_and_its_settings(cast, client):
    html = signed_in(cast.volunteer_a).get("/").content.decode()

    assert '<script src="/static/js/session.js" defer></script>' in html
    assert 'data-session-idle="1800"' in html and 'data-session-warning="300"' in html
    assert f'data-session-status="{reverse("accounts:session-status")}"' in html
    assert 'id="session-warning" class="session-banner" role="alert" hidden' in html
    assert "Phiên làm việc sẽ hết hạn sau" in html and "Tiếp tục làm việc" in html
    anonymous = client.get(reverse("accounts:login")).content.decode()
    assert "session.js" not in anonymous and "data-session-idle" not in anonymous


def test_the_warning_comes_from_settings_read_from_the_environment():
    assert settings.SESSION_IDLE_SECONDS == settings.SESSION_IDLE_TIMEOUT_MINUTES * 60 == 1800
    assert settings.SESSION_WARNING_SECONDS == settings.SESSION_WARNING_MINUTES * 60 == 300
    assert settings.SESSION_KEPT_WORK_SECONDS == 3600
