"""Two people open the same edit form; the first save wins, the second is refused with a clear message,
keeps everything she typed, and changes nothing in the database."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from casework.models import Case, Incident, LivelihoodSupport, SafetyPlan, SupportService, Survivor
from tests.casework.builders import case_a, open_case
from tests.casework.test_records import (
    english,
    incident_data,
    iso,
    livelihood_data,
    service_data,
    survivor_data,
)
from tests.conftest import signed_in

STALE = "Someone else saved this record while you were editing it."


def opened_version(client: Client, url: str) -> str:
    html = client.get(url).content.decode()
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "the edit form carries its version"
    return found.group(1)


@dataclass
class EditForm:
    """One edit form: its URL, valid data with a text field to vary, and how to read that field back."""

    url: Callable[[Case], str]
    data: Callable[[Case], dict[str, Any]]
    field: str
    stored: Callable[[Case], str]


FORMS = {
    "survivor": EditForm(
        url=lambda c: reverse("casework:survivor-edit", args=[c.pk]),
        data=lambda c: survivor_data(birth_year="1990"),
        field="address",
        stored=lambda c: Survivor.objects.get(pk=c.survivor_id).address,
    ),
    "incident": EditForm(
        url=lambda c: reverse("casework:incident-edit", args=[c.pk, c.incidents.get().pk]),
        data=lambda c: incident_data(occurred_on=iso(c.incidents.get().occurred_on)),
        field="narrative",
        stored=lambda c: Incident.objects.get(case=c).narrative,
    ),
    "service": EditForm(
        url=lambda c: reverse("casework:service-edit", args=[c.pk, c.services.get().pk]),
        data=lambda c: service_data(c, kind="shelter", provided_on=iso(c.opened_on),
                                    check_in=iso(c.opened_on)),
        field="notes",
        stored=lambda c: SupportService.objects.get(case=c).notes,
    ),
    "livelihood": EditForm(
        url=lambda c: reverse("casework:livelihood-edit", args=[c.pk, c.livelihood_supports.get().pk]),
        data=lambda c: livelihood_data(started_on=iso(c.opened_on)),
        field="notes",
        stored=lambda c: LivelihoodSupport.objects.get(case=c).notes,
    ),
    "safety plan": EditForm(
        url=lambda c: reverse("casework:safety-plan-edit", args=[c.pk]),
        data=lambda c: {"checklist": ["bag"]},
        field="plan",
        stored=lambda c: SafetyPlan.objects.get(case=c).plan,
    ),
}


@pytest.mark.parametrize("name", list(FORMS))
def test_the_second_of_two_saves_from_the_same_version_is_refused(cast, name):
    case = case_a(cast)
    form = FORMS[name]
    url = form.url(case)
    first, second = english(signed_in(cast.volunteer_a)), english(signed_in(cast.lead_a))
    version_a, version_b = opened_version(first, url), opened_version(second, url)
    assert version_a == version_b

    saved = first.post(url, {**form.data(case), form.field: "Bản của A", "version": version_a})
    assert saved.status_code == 302

    typed_by_b = "Bản của B <không được lưu> & \"giữ lại\""
    refused = second.post(url, {**form.data(case), form.field: typed_by_b, "version": version_b})
    assert refused.status_code == 200
    html = refused.content.decode()
    assert STALE in html
    assert escape(typed_by_b) in html  # what she typed is still in the form
    assert re.search(rf'name="version" value="{version_b}"', html)  # still stale until she reloads
    assert form.stored(case) == "Bản của A"


def test_a_safety_plan_created_by_someone_else_meanwhile_is_not_overwritten(cast):
    case = open_case(cast.volunteer_a)
    url = reverse("casework:safety-plan-edit", args=[case.pk])
    first, second = english(signed_in(cast.volunteer_a)), english(signed_in(cast.lead_a))
    assert opened_version(first, url) == opened_version(second, url) == "0"
    assert first.post(url, {"plan": "Kế hoạch A", "version": "0"}).status_code == 302
    refused = second.post(url, {"plan": "Kế hoạch B", "version": "0"})
    assert refused.status_code == 200 and STALE in refused.content.decode()
    assert SafetyPlan.objects.get(case=case).plan == "Kế hoạch A"


def test_after_reloading_the_second_person_can_save(cast):
    case = case_a(cast)
    url = reverse("casework:survivor-edit", args=[case.pk])
    first, second = signed_in(cast.volunteer_a), signed_in(cast.lead_a)
    stale = opened_version(second, url)
    first_version = opened_version(first, url)
    first.post(url, {**survivor_data(birth_year="1990"), "address": "A", "version": first_version})
    second.post(url, {**survivor_data(birth_year="1990"), "address": "B", "version": stale})
    fresh = opened_version(second, url)
    assert fresh != stale
    assert second.post(url, {**survivor_data(birth_year="1990"), "address": "B",
                             "version": fresh}).status_code == 302
    assert Survivor.objects.get(pk=case.survivor_id).address == "B"


def test_a_missing_version_is_a_form_error_not_a_crash(cast):
    case = case_a(cast)
    response = signed_in(cast.volunteer_a).post(reverse("casework:survivor-edit", args=[case.pk]),
                                                survivor_data(birth_year="1990"))
    assert response.status_code == 200
    assert Survivor.objects.get(pk=case.survivor_id).version == 1
