"""Each rule is stated once (a database constraint with its message, or ``Model.clean``) and its error
lands on the field it is about, whichever way the record is written."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from casework import services
from casework.models import Consent, Incident, IntakeStep, LivelihoodSupport, SupportService
from tests.casework.builders import case_a
from tests.casework.test_case_list import child_case
from tests.casework.test_records import iso, service_data, url
from tests.conftest import signed_in


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_check_out_before_check_in_is_refused_on_the_check_out(cast):
    case = case_a(cast)
    day = case.opened_on
    with pytest.raises(ValidationError) as exc:
        services.service_record(case=case, by=cast.volunteer_a, kind=SupportService.Kind.SHELTER,
                                provided_on=day, check_in=day, check_out=day - dt.timedelta(days=1))
    assert _errors(exc) == {"check_out": ["Check-out cannot be before check-in."]}


def test_shelter_stay_without_check_in_is_refused_on_the_check_in(cast):
    case = case_a(cast)
    service = SupportService(case=case, kind=SupportService.Kind.SHELTER, provided_on=case.opened_on,
                             provider=case.trusted_address)
    with pytest.raises(ValidationError) as exc:
        service.full_clean()
    assert _errors(exc)["check_in"] == ["A shelter stay needs a check-in date."]


def test_livelihood_ending_before_it_starts_is_refused_on_the_end(cast):
    case = case_a(cast)
    support = LivelihoodSupport(case=case, support_type="vocational", programme_model="pilot",
                                beneficiary_group="dv", started_on=case.opened_on,
                                ended_on=case.opened_on - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        support.full_clean()
    assert _errors(exc)["ended_on"] == ["The end cannot be before the start."]


def test_incident_reported_before_it_happened_is_refused_on_the_report_date(cast):
    case = case_a(cast)
    incident = Incident(case=case, occurred_on=case.opened_on, place_type="home", gbv_type="physical",
                        perpetrator_relationship="partner", perpetrator_sex="male",
                        first_reported_on=case.opened_on - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        incident.full_clean()
    assert _errors(exc)["first_reported_on"] == ["It cannot have been reported before it happened."]


def test_consent_by_an_unnamed_guardian_is_refused_on_the_name(cast):
    with pytest.raises(ValidationError) as exc:
        services.consent_give(case=case_a(cast), by=cast.volunteer_a, scope=Consent.Scope.SHARE_HEALTH,
                              given_by=Consent.GivenBy.GUARDIAN, given_on=timezone.localdate(),
                              guardian_name="  ")
    assert _errors(exc) == {"guardian_name": ["Write who gave consent for the child."]}


def test_case_cannot_close_in_the_future(cast):
    with pytest.raises(ValidationError) as exc:
        services.case_close(case=case_a(cast), by=cast.lead_a, reason="safe",
                            on=timezone.localdate() + dt.timedelta(days=1))
    assert _errors(exc) == {"closed_on": ["The closing date cannot be in the future."]}


def test_the_intake_steps_follow_in_order_and_the_case_knows_its_next_one(cast):
    case = case_a(cast)
    assert [IntakeStep.after(step) for step in IntakeStep] == [
        IntakeStep.INCIDENT, IntakeStep.CONSENT, IntakeStep.RISK, IntakeStep.SUPPORT, None]
    case.intake_step = IntakeStep.CONSENT
    assert (case.next_intake_step, case.intake_done) == (IntakeStep.RISK, False)
    case.intake_step = IntakeStep.SUPPORT
    assert (case.next_intake_step, case.intake_done) == (None, True)


def test_the_service_refuses_an_intake_step_on_a_closed_case(cast):
    case = services.case_close(case=case_a(cast), by=cast.lead_a, reason="safe")
    with pytest.raises(ValidationError) as exc:
        services.case_intake_step_done(case=case, step=IntakeStep.INCIDENT, by=cast.volunteer_a)
    assert exc.value.messages == [
        "This case is closed, so its intake cannot continue. Reopen it to record more."]
    case.refresh_from_db()
    assert case.intake_step == IntakeStep.SURVIVOR


def test_the_service_refuses_a_support_plan_the_case_does_not_have_or_already_made(cast):
    adult = case_a(cast)
    assert not adult.can_mark_support_plan_done
    with pytest.raises(ValidationError) as exc:
        services.support_plan_mark_done(case=adult, by=cast.volunteer_a)
    assert exc.value.messages == ["This case has no child support plan to mark as made."]
    child = child_case(cast.volunteer_a, days_ago=3)
    assert child.can_mark_support_plan_done
    services.support_plan_mark_done(case=child, by=cast.volunteer_a)
    with pytest.raises(ValidationError) as exc:
        services.support_plan_mark_done(case=child, by=cast.volunteer_a)
    assert exc.value.messages[0].startswith("The child support plan was already marked as made on ")


def test_a_record_posted_through_its_form_is_validated_once(cast, monkeypatch):
    case = case_a(cast)
    calls: list[SupportService] = []
    full_clean = SupportService.full_clean

    def counted(self: SupportService, *args: object, **kwargs: object) -> None:
        calls.append(self)
        full_clean(self, *args, **kwargs)

    monkeypatch.setattr(SupportService, "full_clean", counted)
    data = service_data(case, kind="shelter", check_in=iso(case.opened_on), check_out=iso(case.opened_on))
    response = signed_in(cast.volunteer_a).post(url("service-create", case), data)
    assert response.status_code == 302
    assert len(calls) == 1
