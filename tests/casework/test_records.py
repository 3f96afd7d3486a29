"""The record forms inside a case: what they save, what they refuse, what they log."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.models import (
    Case,
    CaseAccess,
    CaseNote,
    Consent,
    Incident,
    LivelihoodSupport,
    RiskAssessment,
    SafetyPlan,
    SupportService,
    Survivor,
)
from tests.casework.access_rows_records import RECORD_ROUTES
from tests.casework.builders import CANARY_NAME, case_a, case_b, open_case
from tests.conftest import signed_in

TODAY = timezone.localdate


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def iso(day: dt.date) -> str:
    return day.isoformat()


# --- Valid form data, one builder per form (tests change one field at a time) ---------------------


def survivor_data(**changes: Any) -> dict[str, Any]:
    return {"full_name": "Hờ Thị Mai", "other_names": "", "sex": "female", "date_of_birth": "",
            "birth_year": "1995", "estimated_age": "", "phone": "", "address": "", "national_id": "",
            "ethnicity": "99", "disability": "unknown", "commune": "", "guardian_contact": "", **changes}


def incident_data(**changes: Any) -> dict[str, Any]:
    return {"occurred_on": iso(TODAY() - dt.timedelta(days=2)), "place_type": "home",
            "q_penetration": "no", "q_sexual_contact": "no", "q_physical": "yes",
            "perpetrator_relationship": "partner", "perpetrator_sex": "male", "perpetrator_age": "unknown",
            "first_reported_on": "", "narrative": "Anh ta đánh chị ấy bằng gậy.", **changes}


def consent_data(**changes: Any) -> dict[str, Any]:
    return {"scopes": ["keep_record", "statistics"], "given_by": "survivor", "guardian_name": "",
            "given_on": iso(TODAY()), **changes}


def risk_data(**changes: Any) -> dict[str, Any]:
    from casework import risk

    answers = {f"q_{key}": "no" for key in risk.ANSWER_KEYS}
    return {**answers, "assessed_on": iso(TODAY()), "raise_to": "", "notes": "", **changes}


def service_data(case: Any, **changes: Any) -> dict[str, Any]:
    return {"kind": "counselling", "provided_on": iso(TODAY()), "provider": str(case.trusted_address_id),
            "check_in": "", "check_out": "", "amount_vnd": "", "notes": "", **changes}


def livelihood_data(**changes: Any) -> dict[str, Any]:
    return {"support_type": "livestock_crops", "programme_model": "pilot", "model_name": "Nuôi bò thôn Kon",
            "beneficiary_group": "dv", "amount_vnd": "5.000.000", "started_on": iso(TODAY()), "ended_on": "",
            "outcome": "", "followed_up_on": "", "notes": "", **changes}


def url(name: str, case: Any, record: Any = None) -> str:
    kwargs = {"pk": case.pk} if record is None else {"pk": case.pk, "record_pk": record.pk}
    return reverse(f"casework:{name}", kwargs=kwargs)


@pytest.fixture
def alice(cast) -> Client:
    return english(signed_in(cast.volunteer_a))


@pytest.fixture
def fresh_case(cast):
    return open_case(cast.volunteer_a, full_name="Y Thị Hoa", birth_year=1992)


# --- Saving ---------------------------------------------------------------------------------------


def test_survivor_edit_saves_the_new_phone_and_bumps_the_version(cast, alice):
    case = case_a(cast)
    survivor = case.survivor
    data = survivor_data(full_name=CANARY_NAME, birth_year="1990", phone="0912 345 678",
                         commune=str(cast.commune1.pk), version=str(survivor.version))
    response = alice.post(url("survivor-edit", case), data)
    assert response.status_code == 302
    survivor = Survivor.objects.get(pk=survivor.pk)
    assert (survivor.phone, survivor.commune, survivor.version) == ("0912 345 678", cast.commune1, 2)


def test_survivor_form_offers_only_communes_of_the_address_province(cast, alice):
    from accounts.models import AdminUnit
    from tests import factories as f

    elsewhere = f.unit(AdminUnit.Level.PROVINCE, "Tỉnh Khác", code="99")
    far_commune = f.unit(AdminUnit.Level.COMMUNE, "Xã Xa", elsewhere, code="99999")
    html = alice.get(reverse("casework:intake-start")).content.decode()
    assert "Xã Một" in html and "Xã Hai" in html
    assert far_commune.name not in html


def test_estimated_age_becomes_a_birth_year(cast, alice, fresh_case):
    data = survivor_data(birth_year="", estimated_age="30", version=str(fresh_case.survivor.version))
    assert alice.post(url("survivor-edit", fresh_case), data).status_code == 302
    assert Survivor.objects.get(pk=fresh_case.survivor_id).birth_year == TODAY().year - 30


def test_date_of_birth_alone_gives_the_birth_year(cast, alice, fresh_case):
    data = survivor_data(birth_year="", date_of_birth="14/02/2001", version=str(fresh_case.survivor.version))
    assert alice.post(url("survivor-edit", fresh_case), data).status_code == 302
    survivor = Survivor.objects.get(pk=fresh_case.survivor_id)
    assert (survivor.date_of_birth, survivor.birth_year) == (dt.date(2001, 2, 14), 2001)


def test_birth_year_that_contradicts_the_date_of_birth_is_refused(cast, alice, fresh_case):
    data = survivor_data(birth_year="1999", date_of_birth="2001-02-14",
                         version=str(fresh_case.survivor.version))
    response = alice.post(url("survivor-edit", fresh_case), data)
    assert response.status_code == 200
    assert "The birth year does not match the date of birth." in response.content.decode()


def test_incident_create_stores_the_gbvims_type_and_the_encrypted_narrative(cast, alice, fresh_case):
    response = alice.post(url("incident-create", fresh_case), incident_data(harm_physical="on"))
    assert response.status_code == 302
    incident = Incident.objects.get(case=fresh_case)
    assert incident.gbv_type == "physical_assault"
    assert incident.harm_physical and incident.domestic_violence and incident.intimate_partner
    assert incident.narrative == "Anh ta đánh chị ấy bằng gậy."
    assert incident.recorded_by == cast.volunteer_a


def test_incident_edit_shows_the_gbvims_type_and_logs_the_read(cast, alice):
    case = case_a(cast)
    incident = case.incidents.get()
    response = alice.get(url("incident-edit", case, incident))
    assert "Physical assault" in response.content.decode()
    assert CaseAccess.objects.filter(case=case, action=CaseAccess.Action.EDIT,
                                     what="incident form").count() == 1


def test_unanswered_question_before_the_first_yes_is_refused(cast, alice, fresh_case):
    data = incident_data()
    del data["q_sexual_contact"]
    response = alice.post(url("incident-create", fresh_case), data)
    assert response.status_code == 200
    assert "Answer yes or no" in response.content.decode()
    assert not Incident.objects.filter(case=fresh_case).exists()


def test_questions_after_the_first_yes_may_stay_blank(cast, alice, fresh_case):
    data = incident_data(q_penetration="yes")
    del data["q_sexual_contact"], data["q_physical"]
    assert alice.post(url("incident-create", fresh_case), data).status_code == 302
    assert Incident.objects.get(case=fresh_case).gbv_type == "rape"


def test_report_date_before_the_incident_is_refused(cast, alice, fresh_case):
    data = incident_data(occurred_on=iso(TODAY() - dt.timedelta(days=2)),
                         first_reported_on=iso(TODAY() - dt.timedelta(days=5)))
    response = alice.post(url("incident-create", fresh_case), data)
    assert "It cannot have been reported before it happened." in response.content.decode()


def test_consent_form_records_one_consent_per_ticked_scope(cast, alice, fresh_case):
    assert alice.post(url("consent-create", fresh_case), consent_data()).status_code == 302
    scopes = sorted(fresh_case.consents.current().values_list("scope", flat=True))
    assert scopes == ["keep_record", "statistics"]


def test_consent_already_current_is_skipped_with_a_note(cast, alice):
    case = case_a(cast)  # keep_record, share_police and statistics are current
    response = alice.post(url("consent-create", case), consent_data(scopes=["keep_record", "share_health"]),
                          follow=True)
    html = response.content.decode()
    assert "Already recorded and still current, not recorded again: Keep a record." in html
    assert case.consents.filter(scope="keep_record").count() == 1
    assert case.consents.current().filter(scope="share_health").exists()


def test_guardian_consent_needs_the_guardian_named(cast, alice, fresh_case):
    response = alice.post(url("consent-create", fresh_case), consent_data(given_by="guardian"))
    assert response.status_code == 200
    assert "Write who gave consent for the child." in response.content.decode()
    ok = alice.post(url("consent-create", fresh_case), consent_data(given_by="guardian",
                                                                    guardian_name="Mẹ: Y Thị Lan"))
    assert ok.status_code == 302
    assert {c.guardian_name for c in fresh_case.consents.all()} == {"Mẹ: Y Thị Lan"}


def test_a_child_defaults_to_consent_given_by_a_guardian(cast, alice):
    child = open_case(cast.volunteer_a, full_name="Y Thị Bé", birth_year=TODAY().year - 12)
    assert child.is_child
    html = alice.get(url("consent-create", child)).content.decode()
    assert re.search(r'value="guardian"[^>]*checked', html)
    assert not re.search(r'value="survivor"[^>]*checked', html)


def _consents_to_police(case: Case) -> bool:
    return case.consents.current().filter(scope=Consent.Scope.SHARE_POLICE).exists()


def test_withdrawing_consent_takes_effect_at_once(cast, alice):
    case = case_a(cast)
    consent = case.consents.get(scope=Consent.Scope.SHARE_POLICE)
    assert _consents_to_police(case)
    page = alice.get(url("consent-withdraw", case, consent))
    assert page.status_code == 200 and "Share with the police" in page.content.decode()
    assert _consents_to_police(case)  # the page alone changes nothing
    response = alice.post(url("consent-withdraw", case, consent), {"withdrawn_on": iso(TODAY())})
    assert response.status_code == 302
    assert not _consents_to_police(case)
    assert Consent.objects.get(pk=consent.pk).withdrawn_on == TODAY()


def test_withdrawing_twice_says_so_instead_of_failing(cast, alice):
    case = case_a(cast)
    consent = case.consents.get(scope=Consent.Scope.STATISTICS)
    alice.post(url("consent-withdraw", case, consent), {"withdrawn_on": iso(TODAY())})
    again = alice.post(url("consent-withdraw", case, consent), {"withdrawn_on": iso(TODAY())})
    assert again.status_code == 200
    assert "This consent was already withdrawn." in again.content.decode()


def test_risk_assessment_updates_the_case_level(cast, alice, fresh_case):
    response = alice.post(url("risk-create", fresh_case), risk_data(q_weapon="yes"))
    assert response.status_code == 302
    fresh_case.refresh_from_db()
    assert fresh_case.risk_level == "severe"


def test_judgement_raises_the_level_but_never_lowers_it(cast, alice, fresh_case):
    alice.post(url("risk-create", fresh_case), risk_data(raise_to="high"))
    assert RiskAssessment.objects.get(case=fresh_case).level == "high"
    response = alice.post(url("risk-create", fresh_case), risk_data(q_strangled="yes", raise_to="low"),
                          follow=True)
    assert "The level stays at Severe" in response.content.decode()
    fresh_case.refresh_from_db()
    assert fresh_case.risk_level == "severe"


def test_risk_questions_must_all_be_answered(cast, alice, fresh_case):
    data = risk_data()
    del data["q_weapon"]
    response = alice.post(url("risk-create", fresh_case), data)
    assert response.status_code == 200
    assert not RiskAssessment.objects.filter(case=fresh_case).exists()


def test_safety_plan_is_created_then_edited_with_its_version(cast, alice, fresh_case):
    first = alice.post(url("safety-plan-edit", fresh_case),
                       {"checklist": ["bag", "phone"], "plan": "Gọi 111.", "version": "0"})
    assert first.status_code == 302
    plan = SafetyPlan.objects.get(case=fresh_case)
    assert (plan.checklist, plan.plan, plan.version) == (["bag", "phone"], "Gọi 111.", 1)
    second = alice.post(url("safety-plan-edit", fresh_case), {"checklist": ["route"], "plan": "",
                                                              "version": "1"})
    assert second.status_code == 302
    plan = SafetyPlan.objects.get(case=fresh_case)
    assert (plan.checklist, plan.plan, plan.version) == (["route"], "", 2)


def test_opening_an_existing_safety_plan_is_logged(cast, alice):
    case = case_a(cast)
    alice.get(url("safety-plan-edit", case))
    assert CaseAccess.objects.filter(case=case, what="safety plan form").count() == 1


@pytest.mark.parametrize("typed", ["1.500.000", "1,500,000", "1500000", "1 500 000"])
def test_amounts_are_read_the_vietnamese_way(cast, alice, fresh_case, typed):
    data = service_data(fresh_case, kind="cash", amount_vnd=typed)
    assert alice.post(url("service-create", fresh_case), data).status_code == 302
    assert SupportService.objects.get(case=fresh_case).amount_vnd == 1_500_000


def test_negative_amount_is_refused(cast, alice, fresh_case):
    data = service_data(fresh_case, kind="cash", amount_vnd="-50.000")
    response = alice.post(url("service-create", fresh_case), data)
    assert response.status_code == 200
    assert "The amount cannot be negative." in response.content.decode()


def test_cash_support_needs_an_amount(cast, alice, fresh_case):
    response = alice.post(url("service-create", fresh_case), service_data(fresh_case, kind="cash"))
    assert "Enter the amount in VND (0 if none)." in response.content.decode()


def test_shelter_nights_are_counted(cast, alice, fresh_case):
    data = service_data(fresh_case, kind="shelter", check_in=iso(TODAY() - dt.timedelta(days=3)),
                        check_out=iso(TODAY()))
    assert alice.post(url("service-create", fresh_case), data).status_code == 302
    assert SupportService.objects.get(case=fresh_case).nights == 3


def test_check_out_before_check_in_is_refused(cast, alice, fresh_case):
    data = service_data(fresh_case, kind="shelter", check_in=iso(TODAY()),
                        check_out=iso(TODAY() - dt.timedelta(days=1)))
    response = alice.post(url("service-create", fresh_case), data)
    assert response.status_code == 200
    assert "Check-out cannot be before check-in." in response.content.decode()


def test_provider_may_be_a_partner_of_the_province_but_not_another_trusted_address(cast, alice, fresh_case):
    html = alice.get(url("service-create", fresh_case)).content.decode()
    assert "Công an xã Một" in html and "Trạm y tế xã Hai" in html
    assert "Địa chỉ tin cậy B" not in html
    refused = alice.post(url("service-create", fresh_case),
                         service_data(fresh_case, provider=str(cast.address_b.pk)))
    assert refused.status_code == 200
    police = service_data(fresh_case, provider=str(cast.police1.pk))
    ok = alice.post(url("service-create", fresh_case), police)
    assert ok.status_code == 302
    assert SupportService.objects.get(case=fresh_case).provider == cast.police1


def test_service_edit_is_versioned_and_logged(cast, alice):
    case = case_a(cast)
    service = case.services.get()
    alice.get(url("service-edit", case, service))
    data = service_data(case, kind="shelter", provided_on=iso(service.provided_on),
                        check_in=iso(service.check_in),
                        check_out=iso(service.check_in + dt.timedelta(days=4)), version=str(service.version))
    assert alice.post(url("service-edit", case, service), data).status_code == 302
    service = SupportService.objects.get(pk=service.pk)
    assert (service.nights, service.version) == (4, 2)
    assert CaseAccess.objects.filter(case=case, what="support form").count() == 1


def test_livelihood_support_is_recorded_and_edited(cast, alice, fresh_case):
    assert alice.post(url("livelihood-create", fresh_case), livelihood_data()).status_code == 302
    support = LivelihoodSupport.objects.get(case=fresh_case)
    assert support.amount_vnd == 5_000_000
    data = livelihood_data(outcome="improved", followed_up_on=iso(TODAY()), version=str(support.version))
    assert alice.post(url("livelihood-edit", fresh_case, support), data).status_code == 302
    support.refresh_from_db()
    assert (support.outcome, support.version) == ("improved", 2)


def test_livelihood_end_before_start_is_refused(cast, alice, fresh_case):
    data = livelihood_data(ended_on=iso(TODAY() - dt.timedelta(days=10)))
    response = alice.post(url("livelihood-create", fresh_case), data)
    assert "The end cannot be before the start." in response.content.decode()


def test_note_is_stored_with_its_author(cast, alice, fresh_case):
    assert alice.post(url("note-create", fresh_case),
                      {"text": "Chị ấy gọi lại lúc 9 giờ."}).status_code == 302
    note = CaseNote.objects.get(case=fresh_case)
    assert (note.text, note.author) == ("Chị ấy gọi lại lúc 9 giờ.", cast.volunteer_a)


def test_overlong_note_is_refused_with_the_limit_named(cast, alice, fresh_case):
    response = alice.post(url("note-create", fresh_case), {"text": "a" * 20_001})
    assert response.status_code == 200
    assert "at most 20000 characters (it has 20001)" in response.content.decode()


# --- Dates ----------------------------------------------------------------------------------------


def test_a_date_typed_day_first_is_accepted(cast, alice, fresh_case):
    day = TODAY() - dt.timedelta(days=4)
    data = incident_data(occurred_on=day.strftime("%d/%m/%Y"))
    assert alice.post(url("incident-create", fresh_case), data).status_code == 302
    assert Incident.objects.get(case=fresh_case).occurred_on == day


def test_an_impossible_date_is_refused_in_vietnamese(cast, fresh_case):
    client = signed_in(cast.volunteer_a)  # Vietnamese, the default language
    response = client.post(url("incident-create", fresh_case), incident_data(occurred_on="31/02/2024"))
    assert response.status_code == 200
    assert "Ngày này không có thật: hãy kiểm tra lại ngày và tháng." in response.content.decode()


def test_a_future_date_is_refused(cast, alice, fresh_case):
    data = incident_data(occurred_on=iso(TODAY() + dt.timedelta(days=1)))
    response = alice.post(url("incident-create", fresh_case), data)
    assert "The date cannot be in the future." in response.content.decode()


def test_a_date_typed_by_hand_is_shown_back_for_the_date_picker(cast, alice, fresh_case):
    data = incident_data(occurred_on="05/03/2024", place_type="")
    html = alice.post(url("incident-create", fresh_case), data).content.decode()
    assert 'value="2024-03-05"' in html


# --- Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", sorted(RECORD_ROUTES))
def test_a_record_of_case_b_under_case_a_is_not_found(cast, alice, route):
    a, b = case_a(cast), case_b(cast)
    related = {"incident-edit": "incidents", "consent-withdraw": "consents", "service-edit": "services",
               "livelihood-edit": "livelihood_supports"}[route]
    foreign_record = getattr(b, related).first()
    assert isinstance(foreign_record, RECORD_ROUTES[route])
    under_a = reverse(f"casework:{route}", kwargs={"pk": a.pk, "record_pk": foreign_record.pk})
    assert alice.get(under_a).status_code == 404
    assert alice.post(under_a, {}).status_code == 404


def test_the_lead_of_address_b_cannot_edit_a_survivor_of_address_a(cast):
    case = case_a(cast)
    response = signed_in(cast.lead_b).post(url("survivor-edit", case), survivor_data(version="1"))
    assert response.status_code == 404
    assert Survivor.objects.get(pk=case.survivor_id).full_name == CANARY_NAME


def test_opening_the_survivor_form_is_logged_and_a_new_record_form_is_not(cast, alice):
    case = case_a(cast)
    alice.get(url("survivor-edit", case))
    alice.get(url("incident-create", case))
    alice.get(url("note-create", case))
    logged = list(CaseAccess.objects.filter(case=case).values_list("action", "what", "user"))
    assert logged == [(CaseAccess.Action.EDIT, "survivor form", cast.volunteer_a.user_id)]


def test_no_identifying_data_in_titles_or_messages(cast, alice):
    case = case_a(cast)
    page = alice.get(url("survivor-edit", case)).content.decode()
    title = page.split("<title>")[1].split("</title>")[0]
    assert case.survivor.code in title and CANARY_NAME not in title
    data = survivor_data(full_name=CANARY_NAME, birth_year="1990", version=str(case.survivor.version))
    followed = alice.post(url("survivor-edit", case), data, follow=True)
    messages = [str(m) for m in followed.context["messages"]]
    assert messages and not any(CANARY_NAME in m for m in messages)
