"""The phone's browser keeps nothing of a survivor's record, whether the session timed out or the
volunteer signed out (issue 9).

A volunteer's phone is often shared, or taken by the person she is hiding from. Chromium runs with a
persistent profile, as on a phone: the HTTP cache, the session-restore files, the autofill database and
the sites' storage all live in it. The volunteer signs in with the real form, opens every case page of
the URL map, types into the forms and closes the browser without signing out; later the lead, on the
same phone, opens the pages the volunteer may not and signs out through the menu. After each, every
file of the profile is read back, byte for byte, looking for what only the survivor's record holds.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import BrowserContext, Error, Page, expect, sync_playwright

from casework import services as cw
from casework.models import Case, Consent, Incident, SupportService
from referrals import services as rs
from referrals.models import Referral, Service
from tests.accounts.urlmap import all_sample_urls
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.test_login_roles import submit_login_form
from tests.conftest import Cast
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.browser

# What only this survivor's record holds: each must be found nowhere in the profile.
CANARIES = {
    "full name": "Hoàng Thị Canary Nguyệt",
    "other name": "Mỵ Canary Ơn",
    "address": "Thôn Canary Đắk Hà",
    "phone": "0912 345 678",
    "national ID": "064195012345",
    "guardian contact": "Bà ngoại Lò Thị Canary Sứ",
    "narrative": "Chồng đánh chị Canary bằng gậy tre",
    "note": "Canary muốn về nhà mẹ đẻ ở Đắk Tô",
    "safety plan": "Trốn sang nhà Canary trưởng thôn",
    "risk notes": "Hắn dọa giết Canary nếu chị đi",
    "support notes": "Tạm trú Canary ba đêm",
    "livelihood notes": "Nuôi gà Canary đẻ trứng",
    "consent guardian": "Ông Canary Vừ Lầu",
    "referral reason": "Cần bảo vệ Canary khẩn cấp",
    "referral note": "Đã gọi Canary lúc 9 giờ",
    # Typed into a form, and put into the page's storage, during the test.
    "typed note": "Canary đã đến trạm y tế xã",
    "script storage": "Nháp Canary chưa gửi",
}
BIRTH_YEAR = 1995


def _without_marks(text: str) -> str:
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "D")


def needles(text: str) -> set[bytes]:
    """The canary as a browser may write it: NFC, NFD or without diacritics; UTF-8 or UTF-16-LE; a
    phone number with or without its spaces."""
    forms = {unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text), _without_marks(text)}
    if text.replace(" ", "").isdigit():
        forms.add(text.replace(" ", ""))
    return {form.encode(encoding) for form in forms for encoding in ("utf-8", "utf-16-le")}


def hits_in(profile: Path) -> list[tuple[str, str]]:
    """(file, canary) for every file under ``profile`` that holds a canary in any of its forms."""
    wanted = {label: needles(text) for label, text in CANARIES.items()}
    found = []
    for path in sorted(p for p in profile.rglob("*") if p.is_file() and not p.is_symlink()):
        data = path.read_bytes()
        found += [(str(path.relative_to(profile)), label)
                  for label, forms in wanted.items() if any(form in data for form in forms)]
    return found


# --- The case, built through the services before the browser starts ---------------------------------


@dataclass
class Record:
    case: Case
    code: str  # the survivor's code, read here: no ORM once the browser runs
    kwargs: dict[str, list[dict[str, object]]]


def _build(cast: Cast) -> Record:
    lead, volunteer = cast.lead_a, cast.volunteer_a
    today = timezone.localdate()
    opened = today - dt.timedelta(days=3)
    case = cw.case_open(by=volunteer, opened_on=opened, survivor_fields={
        "full_name": CANARIES["full name"], "other_names": CANARIES["other name"], "birth_year": BIRTH_YEAR,
        "date_of_birth": dt.date(BIRTH_YEAR, 4, 12), "sex": "female", "phone": CANARIES["phone"],
        "address": CANARIES["address"], "national_id": CANARIES["national ID"],
        "guardian_contact": CANARIES["guardian contact"],
    })
    cw.case_assign(case=case, by=lead, volunteers=[volunteer, lead])
    case.refresh_from_db()
    incident = cw.incident_record(
        case=case, by=volunteer, answers={"physical": True}, occurred_on=opened - dt.timedelta(days=1),
        place_type=Incident.PlaceType.HOME, perpetrator_relationship=Incident.Relationship.HUSBAND_PARTNER,
        perpetrator_sex="male",
        narrative=CANARIES["narrative"])
    consents = [cw.consent_give(case=case, by=volunteer, scope=scope, given_by=Consent.GivenBy.SURVIVOR,
                                given_on=opened, guardian_name=CANARIES["consent guardian"])
                for scope in (Consent.Scope.KEEP_RECORD, Consent.Scope.SHARE_POLICE)]
    cw.risk_assess(case=case, by=volunteer, answers={"escalating": True}, notes=CANARIES["risk notes"])
    cw.safety_plan_save(case=case, by=volunteer, version=None, checklist=["safe_place"],
                        plan=CANARIES["safety plan"])
    service = cw.service_record(case=case, by=volunteer, kind=SupportService.Kind.SHELTER, provided_on=opened,
                                check_in=opened, check_out=opened + dt.timedelta(days=2),
                                notes=CANARIES["support notes"])
    livelihood = cw.livelihood_record(case=case, by=volunteer, support_type="livestock_crops",
                                      programme_model="pilot", beneficiary_group="dv", amount_vnd=3_000_000,
                                      started_on=opened, notes=CANARIES["livelihood notes"])
    cw.note_add(case=case, by=volunteer, text=CANARIES["note"])
    referral = rs.referral_create(
        case=case, partner=cast.police1, by=volunteer, services=[Service.POLICE_PROTECTION],
        urgency=Referral.Urgency.URGENT, reason=CANARIES["referral reason"],
        shared_fields=["code", "sex", "full_name", "phone", "address", "guardian_contact"])
    referral = rs.referral_send(referral=referral, by=volunteer)
    rs.referral_note_add(referral=referral, by=volunteer, note=CANARIES["referral note"])

    on_case = {"pk": case.pk}
    on_referral = {"pk": referral.pk}
    kwargs: dict[str, list[dict[str, object]]] = {
        "casework:case-list": [{}],
        "casework:supervision-list": [{}],
        "casework:case-detail": [on_case],
        "casework:case-close": [on_case],
        "casework:case-reopen": [on_case],
        "casework:case-assign": [on_case],
        "casework:support-plan-done": [on_case],
        "casework:intake-start": [{}],
        "casework:intake-step": [{**on_case, "step": step} for step in cw.INTAKE_STEPS[1:]],
        "casework:survivor-edit": [on_case],
        "casework:incident-create": [on_case],
        "casework:incident-edit": [{**on_case, "record_pk": incident.pk}],
        "casework:consent-create": [on_case],
        "casework:consent-withdraw": [{**on_case, "record_pk": consent.pk} for consent in consents],
        "casework:risk-create": [on_case],
        "casework:safety-plan-edit": [on_case],
        "casework:service-create": [on_case],
        "casework:service-edit": [{**on_case, "record_pk": service.pk}],
        "casework:livelihood-create": [on_case],
        "casework:livelihood-edit": [{**on_case, "record_pk": livelihood.pk}],
        "casework:note-create": [on_case],
        "casework:access-log": [on_case],
        "casework:survivor-access": [on_case],
        "casework:case-summary-pdf": [on_case],
        "referrals:directory": [{}],
        "referrals:inbox": [{}],
        "referrals:notifications": [{}],
        "referrals:case-referrals": [{"case_pk": case.pk}],
        "referrals:referral-create": [{"case_pk": case.pk}],
        "referrals:referral-detail": [on_referral],
        "referrals:referral-send": [on_referral],
        "referrals:referral-act": [on_referral],
        "referrals:referral-note": [on_referral],
        "referrals:referral-slip": [on_referral],
    }
    return Record(case=case, code=case.survivor.code, kwargs=kwargs)


def case_page_paths(record: Record) -> list[str]:
    """Every page of the casework and referrals URL maps, for this case: a new page fails here until
    it is listed in ``_build``."""
    names = {s.name for s in all_sample_urls() if s.name.startswith(("casework:", "referrals:"))}
    assert names == set(record.kwargs), (
        f"list the new case pages in _build: {sorted(names - set(record.kwargs))}; "
        f"gone: {sorted(set(record.kwargs) - names)}")
    return [reverse(name, kwargs=kw) for name in sorted(names) for kw in record.kwargs[name]]


# --- The phone --------------------------------------------------------------------------------------


@contextmanager
def phone_with_profile(profile: Path) -> Iterator[BrowserContext]:
    """Debian Chromium at phone size, keeping its profile on disk like a phone's browser.

    Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls from a thread
    with a running loop: the test does all its ORM work before the browser starts (the live server's
    own thread has no loop), so the safety check stays on.
    """
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, viewport=PHONE,
            is_mobile=True, has_touch=True, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


def open_page(context: BrowserContext, url: str) -> int:
    """Open ``url`` in a new tab and say how the server answered. An attachment (the PDFs) is
    downloaded to the end; an answer without a page (a 405) ends in the browser's error page, whose
    navigation cannot disturb the next one in its own tab."""
    page = context.new_page()
    try:
        if url.endswith(".pdf"):
            with page.expect_download() as download, suppress(Error):
                page.goto(url)
            assert download.value.failure() is None, url
            return 200
        with page.expect_response(url) as answer, suppress(Error):
            page.goto(url)
        return answer.value.status
    finally:
        page.close()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Đăng xuất", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng nhập")


def test_the_phone_keeps_nothing_of_the_survivor_after_a_time_out_or_signing_out(cast, live_server, tmp_path):
    record = _build(cast)
    paths = case_page_paths(record)
    volunteer, lead = cast.volunteer_a.user.username, cast.lead_a.user.username
    profile = tmp_path / "chromium-profile"
    base = live_server.url

    # The volunteer works through every case page, then puts the phone away without signing out: the
    # session will time out, with no sign-out to clear anything. Only what was never kept is safe.
    with phone_with_profile(profile) as context:
        page = context.pages[0] if context.pages else context.new_page()
        submit_login_form(page, base, volunteer, TEST_PASSWORD)
        expect(page).to_have_url(f"{base}/")

        # A search by name and birth year (POSTed: names never travel in URLs).
        page.goto(f"{base}/cases/")
        page.locator("input[name=q]").fill(CANARIES["full name"])
        page.locator("input[name=birth_year]").fill(str(BIRTH_YEAR))
        page.get_by_role("button", name="Tìm kiếm", exact=True).click()
        expect(page.locator(".case-rows")).to_contain_text(record.code)

        refused = [path for path in paths if open_page(context, base + path) == 403]

        # Typing into the forms, as a volunteer does: the survivor's details saved again, and a note.
        page.goto(f"{base}/cases/{record.case.pk}/survivor/")
        for name in ("full_name", "other_names", "phone", "address", "guardian_contact", "national_id"):
            field = page.locator(f"[name={name}]")
            field.fill(field.input_value())
        page.locator("form.record-form button[type=submit]").first.click()
        expect(page.locator(".msg.success")).to_be_visible()
        page.goto(f"{base}/cases/{record.case.pk}/notes/new/")
        page.locator("textarea[name=text]").fill(CANARIES["typed note"])
        page.locator("form.record-form button[type=submit]").first.click()
        expect(page.locator(".msg.success")).to_be_visible()
    left_after_time_out = hits_in(profile)
    assert left_after_time_out == [], f"{len(left_after_time_out)} traces left: {left_after_time_out}"

    # Later, on the same phone, the lead opens the pages the volunteer may not (the access log, closing,
    # assigning) and signs out through the menu.
    assert f"/cases/{record.case.pk}/access-log/" in refused
    with phone_with_profile(profile) as context:
        page = context.pages[0] if context.pages else context.new_page()
        submit_login_form(page, base, lead, TEST_PASSWORD)
        expect(page).to_have_url(f"{base}/")
        for path in refused:
            open_page(context, base + path)
        # What a page script might keep (the app has none today): signing out must wipe it.
        page.goto(f"{base}/")
        page.evaluate("text => { localStorage.setItem('draft', text); sessionStorage.setItem('draft', text); }",
                      CANARIES["script storage"])
        sign_out(page)
        assert page.evaluate("localStorage.length + sessionStorage.length") == 0
        assert {cookie["name"] for cookie in context.cookies()} <= {"csrftoken", "django_language"}
    left_after_signing_out = hits_in(profile)

    assert left_after_signing_out == [], f"{len(left_after_signing_out)} traces left: {left_after_signing_out}"
