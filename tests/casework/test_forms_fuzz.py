"""Every intake and record form, posted with arbitrary input as a volunteer: the answer is the form with
its errors (200) or a saved record (302) — never a crash — and whatever free text was typed comes back
in the form, escaped, so nothing typed is lost.

Inputs: any Unicode (combining marks, emoji, zero-width and control characters, NUL), text just under
and over each limit, dates in the future, impossible (31/02) or not dates at all, check-out before
check-in, negative or malformed amounts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework import gbv, risk
from casework.models import Case, Consent, Incident, LivelihoodSupport, SafetyPlan, SupportService
from tests.casework.builders import case_a, open_case
from tests.conftest import signed_in

FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

SPECIAL = ["\u0301", "\u0323", "e\u0302\u0301", "Nguye\u0302\u0303n", "🙂", "👩‍👧‍👦", "\u200b", "\ufeff",
           "Đ", "Ð", "&amp;", "<b>", "\"'", "  ", "\n", "\r\n", "\t", "\x00", "\x1b", "\u202e"]
_chars = st.characters(blacklist_categories=("Cs",))  # lone surrogates cannot be sent as UTF-8
TEXT = st.lists(st.one_of(_chars, st.sampled_from(SPECIAL)), max_size=30).map("".join)


def free_text(limit: int) -> st.SearchStrategy[str]:
    """Arbitrary text, or text of a length around the field's limit."""
    return st.one_of(TEXT, st.integers(limit - 1, limit + 3).map(lambda n: ("ữ" * n)[:n]))


def _day(offset: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=offset)


DATES = st.one_of(
    st.integers(-4000, 0).map(lambda d: _day(d).isoformat()),
    st.integers(-4000, 0).map(lambda d: _day(d).strftime("%d/%m/%Y")),
    st.integers(1, 4000).map(lambda d: _day(d).isoformat()),  # in the future
    st.sampled_from(["31/02/2024", "29/02/2023", "2023-02-29", "00/00/0000", "31/04/2020", "0001-01-01",
                     "9999-12-31", "1899-12-31", "", "32/13/2020"]),
    TEXT,
)
AMOUNTS = st.one_of(
    st.integers(-10**13, 10**13).map(str),
    st.integers(0, 10**10).map(lambda n: f"{n:,}".replace(",", ".")),
    st.integers(0, 10**10).map(lambda n: f"{n:,}"),
    st.integers(-10**9, -1).map(lambda n: f"{n:,}".replace(",", ".")),
    TEXT,
)
YES_NO = st.sampled_from(["yes", "no", "", "maybe"])


def choice(values: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from([*values, "", "not-a-choice"])


def assert_handled(response: Any, typed: dict[str, str]) -> None:
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        html = response.content.decode()
        for name, value in typed.items():
            assert escape(value) in html, f"{name} was not kept"


@pytest.fixture
def alice(cast) -> Client:
    return signed_in(cast.volunteer_a)


@pytest.fixture
def case(cast) -> Case:
    return open_case(cast.volunteer_a, full_name="Y Thị Fuzz", birth_year=1994)


def _url(name: str, case: Case, record: Any = None) -> str:
    kwargs: dict[str, Any] = {"pk": case.pk}
    if record is not None:
        kwargs["record_pk"] = record.pk
    return reverse(f"casework:{name}", kwargs=kwargs)


SURVIVOR_TEXT = st.fixed_dictionaries({
    "full_name": free_text(200), "other_names": free_text(200), "address": free_text(500),
    "guardian_contact": free_text(300),
    "phone": st.one_of(TEXT, st.sampled_from(["0912 345 678", "+84912345678"])),
    "national_id": st.one_of(TEXT, st.sampled_from(["064190001234", "0641 9000 1234"])),
})
SURVIVOR_OTHER = st.fixed_dictionaries({
    "sex": choice(["female", "male", "other", "unknown"]), "date_of_birth": DATES,
    "birth_year": st.one_of(st.integers(1850, 2200).map(str), TEXT), "estimated_age": st.one_of(
        st.integers(-5, 200).map(str), st.just("")), "ethnicity": choice(["01", "08", "99"]),
    "disability": choice(["yes", "no", "unknown"]),
})


@FUZZ
@given(typed=SURVIVOR_TEXT, other=SURVIVOR_OTHER)
def test_intake_start_never_crashes_and_keeps_what_was_typed(cast, alice, typed, other):
    response = alice.post(reverse("casework:intake-start"), {**typed, **other,
                                                             "commune": str(cast.commune1.pk)})
    if response.status_code == 200 and "matches" in response.context:
        # The "is she already known?" page: only the name (as cleaned) is shown back; the rest waits sealed.
        assert escape(response.context["form"].cleaned_data["full_name"]) in response.content.decode()
        return
    assert_handled(response, typed)


@FUZZ
@given(typed=SURVIVOR_TEXT, other=SURVIVOR_OTHER)
def test_survivor_edit_never_crashes(cast, alice, case, typed, other):
    version = str(type(case.survivor).objects.get(pk=case.survivor_id).version)
    response = alice.post(_url("survivor-edit", case), {**typed, **other, "version": version})
    assert_handled(response, typed)


INCIDENT = st.fixed_dictionaries({
    "occurred_on": DATES, "first_reported_on": st.one_of(st.just(""), DATES),
    "place_type": choice(list(Incident.PlaceType.values)),
    "perpetrator_relationship": choice(list(Incident.Relationship.values)),
    "perpetrator_sex": choice(["female", "male", "unknown"]),
    "perpetrator_age": choice(list(Incident.PerpetratorAge.values)),
    **{f"q_{key}": YES_NO for key in gbv.ANSWER_KEYS},
    "harm_physical": st.sampled_from(["", "on"]), "trafficking": st.sampled_from(["", "on"]),
})


@FUZZ
@given(narrative=free_text(20_000), other=INCIDENT)
def test_incident_forms_never_crash(cast, alice, case, narrative, other):
    assert_handled(alice.post(_url("incident-create", case), {**other, "narrative": narrative}),
                   {"narrative": narrative})
    incident = case.incidents.first()
    if incident is not None:
        data = {**other, "narrative": narrative, "version": str(Incident.objects.get(pk=incident.pk).version)}
        assert_handled(alice.post(_url("incident-edit", case, incident), data), {"narrative": narrative})


@FUZZ
@given(guardian=free_text(200), given_on=DATES,
       scopes=st.lists(choice(list(Consent.Scope.values)), max_size=7),
       given_by=choice(["survivor", "guardian"]))
def test_consent_form_never_crashes(cast, alice, case, guardian, given_on, scopes, given_by):
    data = {"scopes": scopes, "given_by": given_by, "guardian_name": guardian, "given_on": given_on}
    assert_handled(alice.post(_url("consent-create", case), data), {"guardian_name": guardian})


@FUZZ
@given(withdrawn_on=DATES)
def test_consent_withdrawal_never_crashes(cast, alice, withdrawn_on):
    a = case_a(cast)
    consent = a.consents.order_by("scope").first()
    response = alice.post(_url("consent-withdraw", a, consent), {"withdrawn_on": withdrawn_on})
    assert response.status_code in (200, 302)
    if response.status_code == 302:  # withdrawn: give it again for the next example
        from casework import services

        services.consent_give(case=a, by=cast.volunteer_a, scope=consent.scope, given_by="survivor",
                              given_on=a.opened_on)


@FUZZ
@given(notes=free_text(5000), assessed_on=DATES, raise_to=choice(list(risk.RiskLevel.values)),
       answers=st.fixed_dictionaries({f"q_{key}": YES_NO for key in risk.ANSWER_KEYS}))
def test_risk_form_never_crashes(cast, alice, case, notes, assessed_on, raise_to, answers):
    data = {**answers, "notes": notes, "assessed_on": assessed_on, "raise_to": raise_to}
    assert_handled(alice.post(_url("risk-create", case), data), {"notes": notes})


@FUZZ
@given(plan=free_text(10_000), checklist=st.lists(choice(list(SafetyPlan.Item.values)), max_size=9))
def test_safety_plan_form_never_crashes(cast, alice, case, plan, checklist):
    existing = SafetyPlan.objects.filter(case=case).first()
    version = str(existing.version if existing else 0)
    data = {"plan": plan, "checklist": checklist, "version": version}
    assert_handled(alice.post(_url("safety-plan-edit", case), data), {"plan": plan})


SERVICE = st.fixed_dictionaries({
    "kind": choice(list(SupportService.Kind.values)), "provided_on": DATES,
    "check_in": st.one_of(st.just(""), DATES), "check_out": st.one_of(st.just(""), DATES),
})


@FUZZ
@given(notes=free_text(5000), amount=AMOUNTS, other=SERVICE)
def test_service_forms_never_crash(cast, alice, case, notes, amount, other):
    data = {**other, "notes": notes, "amount_vnd": amount, "provider": str(cast.address_a.pk)}
    typed = {"notes": notes, "amount_vnd": amount}
    assert_handled(alice.post(_url("service-create", case), data), typed)
    service = case.services.first()
    if service is not None:
        version = str(SupportService.objects.get(pk=service.pk).version)
        assert_handled(alice.post(_url("service-edit", case, service), {**data, "version": version}), typed)


LIVELIHOOD = st.fixed_dictionaries({
    "support_type": choice(list(LivelihoodSupport.SupportType.values)),
    "programme_model": choice(list(LivelihoodSupport.Model.values)),
    "beneficiary_group": choice(list(LivelihoodSupport.Group.values)),
    "outcome": choice(list(LivelihoodSupport.Outcome.values)),
    "started_on": DATES, "ended_on": st.one_of(st.just(""), DATES),
    "followed_up_on": st.one_of(st.just(""), DATES),
})


@FUZZ
@given(model_name=free_text(120), notes=free_text(5000), amount=AMOUNTS, other=LIVELIHOOD)
def test_livelihood_forms_never_crash(cast, alice, case, model_name, notes, amount, other):
    data = {**other, "model_name": model_name, "notes": notes, "amount_vnd": amount}
    typed = {"model_name": model_name, "notes": notes, "amount_vnd": amount}
    assert_handled(alice.post(_url("livelihood-create", case), data), typed)
    support = case.livelihood_supports.first()
    if support is not None:
        version = str(LivelihoodSupport.objects.get(pk=support.pk).version)
        assert_handled(alice.post(_url("livelihood-edit", case, support), {**data, "version": version}),
                       typed)


@FUZZ
@given(text=free_text(20_000))
def test_note_form_never_crashes(cast, alice, case, text):
    assert_handled(alice.post(_url("note-create", case), {"text": text}), {"text": text})


@FUZZ
@given(step=st.sampled_from(["incident", "consent", "risk", "support"]), text=free_text(5000), day=DATES)
def test_intake_steps_never_crash(cast, alice, case, step, text, day):
    data = {"narrative": text, "notes": text, "guardian_name": text[:300], "occurred_on": day,
            "given_on": day,
            "assessed_on": day, "provided_on": day, "scopes": ["keep_record"], "given_by": "guardian",
            "kind": "shelter", "check_in": day, "provider": str(cast.address_a.pk)}
    response = alice.post(reverse("casework:intake-step", kwargs={"pk": case.pk, "step": step}), data)
    assert response.status_code in (200, 302)
