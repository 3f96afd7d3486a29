import datetime as dt
import json
import threading

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone, translation

from casework import services as casework_services
from casework.models import CaseAccess, Consent
from referrals import services
from referrals.models import Action, InvalidTransition, Notification, Referral, Status
from tests.casework.builders import CANARY_NAME, CANARY_PHONE, case_a, case_b, open_case
from tests.casework.events import Refused, a_receiver_refusing
from tests.conftest import signed_in
from tests.referrals.builders import draft, referral_a, sent

# --- Consent gate --------------------------------------------------------------------------------


def test_sending_needs_current_consent_for_that_kind_of_partner(cast):
    referral = draft(cast, partner=cast.health2)  # case A has consent for police, not health
    with pytest.raises(ValidationError):
        services.referral_send(referral=referral, by=cast.volunteer_a)
    assert Referral.objects.get(pk=referral.pk).status == Status.DRAFT
    assert not Referral.objects.received_by(cast.health_officer).exists()


def test_consent_withdrawal_withdraws_pending_referrals_and_removes_partner_access(cast):
    referral = referral_a(cast)
    police = signed_in(cast.police_officer)
    assert police.get(f"/referrals/{referral.pk}/").status_code == 200
    consent = case_a(cast).consents.get(scope=Consent.Scope.SHARE_POLICE)
    casework_services.consent_withdraw(consent=consent, by=cast.volunteer_a)
    assert Referral.objects.get(pk=referral.pk).status == Status.WITHDRAWN
    assert police.get(f"/referrals/{referral.pk}/").status_code == 404
    assert police.get(f"/referrals/{referral.pk}/slip.pdf").status_code == 404


def test_a_withdrawal_that_fails_after_the_referrals_reacted_leaves_the_partner_as_before(cast):
    """Nothing half-done: the referral is not withdrawn and the partner's access not revoked unless the
    consent's withdrawal is recorded."""
    referral = referral_a(cast)
    consent = case_a(cast).consents.get(scope=Consent.Scope.SHARE_POLICE)
    with a_receiver_refusing(), pytest.raises(Refused):
        casework_services.consent_withdraw(consent=consent, by=cast.volunteer_a)
    assert Referral.objects.get(pk=referral.pk).status == Status.SENT
    assert not referral.events.filter(action=Action.WITHDRAW).exists()
    assert signed_in(cast.police_officer).get(f"/referrals/{referral.pk}/").status_code == 200


def test_the_withdrawal_note_is_written_in_vietnamese_whatever_language_the_volunteer_uses(cast):
    """The partner reads the note too: it is written in the programme's language."""
    referral = referral_a(cast)
    consent = case_a(cast).consents.get(scope=Consent.Scope.SHARE_POLICE)
    with translation.override("en"):
        casework_services.consent_withdraw(consent=consent, by=cast.volunteer_a)
    assert referral.events.get(action=Action.WITHDRAW).note == "Người bị bạo lực đã rút lại sự đồng ý."


def test_withdrawal_after_acceptance_still_removes_partner_access_to_the_snapshot(cast):
    referral = referral_a(cast)
    services.referral_act(referral=referral, action=Action.ACCEPT, by=cast.police_officer)
    services.referral_act(referral=referral, action=Action.START, by=cast.police_officer)
    consent = case_a(cast).consents.get(scope=Consent.Scope.SHARE_POLICE)
    casework_services.consent_withdraw(consent=consent, by=cast.volunteer_a)
    assert not Referral.objects.received_by(cast.police_officer).filter(pk=referral.pk).exists()


def _child_case(cast):
    this_year = timezone.localdate().year
    return open_case(cast.lead_a, full_name="Y Bé", birth_year=this_year - 12)


def test_lead_may_send_for_a_child_without_consent_with_a_recorded_reason(cast):
    case = _child_case(cast)
    referral = draft(cast, case=case, by=cast.lead_a)
    sent_referral = services.referral_send(referral=referral, by=cast.lead_a,
                                           override_reason="Em bị cha dượng xâm hại, cần bảo vệ ngay.")
    assert sent_referral.consent_override
    assert sent_referral.events.filter(action=Action.SEND).get().note.startswith("Em bị")
    history = sent_referral.history.filter(history_change_reason="sent with consent override")
    assert history.exists()


def test_volunteer_cannot_override_consent(cast):
    case = _child_case(cast)
    referral = draft(cast, case=case, by=cast.volunteer_a)
    with pytest.raises(PermissionDenied, match="Chỉ chủ nhiệm địa chỉ tin cậy mới được gửi"):
        services.referral_send(referral=referral, by=cast.volunteer_a, override_reason="khẩn cấp")


def test_override_is_refused_for_an_adult(cast):
    referral = draft(cast, partner=cast.health2, by=cast.lead_a)
    with pytest.raises(ValidationError):
        services.referral_send(referral=referral, by=cast.lead_a, override_reason="khẩn cấp")


def test_override_sent_by_the_browser_is_not_trusted(cast):
    """A volunteer posting an override reason through the form still cannot send without consent."""
    case = _child_case(cast)
    response = signed_in(cast.volunteer_a).post(f"/referrals/case/{case.pk}/new/", {
        "partner": cast.police1.pk, "services": ["police_protection"], "urgency": "urgent",
        "shared_fields": ["code"], "override_reason": "tôi tự quyết", "send": "1",
    })
    assert not Referral.objects.filter(case=case, status=Status.SENT).exists()
    assert response.status_code == 200


# --- Whitelist -----------------------------------------------------------------------------------


def test_partner_sees_only_the_chosen_fields_in_html_and_pdf(cast):
    referral = sent(cast, shared_fields=("code", "sex"))
    police = signed_in(cast.police_officer)
    html = police.get(f"/referrals/{referral.pk}/").content.decode()
    pdf = police.get(f"/referrals/{referral.pk}/slip.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert case_a(cast).survivor.code in html and case_a(cast).survivor.code in text
    for secret in (CANARY_NAME, CANARY_PHONE, "0987654321", "Thôn Kon, xã Một", "064190001234",
                   "Anh ta đánh", "Chị ấy muốn về nhà", "Đến nhà trưởng thôn"):
        assert secret not in html
        assert secret not in text
    assert f"/cases/{referral.case_id}" not in html  # no case URL for the partner


def test_shared_phone_is_visible_to_the_partner_when_chosen(cast):
    referral = sent(cast, shared_fields=("code", "phone"))
    html = signed_in(cast.police_officer).get(f"/referrals/{referral.pk}/").content.decode()
    assert CANARY_PHONE in html


def test_snapshot_is_taken_at_sending_and_stored_encrypted(cast):
    referral = sent(cast, shared_fields=("code", "full_name"))
    casework_services.survivor_update(survivor=case_a(cast).survivor, by=cast.volunteer_a, version=None,
                                      full_name="Tên Mới")
    assert Referral.objects.get(pk=referral.pk).snapshot_data["full_name"] == CANARY_NAME
    with connection.cursor() as cursor:
        cursor.execute("SELECT snapshot FROM referrals_referral")
        assert all(CANARY_NAME not in (row[0] or "") for row in cursor.fetchall())


def _pdf_text(content: bytes) -> str:
    import shutil
    import subprocess

    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler-utils is missing: `make test` installs it"
    return subprocess.run([pdftotext, "-", "-"], input=content, capture_output=True, check=True).stdout.decode()  # noqa: S603


# --- Partner views go to the access log --------------------------------------------------------


def test_partner_views_and_prints_are_in_who_saw_my_file(cast):
    referral = referral_a(cast)
    police = signed_in(cast.police_officer)
    police.get(f"/referrals/{referral.pk}/")
    police.get(f"/referrals/{referral.pk}/slip.pdf")
    logged = CaseAccess.objects.filter(case=referral.case, organisation=cast.police1)
    actions = set(logged.values_list("action", flat=True))
    assert actions == {CaseAccess.Action.VIEW_REFERRAL, CaseAccess.Action.PRINT_REFERRAL}


# --- IDOR and forged posts -----------------------------------------------------------------------


def test_partner_of_another_organisation_gets_404_on_referral_and_actions(cast):
    referral = referral_a(cast)
    nurse = signed_in(cast.health_officer)
    assert nurse.get(f"/referrals/{referral.pk}/").status_code == 404
    assert nurse.post(f"/referrals/{referral.pk}/act/", {"action": "accept"}).status_code == 404
    assert Referral.objects.get(pk=referral.pk).status == Status.SENT


def test_volunteer_referring_a_case_of_another_address_gets_404(cast):
    response = signed_in(cast.volunteer_a).post(f"/referrals/case/{case_b(cast).pk}/new/", {
        "partner": cast.police1.pk, "services": ["police_protection"], "urgency": "routine", "send": "1"})
    assert response.status_code == 404
    assert not Referral.objects.filter(case=case_b(cast)).exists()


def test_forged_post_cannot_repoint_a_referral(cast):
    """Extra fields naming another case or partner are ignored: the case comes from the URL gate and
    the partner from the validated choice list."""
    response = signed_in(cast.volunteer_a).post(f"/referrals/case/{case_a(cast).pk}/new/", {
        "partner": cast.police1.pk, "services": ["police_protection"], "urgency": "routine",
        "shared_fields": ["code"], "case": str(case_b(cast).pk), "from_organisation": str(cast.address_b.pk),
        "send": "1",
    })
    assert response.status_code == 302
    referral = Referral.objects.get(case=case_a(cast))
    assert referral.from_organisation == cast.address_a and referral.case == case_a(cast)
    bogus_partner = signed_in(cast.volunteer_a).post(f"/referrals/case/{case_a(cast).pk}/new/", {
        "partner": cast.address_b.pk, "services": ["police_protection"], "urgency": "routine", "send": "1"})
    assert bogus_partner.status_code == 200
    assert "partner" in bogus_partner.context["form"].errors


def test_sender_cannot_accept_on_the_partners_behalf(cast):
    referral = referral_a(cast)
    response = signed_in(cast.volunteer_a).post(f"/referrals/{referral.pk}/act/", {"action": "accept"})
    assert response.status_code == 409
    assert Referral.objects.get(pk=referral.pk).status == Status.SENT


def test_completing_a_declined_referral_is_refused_with_a_message(cast):
    referral = referral_a(cast)
    police = signed_in(cast.police_officer)
    police.post(f"/referrals/{referral.pk}/act/", {"action": "decline", "note": "Không thuộc thẩm quyền."})
    response = police.post(f"/referrals/{referral.pk}/act/", {"action": "complete", "note": "xong"})
    assert response.status_code == 409
    assert Referral.objects.get(pk=referral.pk).status == Status.DECLINED


# --- Expiry --------------------------------------------------------------------------------------


def test_overdue_referrals_expire_and_cannot_then_be_accepted(cast, settings):
    import time_machine

    referral = referral_a(cast)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        call_command("expire_referrals")
        assert Referral.objects.get(pk=referral.pk).status == Status.EXPIRED
        with pytest.raises(InvalidTransition):
            services.referral_act(referral=referral, action=Action.ACCEPT, by=cast.police_officer)
    assert Notification.objects.filter(referral=referral, kind=Notification.Kind.REFERRAL_OVERDUE,
                                       recipient=cast.volunteer_a.user).exists()


def test_urgent_referrals_expire_after_two_hours_and_are_listed_first(cast):
    import time_machine

    routine = referral_a(cast)
    urgent = sent(cast, urgency=Referral.Urgency.URGENT)
    assert urgent.respond_by - urgent.sent_at == dt.timedelta(hours=2)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=3)):
        page = signed_in(cast.police_officer).get("/referrals/inbox/")
        rows = list(page.context["page"])
        assert rows[0].pk == urgent.pk and rows[0].is_overdue
        assert routine.pk in {r.pk for r in rows}


@pytest.mark.parametrize("late,overdue", [(dt.timedelta(0), False), (dt.timedelta(microseconds=1), True)])
def test_the_inbox_the_expiry_job_and_the_guard_share_one_overdue_rule(cast, late, overdue):
    import time_machine

    referral = referral_a(cast)
    now = referral.respond_by + late
    with time_machine.travel(now, tick=False):
        rows = list(signed_in(cast.police_officer).get("/referrals/inbox/").context["page"])
        assert [(r.pk, r.rank == 0) for r in rows] == [(referral.pk, overdue)]
        assert list(Referral.objects.overdue(now)) == ([referral] if overdue else [])
        assert referral.can(Action.ACCEPT, by=cast.police_officer, now=now) is not overdue
        assert services.referrals_expire_overdue(now=now) == int(overdue)
    expected = Status.EXPIRED if overdue else Status.SENT
    assert Referral.objects.get(pk=referral.pk).status == expected


# --- Notifications and emails -------------------------------------------------------------------


def test_emails_say_only_that_something_needs_attention(cast, settings, django_capture_on_commit_callbacks):
    settings.REFERRAL_EMAIL_NOTICES = True
    cast.police_officer.user.email = "police@example.org"
    cast.police_officer.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        referral = referral_a(cast)
        services.referral_act(referral=referral, action=Action.ACCEPT, by=cast.police_officer)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    everything = message.subject + message.body + json.dumps(message.extra_headers)
    survivor = case_a(cast).survivor
    for secret in (CANARY_NAME, CANARY_PHONE, survivor.code, "Thôn Kon", "Xã Một", "Công an", "đánh",
                   str(referral.pk), str(referral.case_id)):
        assert secret not in everything
    assert "/referrals/notifications/" in message.body


def test_emails_go_out_in_vietnamese_whatever_language_the_sender_uses(cast, settings,
                                                                     django_capture_on_commit_callbacks):
    """The recipient's language is not known (and the sender's is not hers): Vietnamese, always."""
    settings.REFERRAL_EMAIL_NOTICES = True
    cast.police_officer.user.email = "police@example.org"
    cast.police_officer.user.save()
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        referral_a(cast)
    [message] = mail.outbox
    assert message.subject == "Địa chỉ tin cậy: có việc cần bạn xem"
    assert message.body.startswith("Có việc trên hệ thống Địa chỉ tin cậy cần bạn xem. Hãy đăng nhập để xem:\n")
    assert message.body.endswith("/referrals/notifications/")


def test_notification_texts_carry_no_case_detail(cast):
    referral_a(cast)
    for notification in Notification.objects.all():
        text = str(notification) + str(notification.get_kind_display())
        assert case_a(cast).survivor.code not in text and CANARY_NAME not in text


# --- Concurrency (PostgreSQL row locks) -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_accepts_produce_one_acceptance(cast):
    """On PostgreSQL two threads race through select_for_update; SQLite has no row locks and lets one
    writer at a time, so there the two accepts run one after the other — the outcome must be the same."""
    from django.db import close_old_connections

    referral = referral_a(cast)
    second_officer = __import__("tests.factories", fromlist=["member"]).member(
        "partner_officer", cast.police1, "police2")
    concurrent = connection.vendor == "postgresql"
    barrier = threading.Barrier(2 if concurrent else 1)
    results: list[str] = []

    def accept(membership):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            services.referral_act(referral=referral, action=Action.ACCEPT, by=membership)
            results.append("ok")
        except InvalidTransition:
            results.append("refused")
        finally:
            if concurrent:
                close_old_connections()

    if concurrent:
        threads = [threading.Thread(target=accept, args=(m,)) for m in (cast.police_officer, second_officer)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        accept(cast.police_officer)
        accept(second_officer)
    assert sorted(results) == ["ok", "refused"]
    assert Referral.objects.get(pk=referral.pk).events.filter(action=Action.ACCEPT).count() == 1
