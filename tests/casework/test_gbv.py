"""GBVIMS classification through the incident form: the questions in order, the first "yes" decides,
and the context flags that follow from her age on the day of the incident."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from casework import gbv
from casework.models import Case, Incident
from tests.casework.builders import open_case
from tests.casework.test_records import english, incident_data, iso
from tests.conftest import signed_in

NO_TO_ALL = {f"q_{key}": "no" for key in gbv.ANSWER_KEYS}


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def case_of_a_girl_aged(cast, age: int, on: dt.date) -> Case:  # type: ignore[no-untyped-def]
    """A female survivor who turns exactly ``age`` on ``on``."""
    born = years_before(on, age)
    return open_case(cast.volunteer_a, full_name="Y Thị Nhỏ", birth_year=born.year, date_of_birth=born,
                     sex="female")


def record(cast, case: Case, *, yes: tuple[str, ...], on: dt.date, **fields: str) -> Incident:  # type: ignore[no-untyped-def]
    data = incident_data(occurred_on=iso(on), **NO_TO_ALL, **fields)
    data.update({f"q_{key}": "yes" for key in yes})
    response = signed_in(cast.volunteer_a).post(reverse("casework:incident-create", args=[case.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    return case.incidents.latest("created_at")


@pytest.fixture
def incident_day() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=10)


def test_the_questions_are_shown_in_gbvims_order(cast):
    case = open_case(cast.volunteer_a)
    page = english(signed_in(cast.volunteer_a)).get(reverse("casework:incident-create", args=[case.pk]))
    html = page.content.decode()
    positions = [html.index(f'name="q_{key}"') for key in gbv.ANSWER_KEYS]
    assert positions == sorted(positions)
    assert str(gbv.QUESTIONS[0][1])[:40] in html


def test_husband_hit_her_and_then_forced_intercourse_is_rape(cast, incident_day):
    case = open_case(cast.volunteer_a, full_name="Y Thị Vợ", birth_year=1990)
    incident = record(cast, case, yes=("physical", "penetration"), on=incident_day,
                      perpetrator_relationship="partner")
    assert incident.gbv_type == gbv.GBVType.RAPE
    assert incident.gbv_answers["physical"] and incident.gbv_answers["penetration"]
    assert (incident.intimate_partner, incident.domestic_violence, incident.harm_sexual) == (True, True, True)
    assert incident.child_sexual_abuse is False


def test_attempted_rape_is_sexual_assault(cast, incident_day):
    case = open_case(cast.volunteer_a)
    incident = record(cast, case, yes=("sexual_contact",), on=incident_day,
                      perpetrator_relationship="acquaintance")
    assert incident.gbv_type == gbv.GBVType.SEXUAL_ASSAULT
    assert incident.domestic_violence is False


def test_nothing_answered_yes_is_not_gender_based_violence(cast, incident_day):
    incident = record(cast, open_case(cast.volunteer_a), yes=(), on=incident_day)
    assert incident.gbv_type == gbv.GBVType.NON_GBV


@pytest.mark.parametrize(("age", "child_marriage"), [(16, True), (17, True), (18, False)])
def test_forced_marriage_is_child_marriage_only_below_eighteen(cast, incident_day, age, child_marriage):
    case = case_of_a_girl_aged(cast, age, incident_day)
    incident = record(cast, case, yes=("forced_marriage",), on=incident_day,
                      perpetrator_relationship="family")
    assert case.survivor.age_on(incident_day) == age
    assert incident.gbv_type == gbv.GBVType.FORCED_MARRIAGE
    assert incident.child_marriage is child_marriage


def test_forced_marriage_the_day_before_her_eighteenth_birthday_is_child_marriage(cast, incident_day):
    case = case_of_a_girl_aged(cast, 18, incident_day + dt.timedelta(days=1))
    incident = record(cast, case, yes=("forced_marriage",), on=incident_day)
    assert case.survivor.age_on(incident_day) == 17
    assert incident.child_marriage is True


@pytest.mark.parametrize(("age", "abuse"), [(15, True), (17, True), (18, False)])
def test_rape_of_a_girl_under_eighteen_is_child_sexual_abuse(cast, incident_day, age, abuse):
    case = case_of_a_girl_aged(cast, age, incident_day)
    incident = record(cast, case, yes=("penetration",), on=incident_day,
                      perpetrator_relationship="step_parent")
    assert incident.gbv_type == gbv.GBVType.RAPE
    assert incident.child_sexual_abuse is abuse


def test_editing_the_answers_reclassifies_the_incident(cast, incident_day):
    case = open_case(cast.volunteer_a)
    incident = record(cast, case, yes=("psychological",), on=incident_day)
    assert incident.gbv_type == gbv.GBVType.PSYCHOLOGICAL_ABUSE
    data = incident_data(occurred_on=iso(incident_day), **{**NO_TO_ALL, "q_denial": "yes"},
                         version=str(incident.version))
    url = reverse("casework:incident-edit", args=[case.pk, incident.pk])
    assert signed_in(cast.volunteer_a).post(url, data).status_code == 302
    incident.refresh_from_db()
    assert (incident.gbv_type, incident.version) == (gbv.GBVType.DENIAL_OF_RESOURCES, 2)
    page = english(signed_in(cast.volunteer_a)).get(url).content.decode()
    assert "Denial of resources, opportunities or services" in page
