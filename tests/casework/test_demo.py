"""The demo cases that seed_demo builds through portal.demo.casework: what they show, and that a second run
adds nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation

from accounts import demo as accounts_demo
from accounts.models import Membership, Organisation
from casework.ethnicity import Ethnicity
from casework.models import (
    AgeBand,
    Case,
    CaseNote,
    Consent,
    Incident,
    LivelihoodSupport,
    RiskAssessment,
    SafetyPlan,
    SupportService,
    Survivor,
)
from casework.risk import RiskLevel
from portal import demo as portal_demo
from portal.demo.casework import CASES_PER_ADDRESS, _plan, build_demo_cases


def seed(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (Survivor, Case, Incident, Consent, RiskAssessment, SafetyPlan, SupportService,
              LivelihoodSupport, CaseNote)
    tallies = {model.__name__: model.objects.count() for model in models}
    tallies["case history"] = Case.history.count()
    tallies["survivor history"] = Survivor.history.count()
    return tallies


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker) -> Iterator[str]:
    """One demo for the whole module (building it goes through every service, ~500 saves), rolled back
    at the end. Each test's own transaction nests inside this one as a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once: str, db) -> str:
    return seeded_once


def test_seed_demo_builds_the_demo_cases_first_so_referrals_and_indicators_can_use_them():
    assert portal_demo.BUILDERS[0] is build_demo_cases


def test_seed_demo_opens_twenty_cases_at_each_trusted_address_that_has_volunteers(seeded):
    per_address = dict(Case.objects.values_list("trusted_address__name").annotate(n=Count("id")))
    assert per_address == {"Địa chỉ tin cậy làng Kon Chênh": 20, "Địa chỉ tin cậy xã Hiếu": 20}
    assert "Cases: 40 created, 0 already there" in seeded
    assert "Survivors: 40 created, 0 already there" in seeded


def test_running_seed_demo_again_adds_no_case_and_changes_nothing(seeded):
    before = counts()
    versions = dict(Case.objects.values_list("id", "version"))

    output = seed()

    assert counts() == before
    assert dict(Case.objects.values_list("id", "version")) == versions
    assert "Cases: 0 created, 40 already there" in output
    assert "Survivors: 0 created, 40 already there" in output


def test_demo_survivors_are_women_of_several_ethnic_groups_with_names_that_decrypt(seeded):
    ethnicities = set(Survivor.objects.values_list("ethnicity", flat=True))
    expected = {Ethnicity.KINH, Ethnicity.BA_NA, Ethnicity.XO_DANG, Ethnicity.GIA_RAI, Ethnicity.HMONG}
    assert expected <= ethnicities
    assert set(Survivor.objects.values_list("sex", flat=True)) == {"female"}
    names = [s.full_name for s in Survivor.objects.all()]
    assert all(len(name.split()) >= 2 for name in names)
    assert len(set(names)) >= 30
    address_a = Organisation.objects.get(name="Địa chỉ tin cậy làng Kon Chênh")
    assert {s.commune.code for s in Survivor.objects.filter(cases__trusted_address=address_a)} == {"23479"}


def test_demo_cases_open_over_the_last_three_years_and_never_in_the_future(seeded):
    today = timezone.localdate()
    first, last = min(Case.objects.values_list("opened_on", flat=True)), max(
        Case.objects.values_list("opened_on", flat=True))
    assert today - dt.timedelta(days=3 * 365) <= first
    assert first < today - dt.timedelta(days=2 * 365)
    assert last <= today
    assert Incident.objects.filter(occurred_on__gt=today).count() == 0


def test_demo_has_a_child_with_an_overdue_support_plan_and_one_done_on_time(seeded):
    overdue = [case for case in Case.objects.all() if case.support_plan_overdue]
    assert len(overdue) == 2  # one per trusted address
    assert {c.age_band for c in overdue} == {AgeBand.CHILD_UNDER_16}
    done = Case.objects.filter(age_band=AgeBand.CHILD_UNDER_16, support_plan_done_on__isnull=False)
    assert done.count() == 2
    assert all(c.support_plan_done_on <= c.support_plan_due_on for c in done)
    child_consents = Consent.objects.filter(case__in=overdue)
    assert set(child_consents.values_list("given_by", flat=True)) == {Consent.GivenBy.GUARDIAN}
    assert all(c.guardian_name for c in child_consents)


def test_demo_covers_the_gbvims_types_and_every_risk_level(seeded):
    types = set(Incident.objects.values_list("gbv_type", flat=True))
    assert {"rape", "physical_assault", "psychological_abuse", "denial_of_resources", "forced_marriage",
            "sexual_assault"} <= types
    assert Incident.objects.filter(trafficking=True).exists()
    assert Incident.objects.filter(child_marriage=True).exists()
    assert set(Case.objects.values_list("risk_level", flat=True)) == set(RiskLevel.values)


def test_most_demo_cases_consent_to_statistics_some_do_not_and_one_withdrew(seeded):
    statistics = Consent.objects.filter(scope=Consent.Scope.STATISTICS)
    current = statistics.current().values("case").distinct().count()
    assert 25 <= current < 40
    withdrawn = statistics.filter(withdrawn_on__isnull=False)
    assert withdrawn.count() == 2  # one per trusted address
    assert all(c.given_on <= c.withdrawn_on <= timezone.localdate() for c in withdrawn)
    assert Case.objects.exclude(consents__scope=Consent.Scope.STATISTICS).exists()
    assert Consent.objects.filter(scope=Consent.Scope.KEEP_RECORD).count() == 40


def test_demo_records_shelter_stays_cash_in_vnd_counselling_and_livelihood_models(seeded):
    K = SupportService.Kind
    shelters = SupportService.objects.filter(kind=K.SHELTER)
    assert shelters.count() >= 5
    assert all(s.nights == (s.check_out - s.check_in).days for s in shelters)
    cash = SupportService.objects.filter(kind=K.EMERGENCY_CASH)
    assert cash.exists()
    assert set(cash.values_list("amount_vnd", flat=True)) <= {500_000, 1_000_000, 1_500_000, 2_000_000}
    assert SupportService.objects.filter(kind=K.COUNSELLING).count() == 40
    models = set(LivelihoodSupport.objects.values_list("programme_model", "beneficiary_group"))
    assert {("pilot", "dv"), ("replicated", "trafficking")} <= models
    assert SafetyPlan.objects.count() >= 10
    assert CaseNote.objects.count() >= 40
    assert all(note.text for note in CaseNote.objects.all())


def test_some_demo_cases_are_closed_with_a_reason_after_they_opened(seeded):
    closed = Case.objects.filter(status=Case.Status.CLOSED)
    assert closed.count() >= 2
    assert all(c.closure_reason and c.opened_on <= c.closed_on <= timezone.localdate() for c in closed)


def test_demo_cases_are_visible_to_their_own_address_only(seeded):
    volunteer_a = Membership.objects.get(user__username="tinhnguyen")
    volunteer_b = Membership.objects.get(user__username="tinhnguyenb")
    seen_by_a = Case.objects.visible_to(volunteer_a)
    assert seen_by_a.count() == 20
    assert set(seen_by_a.values_list("trusted_address", flat=True)) == {volunteer_a.organisation_id}
    assert not seen_by_a.filter(pk__in=Case.objects.visible_to(volunteer_b)).exists()


def test_demo_survivor_codes_come_from_the_seed_so_every_build_is_the_same(seeded):
    today = timezone.localdate()
    for name in ("Địa chỉ tin cậy làng Kon Chênh", "Địa chỉ tin cậy xã Hiếu"):
        address = Organisation.objects.get(name=name)
        expected = {_plan(address, n, today=today).code for n in range(CASES_PER_ADDRESS)}
        codes = Survivor.objects.filter(cases__trusted_address=address).values_list("code", flat=True)
        assert set(codes) == expected


def test_a_demo_limited_to_one_commune_reaches_only_that_communes_cases(seeded):
    limited = accounts_demo.build_demo(only_area="23482")  # xã Hiếu: address B only

    build_demo_cases(limited)

    assert limited.created["casework.Case"] == 0
    assert limited.existing["casework.Case"] == 20
    assert Case.objects.count() == 40
