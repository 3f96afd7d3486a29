"""Every service asks the access policy first.

The services of casework and referrals are found by introspection: every public function of the module
that takes an actor (``by``) must have a row here, and is called by members who may not do it — another
trusted address, a partner, a supervisor, an analyst, an operator — which must raise PermissionDenied and
write nothing. A new service without a row, or without a check, fails this file.

The second half edits ``ROLE_PERMISSIONS`` and shows that the services, ``side_of``, the notification
recipients, who may be assigned and the view gate all follow the table.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.access import ROLE_PERMISSIONS, Perm, members_who_may
from accounts.models import Role
from casework import services as casework_services
from casework.access import assignable_members
from casework.models import CaseAccess, Consent, Incident, LivelihoodSupport, SupportService
from referrals import services as referral_services
from referrals.models import Action, Notification, Side, Status
from tests.casework.builders import case_a, open_case
from tests.conftest import Cast, signed_in
from tests.referrals.builders import draft, referral_a

# Public functions that take no actor, and why that is safe.
NO_ACTOR = {
    # Reads filtered in SQL by the membership's own visibility.
    "possible_duplicates",
    # Pure questions about a case and a partner, asked by the services themselves.
    "consent_scope_for", "has_consent_for",
    # The system's expiry job (``manage.py expire_referrals``): it has no actor by design.
    "referrals_expire_overdue",
    # Marks the acting user's own notifications, in the organisation they act for, as read.
    "notifications_mark_read",
}

# Not the case's trusted address: another address, partners, a supervisor, an analyst, an operator.
OUTSIDERS = ("volunteer_b", "lead_b", "police_officer", "health_officer", "supervisor", "analyst", "sysadmin")
# A referral of case A is also the police's to answer: the police are no outsiders there.
REFERRAL_OUTSIDERS = tuple(name for name in OUTSIDERS if name != "police_officer")
# The case's own volunteer, whose role may not close, reopen or reassign.
CASE_LEAD_ONLY = ("volunteer_a", *OUTSIDERS)
# Opening a case needs a trusted address of one's own.
NOT_AT_A_TRUSTED_ADDRESS = ("police_officer", "supervisor", "analyst", "sysadmin")


@dataclass(frozen=True)
class Call:
    """How to call one service on case A's data (everything but ``by``), and who must be refused."""

    kwargs: Callable[[Cast], dict[str, Any]]
    outsiders: tuple[str, ...] = OUTSIDERS


def _case(**more: Any) -> Callable[[Cast], dict[str, Any]]:
    return lambda c: {"case": case_a(c), **more}


def _record(model: type[Any], keyword: str, **more: Any) -> Callable[[Cast], dict[str, Any]]:
    return lambda c: {keyword: model.objects.filter(case=case_a(c)).first(), "version": None, **more}


def _police_consent(c: Cast) -> Consent:
    return case_a(c).consents.get(scope=Consent.Scope.SHARE_POLICE)


TODAY = dt.date.today()
CALLS: dict[str, Call] = {
    "survivor_update": Call(lambda c: {"survivor": case_a(c).survivor, "version": None, "full_name": "X"}),
    "case_open": Call(lambda c: {"survivor_fields": {"full_name": "Y Thị Mới", "birth_year": 1990, "sex": "female"}},
                      outsiders=NOT_AT_A_TRUSTED_ADDRESS),
    "case_intake_step_done": Call(_case(step="incident")),
    "case_close": Call(_case(reason="safe"), outsiders=CASE_LEAD_ONLY),
    "case_reopen": Call(_case(), outsiders=CASE_LEAD_ONLY),
    "case_assign": Call(lambda c: {"case": case_a(c), "volunteers": [c.lead_a]}, outsiders=CASE_LEAD_ONLY),
    "support_plan_mark_done": Call(_case()),
    "incident_record": Call(_case(answers={"physical": True}, occurred_on=TODAY, narrative="x")),
    "incident_update": Call(_record(Incident, "incident", answers={"physical": True})),
    "consent_give": Call(_case(scope=Consent.Scope.SHARE_HEALTH, given_by=Consent.GivenBy.SURVIVOR,
                               given_on=TODAY)),
    "consent_withdraw": Call(lambda c: {"consent": _police_consent(c)}),
    "risk_assess": Call(_case(answers={"escalating": True})),
    "safety_plan_save": Call(_case(version=None, checklist=[], plan="x")),
    "service_record": Call(_case(kind=SupportService.Kind.COUNSELLING, provided_on=TODAY)),
    "service_update": Call(_record(SupportService, "service")),
    "livelihood_record": Call(_case(support_type="vocational", programme_model="pilot", beneficiary_group="dv",
                                    amount_vnd=0, started_on=TODAY)),
    "livelihood_update": Call(_record(LivelihoodSupport, "support")),
    "note_add": Call(_case(text="x")),
    "access_record": Call(_case(action=CaseAccess.Action.VIEW_CASE)),
    "referral_create": Call(lambda c: {"case": case_a(c), "partner": c.police1, "services": ["police_protection"],
                                       "urgency": "routine", "reason": "", "shared_fields": ["code"]}),
    "referral_send": Call(lambda c: {"referral": draft(c)}),
    "referral_act": Call(lambda c: {"referral": referral_a(c), "action": Action.ACCEPT},
                         outsiders=REFERRAL_OUTSIDERS),
    "referral_note_add": Call(lambda c: {"referral": referral_a(c), "note": "x"}, outsiders=REFERRAL_OUTSIDERS),
    "referral_snapshot_viewed": Call(lambda c: {"referral": referral_a(c)}, outsiders=REFERRAL_OUTSIDERS),
    "referrals_withdraw_for_consent": Call(lambda c: {"consent": _police_consent(c)}),
}


def _public_functions(module: ModuleType) -> dict[str, Callable[..., Any]]:
    return {name: fn for name, fn in inspect.getmembers(module, inspect.isfunction)
            if fn.__module__ == module.__name__ and not name.startswith("_")}


def _written() -> dict[str, int]:
    """Row counts of every table casework and referrals own (history, access log and object
    permissions included)."""
    return {model._meta.label: model._default_manager.count()
            for label in ("casework", "referrals") for model in apps.get_app_config(label).get_models()}


def test_every_public_service_with_an_actor_has_a_row_and_the_others_are_named():
    with_actor, without = set(), set()
    for module in (casework_services, referral_services):
        for name, fn in _public_functions(module).items():
            (with_actor if "by" in inspect.signature(fn).parameters else without).add(name)
    assert with_actor == set(CALLS), "a service that takes an actor needs a row in CALLS"
    assert without == NO_ACTOR, "a service without an actor must be named, with the reason, in NO_ACTOR"


@pytest.mark.parametrize("name", sorted(CALLS))
def test_outsiders_are_refused_by_the_service_and_nothing_is_written(cast, name):
    call = CALLS[name]
    service = getattr(_module_of(name), name)
    kwargs = call.kwargs(cast)
    before = _written()
    for outsider in call.outsiders:
        with pytest.raises(PermissionDenied):
            service(by=getattr(cast, outsider), **kwargs)
        assert _written() == before, f"{name} by {outsider} wrote something"


def _module_of(name: str) -> ModuleType:
    return next(m for m in (casework_services, referral_services) if name in _public_functions(m))


# --- The table decides ---------------------------------------------------------------------------


@pytest.fixture
def without(monkeypatch):  # type: ignore[no-untyped-def]
    """Take permissions away from a role in ROLE_PERMISSIONS for one test."""

    def take(role: str, *perms: Perm) -> None:
        monkeypatch.setitem(ROLE_PERMISSIONS, role, ROLE_PERMISSIONS[role] - set(perms))

    return take


def test_a_volunteer_without_referral_send_cannot_refer_and_is_no_longer_the_sending_side(cast, without):
    case, referral = case_a(cast), referral_a(cast)
    without(Role.VOLUNTEER, Perm.REFERRAL_SEND)
    with pytest.raises(PermissionDenied):
        referral_services.referral_create(case=case, partner=cast.police1, by=cast.volunteer_a,
                                          services=["police_protection"], urgency="routine", reason="",
                                          shared_fields=["code"])
    assert referral.side_of(cast.volunteer_a) is None
    assert referral.side_of(cast.lead_a) == Side.SENDER
    client = signed_in(cast.volunteer_a)
    assert client.get(reverse("referrals:referral-create", args=[case.pk])).status_code == 403
    assert client.get(reverse("referrals:referral-detail", args=[referral.pk])).status_code == 403
    # The partner's news goes to the members who still send referrals: the lead, not the volunteer.
    referral_services.referral_act(referral=referral, action=Action.ACCEPT, by=cast.police_officer)
    told = set(Notification.objects.filter(referral=referral, kind=Notification.Kind.REFERRAL_UPDATED)
               .values_list("recipient", flat=True))
    assert told == {cast.lead_a.user_id}


def test_a_partner_role_without_referral_respond_is_not_the_partner_side(cast, without):
    referral = referral_a(cast)
    without(Role.PARTNER_OFFICER, Perm.REFERRAL_RESPOND)
    assert referral.side_of(cast.police_officer) is None
    with pytest.raises(PermissionDenied):
        referral_services.referral_act(referral=referral, action=Action.ACCEPT, by=cast.police_officer)


def test_who_may_open_and_be_assigned_follows_the_table(cast, without):
    case = case_a(cast)
    assert set(assignable_members(case)) == {cast.volunteer_a, cast.lead_a}
    without(Role.VOLUNTEER, Perm.CASE_ADD, Perm.CASE_CHANGE)
    assert set(assignable_members(case)) == {cast.lead_a}
    with pytest.raises(PermissionDenied):
        open_case(cast.volunteer_a)
    assert open_case(cast.lead_a).trusted_address == cast.address_a
    client = signed_in(cast.volunteer_a)
    assert client.get(reverse("casework:intake-start")).status_code == 403


@pytest.mark.parametrize("taken", [(), (Perm.CASE_CHANGE,), (Perm.REFERRAL_SEND,)])
def test_the_case_panel_offers_to_refer_exactly_when_the_referral_form_opens(cast, without, taken):
    case = case_a(cast)
    without(Role.VOLUNTEER, *taken)
    client = signed_in(cast.volunteer_a)
    page = client.get(reverse("casework:case-detail", args=[case.pk])).content.decode()
    form = client.get(reverse("referrals:referral-create", args=[case.pk]))
    link = reverse("referrals:referral-create", args=[case.pk])
    assert (link in page) is (form.status_code == 200)


def test_the_system_still_expires_referrals_without_an_actor(cast):
    referral = referral_a(cast)
    later = referral.respond_by + dt.timedelta(seconds=1)
    assert referral_services.referrals_expire_overdue(now=later) == 1
    referral.refresh_from_db()
    assert referral.status == Status.EXPIRED


def test_the_members_who_may_do_something_are_those_whose_role_allows_it(cast):
    assert set(members_who_may(Perm.REFERRAL_RESPOND, cast.police1)) == {cast.police_officer}
    assert set(members_who_may(Perm.REFERRAL_SEND, cast.address_a)) == {cast.volunteer_a, cast.lead_a}
    assert not members_who_may(Perm.REFERRAL_SEND, cast.police1).exists()
