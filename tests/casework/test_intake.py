"""The intake wizard, end to end as a volunteer, and the duplicate check before a case is opened."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.urls import resolve, reverse
from django.utils import formats, timezone, translation

from casework import services
from casework.models import Case, Consent, Survivor
from casework.views.intake import SESSION_PENDING_KEY
from tests.casework.builders import CANARY_NAME, CANARY_PHONE, case_a, open_case
from tests.casework.test_records import (
    consent_data,
    english,
    incident_data,
    iso,
    risk_data,
    service_data,
    survivor_data,
)
from tests.conftest import signed_in

START = reverse("casework:intake-start")
KNOWN_NAME = "Nguyễn Thị Hương"


def step_url(case: Case, step: str) -> str:
    return reverse("casework:intake-step", kwargs={"pk": case.pk, "step": step})


def case_from(response) -> Case:  # type: ignore[no-untyped-def]
    return Case.objects.get(pk=resolve(response["Location"]).kwargs["pk"])


def test_intake_end_to_end_then_the_case_page_shows_everything(cast):
    alice = english(signed_in(cast.volunteer_a))
    assert alice.get(START).status_code == 200

    opened = alice.post(START, survivor_data(full_name="Hờ Thị Mai", birth_year="1996", phone="0912 000 111",
                                             commune=str(cast.commune1.pk), ethnicity="08"))
    case = case_from(opened)
    assert opened["Location"] == step_url(case, "incident")
    assert (case.trusted_address, case.intake_step) == (cast.address_a, "survivor")
    assert case.survivor.full_name == "Hờ Thị Mai" and case.survivor.ethnicity == "08"

    unfinished = alice.get(reverse("casework:case-detail", args=[case.pk])).content.decode()
    assert "The intake is not finished." in unfinished

    steps = [
        ("incident", incident_data(q_penetration="yes", harm_sexual="on"), "consent"),
        ("consent", consent_data(scopes=["keep_record", "share_health"]), "risk"),
        ("risk", risk_data(q_threat_to_kill="yes", notes="Anh ta dọa giết."), "support"),
        ("support", service_data(case, kind="shelter", check_in=iso(timezone.localdate())), None),
    ]
    for step, data, following in steps:
        assert alice.get(step_url(case, step)).status_code == 200
        response = alice.post(step_url(case, step), data)
        assert response.status_code == 302, (step, response.context and response.context["form"].errors)
        expected = step_url(case, following) if following else reverse("casework:case-detail", args=[case.pk])
        assert response["Location"] == expected
        case.refresh_from_db()
        assert case.intake_step == step

    assert case.intake_step == services.INTAKE_STEPS[-1]  # the intake is complete
    assert case.risk_level == "severe"
    assert case.incidents.get().gbv_type == "rape"
    assert sorted(case.consents.values_list("scope", flat=True)) == ["keep_record", "share_health"]
    assert case.services.get().kind == "shelter"
    page = alice.get(reverse("casework:case-detail", args=[case.pk])).content.decode()
    assert "The intake is not finished." not in page
    for shown in ("Hờ Thị Mai", "0912 000 111", "Incident: Rape", "Share with health services",
                  "Risk assessment: Severe", "Temporary shelter stay"):
        assert shown in page, shown


def test_skipping_a_step_moves_on_without_marking_it_done(cast):
    alice = english(signed_in(cast.volunteer_a))
    case = case_from(alice.post(START, survivor_data()))
    page = alice.get(step_url(case, "incident")).content.decode()
    assert f'href="{step_url(case, "consent")}"' in page  # "skip for now"
    assert "Skip for now" in page
    alice.post(step_url(case, "consent"), consent_data())
    case.refresh_from_db()
    assert case.intake_step == "consent"
    assert not case.incidents.exists()


def test_going_back_to_an_earlier_step_keeps_the_intake_progress(cast):
    alice = english(signed_in(cast.volunteer_a))
    case = case_from(alice.post(START, survivor_data()))
    alice.post(step_url(case, "risk"), risk_data())
    alice.post(step_url(case, "incident"), incident_data())
    case.refresh_from_db()
    assert case.intake_step == "risk"


def test_an_unknown_step_is_not_found(cast):
    alice = signed_in(cast.volunteer_a)
    case = case_a(cast)
    for step in ("survivor", "payment", "INCIDENT", "done"):
        assert alice.get(step_url(case, step)).status_code == 404


def test_steps_of_a_closed_case_lead_back_to_the_case(cast):
    case = case_a(cast)
    services.case_close(case=case, by=cast.lead_a, reason="safe")
    alice = english(signed_in(cast.volunteer_a))
    response = alice.post(step_url(case, "risk"), risk_data(), follow=True)
    assert response.redirect_chain == [(reverse("casework:case-detail", args=[case.pk]), 302)]
    assert "This case is closed" in response.content.decode()
    assert case.risk_assessments.count() == 1  # only the one from before


def test_a_child_intake_defaults_consent_to_the_guardian_and_sets_the_plan_deadline(cast):
    alice = english(signed_in(cast.volunteer_a))
    case = case_from(alice.post(START, survivor_data(birth_year=str(timezone.localdate().year - 11))))
    assert case.is_child and case.support_plan_due_on
    response = alice.post(step_url(case, "consent"), consent_data(given_by="guardian",
                                                                  guardian_name="Bà ngoại"))
    assert response.status_code == 302
    assert set(case.consents.values_list("given_by", flat=True)) == {Consent.GivenBy.GUARDIAN}


# --- Duplicates -----------------------------------------------------------------------------------


def _known(cast):  # type: ignore[no-untyped-def]
    return open_case(cast.volunteer_a, full_name=KNOWN_NAME, birth_year=1990, phone="0912 345 678",
                     address="Thôn Kon, nhà thứ ba")


def test_the_same_name_typed_decomposed_or_without_accents_is_offered(cast):
    known = _known(cast)
    alice = signed_in(cast.volunteer_a)  # Vietnamese: dates as dd/mm/yyyy
    for typed in (unicodedata.normalize("NFD", KNOWN_NAME), unicodedata.normalize("NFC", KNOWN_NAME),
                  "nguyen  thi HUONG"):
        response = alice.post(START, survivor_data(full_name=typed, birth_year="1990"))
        assert response.status_code == 200, typed
        html = response.content.decode()
        assert known.survivor.code in html
        with translation.override("vi"):
            assert formats.date_format(known.opened_on, "SHORT_DATE_FORMAT") in html
    assert Survivor.objects.count() == 1


def test_the_same_phone_in_another_format_is_offered(cast):
    known = _known(cast)
    alice = english(signed_in(cast.volunteer_a))
    response = alice.post(START, survivor_data(full_name="Một người khác", birth_year="1970",
                                               phone="+84 912-345-678"))
    assert response.status_code == 200
    assert known.survivor.code in response.content.decode()


def test_the_offer_shows_only_code_year_commune_and_case_dates(cast):
    known = _known(cast)
    alice = english(signed_in(cast.volunteer_a))
    html = alice.post(START, survivor_data(full_name="Nguyen Thi Huong", birth_year="1990")).content.decode()
    assert known.survivor.code in html and "1990" in html
    for secret in (KNOWN_NAME, "0912 345 678", "Thôn Kon, nhà thứ ba"):
        assert secret not in html
    # What was typed is not posted back in hidden fields, and is sealed in the session.
    assert 'name="full_name"' not in html
    pending = alice.session[SESSION_PENDING_KEY]
    assert len(pending) == 1 and all("Nguyen" not in sealed for sealed in pending.values())


def test_same_person_opens_a_new_case_for_her(cast):
    known = _known(cast)
    alice = english(signed_in(cast.volunteer_a))
    offer = alice.post(START, survivor_data(full_name="Nguyen Thi Huong", birth_year="1990"))
    token = offer.context["token"]
    response = alice.post(START, {"token": token, "decision": str(known.survivor_id)})
    case = case_from(response)
    assert case.survivor_id == known.survivor_id and case.pk != known.pk
    assert Survivor.objects.count() == 1
    assert Survivor.objects.get().full_name == KNOWN_NAME  # what she told before is kept
    assert alice.session[SESSION_PENDING_KEY] == {}


def test_a_different_person_continues_with_what_was_typed(cast):
    _known(cast)
    alice = english(signed_in(cast.volunteer_a))
    offer = alice.post(START, survivor_data(full_name="Nguyen Thi Huong", birth_year="1990",
                                            phone="0977 111 222"))
    response = alice.post(START, {"token": offer.context["token"], "decision": "new"})
    case = case_from(response)
    assert (case.survivor.full_name, case.survivor.phone) == ("Nguyen Thi Huong", "0977 111 222")
    assert Survivor.objects.count() == 2


def test_no_choice_asks_again_and_keeps_the_offer(cast):
    known = _known(cast)
    alice = english(signed_in(cast.volunteer_a))
    offer = alice.post(START, survivor_data(full_name="Nguyen Thi Huong", birth_year="1990"))
    again = alice.post(START, {"token": offer.context["token"], "decision": "somebody"})
    assert again.status_code == 200
    assert "Choose whether she is one of these people" in again.content.decode()
    assert known.survivor.code in again.content.decode()
    assert Case.objects.count() == 1


def test_an_expired_token_asks_for_the_details_again(cast):
    alice = english(signed_in(cast.volunteer_a))
    response = alice.post(START, {"token": "made-up", "decision": "new"}, follow=True)
    assert response.redirect_chain == [(START, 302)]
    assert "Please enter them again." in response.content.decode()
    assert not Case.objects.exists()


def test_no_survivor_of_another_address_is_ever_offered(cast):
    alices = case_a(cast).survivor
    charlie = english(signed_in(cast.volunteer_b))
    response = charlie.post(START, survivor_data(full_name=CANARY_NAME, birth_year="1990",
                                                 phone=CANARY_PHONE))
    assert response.status_code == 302  # straight to a new case: nothing to offer
    case = case_from(response)
    assert case.trusted_address == cast.address_b and case.survivor_id != alices.pk
    assert Survivor.objects.count() == 2


def test_other_roles_cannot_start_an_intake(cast):
    for membership in (cast.police_officer, cast.supervisor, cast.analyst, cast.sysadmin):
        assert signed_in(membership).post(START, survivor_data()).status_code == 403
    assert not Case.objects.exists()


def test_the_lead_can_take_in_a_survivor_too(cast):
    response = signed_in(cast.lead_a).post(START, survivor_data(date_of_birth="01/06/1994", birth_year=""))
    case = case_from(response)
    assert case.survivor.birth_year == 1994 and case.survivor.date_of_birth == dt.date(1994, 6, 1)
