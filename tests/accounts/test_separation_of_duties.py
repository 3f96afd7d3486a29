"""Separation of duties (issue 9, item 3): an operator manages memberships but can never give themselves
— or anyone, alone — access to case contents. Through the admin, the services and the confirmer's page."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts import services
from accounts.models import AccountEvent, Membership, Role
from casework.models import Case
from tests import factories as f
from tests.accounts.builders import address_without_lead, pending
from tests.casework.builders import CANARY_NAME, case_a
from tests.conftest import signed_in

ADD_MEMBERSHIP = "/operator/accounts/membership/add/"
GRANTS = "/accounts/grants/"
State = Membership.State


def _confirm(client, grant, code):  # type: ignore[no-untyped-def]
    return client.post(reverse("accounts:grant-confirm", args=[grant.pk]), {"code": code})


# --- (a) Nobody creates, activates or widens a membership for their own account -----------------


def test_operator_adding_a_volunteer_role_at_address_a_for_themselves_is_refused_in_the_admin(cast):
    operator = signed_in(cast.sysadmin)
    before = Membership.objects.count()

    response = operator.post(ADD_MEMBERSHIP, {
        "user": cast.sysadmin.user_id, "organisation": cast.address_a.pk, "role": Role.VOLUNTEER, "_save": "1",
    })

    assert response.status_code == 200  # the form again, with the reason
    assert "Không ai được tự thay đổi vai trò của chính mình" in response.content.decode()
    assert Membership.objects.count() == before
    case_a(cast)
    assert operator.get("/cases/").status_code == 403
    assert operator.get(reverse("casework:case-detail", args=[case_a(cast).pk])).status_code == 403


def test_operator_adding_a_role_for_themselves_is_refused_by_the_service_too(cast):
    with pytest.raises(ValidationError, match="vai trò của chính mình"):
        services.membership_request(user=cast.sysadmin.user, organisation=cast.address_a, role=Role.VOLUNTEER,
                                    by=cast.sysadmin)
    assert not Membership.objects.filter(user=cast.sysadmin.user, organisation=cast.address_a).exists()


def test_only_an_operator_asks_for_roles(cast):
    with pytest.raises(PermissionDenied):
        services.membership_request(user=f.UserFactory(), organisation=cast.address_a, role=Role.VOLUNTEER,
                                    by=cast.lead_a)


def test_an_existing_membership_cannot_be_edited_in_the_admin(cast):
    operator = signed_in(cast.sysadmin)
    url = reverse("admin:accounts_membership_change", args=[cast.volunteer_a.pk])

    page = operator.get(url).content.decode()
    assert 'name="role"' not in page and 'name="organisation"' not in page and 'name="user"' not in page

    operator.post(url, {"user": cast.sysadmin.user_id, "organisation": cast.address_a.pk, "role": Role.LEAD})
    cast.volunteer_a.refresh_from_db()
    assert (cast.volunteer_a.user_id, cast.volunteer_a.role) == (cast.volunteer_a.user.pk, Role.VOLUNTEER)


def test_an_ended_membership_cannot_be_brought_back_through_the_admin_history(cast):
    services.membership_revoke(membership=cast.volunteer_a, by=cast.sysadmin)
    active_version = Membership.history.filter(id=cast.volunteer_a.pk, state=State.ACTIVE).latest()
    url = reverse("admin:accounts_membership_simple_history", args=[cast.volunteer_a.pk, active_version.history_id])
    operator = signed_in(cast.sysadmin)

    assert operator.get(url).status_code == 200  # past versions are for reading
    response = operator.post(url, {"user": cast.volunteer_a.user_id, "organisation": cast.address_a.pk,
                                   "role": Role.VOLUNTEER, "state": State.ACTIVE})

    assert response.status_code == 403
    cast.volunteer_a.refresh_from_db()
    assert cast.volunteer_a.state == State.REVOKED


def test_the_admin_action_ends_roles_but_not_the_operators_own(cast):
    operator = signed_in(cast.sysadmin)
    changelist = reverse("admin:accounts_membership_changelist")

    response = operator.post(changelist, {"action": "revoke_selected", "_selected_action": [
        cast.volunteer_a.pk, cast.sysadmin.pk]}, follow=True)

    cast.volunteer_a.refresh_from_db()
    cast.sysadmin.refresh_from_db()
    assert cast.volunteer_a.state == State.REVOKED
    assert cast.volunteer_a.decided_by == cast.sysadmin.user
    assert cast.sysadmin.state == State.ACTIVE
    assert "Không ai được tự thay đổi vai trò của chính mình" in response.content.decode()
    assert AccountEvent.objects.filter(user=cast.volunteer_a.user, kind=AccountEvent.Kind.MEMBERSHIP_REVOKED,
                                       by=cast.sysadmin.user).exists()


# --- (b) A role that reads cases is in force only once the lead confirms it -----------------------


def test_an_operator_created_volunteer_role_waits_until_lan_confirms_it_with_the_members_code(cast):
    case = case_a(cast)
    operator = signed_in(cast.sysadmin)
    hoa = f.UserFactory(username="hoa")

    response = operator.post(ADD_MEMBERSHIP, {"user": hoa.pk, "organisation": cast.address_a.pk,
                                              "role": Role.VOLUNTEER, "_save": "1"})
    assert response.status_code == 302
    grant = Membership.objects.get(user=hoa, organisation=cast.address_a)
    assert (grant.state, grant.requested_by) == (State.REQUESTED, cast.sysadmin.user)

    # Hoa signs in: no case, only the code to show her lead.
    hoa_client = signed_in(grant)
    assert hoa_client.get("/cases/").status_code == 403
    assert hoa_client.get(reverse("casework:case-detail", args=[case.pk])).status_code == 403
    home = hoa_client.get("/").content.decode()
    code = grant.confirmation_code()
    assert code in home
    assert CANARY_NAME not in home

    # Lan sees the grant; a wrong code confirms nothing and says why, in Vietnamese.
    lan = signed_in(cast.lead_a)
    assert "hoa" in lan.get(GRANTS).content.decode()
    wrong = _confirm(lan, grant, "123456" if code != "123456" else "654321")
    assert wrong.status_code == 200
    assert "Đó không phải mã hiện trên điện thoại" in wrong.content.decode()
    grant.refresh_from_db()
    assert grant.state == State.REQUESTED

    confirmed = _confirm(lan, grant, code)
    assert confirmed.status_code == 302
    grant.refresh_from_db()
    assert (grant.state, grant.decided_by) == (State.ACTIVE, cast.lead_a.user)
    assert grant.decided_at is not None
    assert hoa_client.get(reverse("casework:case-detail", args=[case.pk])).status_code == 200
    kinds = list(AccountEvent.objects.filter(membership=grant).order_by("at", "pk").values_list("kind", "by"))
    assert kinds == [(AccountEvent.Kind.MEMBERSHIP_REQUESTED, cast.sysadmin.user_id),
                     (AccountEvent.Kind.MEMBERSHIP_CONFIRMED, cast.lead_a.user_id)]


def test_confirm_is_a_post(cast):
    grant = pending(cast, cast.address_a)
    response = signed_in(cast.lead_a).get(reverse("accounts:grant-confirm", args=[grant.pk]))
    assert response.status_code == 405


def test_the_one_who_asked_cannot_confirm_even_as_the_addresss_lead(cast):
    operator_as_lead = f.member(Role.LEAD, cast.address_a, user=cast.sysadmin.user)
    grant = pending(cast, cast.address_a, by=cast.sysadmin)

    response = _confirm(signed_in(operator_as_lead), grant, grant.confirmation_code())

    assert response.status_code == 403
    with pytest.raises(ValidationError, match="không được tự xác nhận"):
        services.membership_confirm(membership=grant, by=operator_as_lead, code=grant.confirmation_code())
    grant.refresh_from_db()
    assert grant.state == State.REQUESTED


def test_binh_lead_of_b_cannot_see_or_confirm_or_decline_a_grant_at_a(cast):
    grant = pending(cast, cast.address_a)
    binh = signed_in(cast.lead_b)

    assert _confirm(binh, grant, grant.confirmation_code()).status_code == 404
    assert binh.post(reverse("accounts:grant-decline", args=[grant.pk])).status_code == 404
    assert grant.user.username not in binh.get(GRANTS).content.decode()
    grant.refresh_from_db()
    assert grant.state == State.REQUESTED


def test_volunteers_analysts_and_operators_have_no_confirmation_page(cast):
    for membership in (cast.volunteer_a, cast.analyst, cast.sysadmin):
        assert signed_in(membership).get(GRANTS).status_code == 403


def test_the_supervisor_confirms_for_an_address_without_a_lead_and_not_for_one_with_a_lead(cast):
    lead_for_c = pending(cast, address_without_lead(cast), Role.LEAD)
    at_a = pending(cast, cast.address_a)
    supervisor = signed_in(cast.supervisor)

    page = supervisor.get(GRANTS).content.decode()
    assert lead_for_c.user.username in page and at_a.user.username not in page
    assert _confirm(supervisor, at_a, at_a.confirmation_code()).status_code == 404

    assert _confirm(supervisor, lead_for_c, lead_for_c.confirmation_code()).status_code == 302
    lead_for_c.refresh_from_db()
    assert (lead_for_c.state, lead_for_c.decided_by) == (State.ACTIVE, cast.supervisor.user)
    # Now that C has its lead, the supervisor's list shows it among the decided, and nothing pending.
    assert lead_for_c.user.username in supervisor.get(GRANTS).content.decode()


def test_a_supervisor_sees_but_may_not_decide_her_own_grant(cast):
    own = services.membership_request(user=cast.supervisor.user, organisation=address_without_lead(cast),
                                      role=Role.VOLUNTEER, by=cast.sysadmin)

    response = _confirm(signed_in(cast.supervisor), own, own.confirmation_code())

    assert response.status_code == 403
    own.refresh_from_db()
    assert own.state == State.REQUESTED


def test_a_partner_officer_confirms_a_new_colleague(cast):
    grant = pending(cast, cast.police1, Role.PARTNER_OFFICER)
    assert _confirm(signed_in(cast.health_officer), grant, grant.confirmation_code()).status_code == 404
    assert _confirm(signed_in(cast.police_officer), grant, grant.confirmation_code()).status_code == 302
    grant.refresh_from_db()
    assert grant.state == State.ACTIVE


def test_declining_is_recorded_and_the_user_never_gets_the_role(cast):
    grant = pending(cast, cast.address_a)
    lan = signed_in(cast.lead_a)

    response = lan.post(reverse("accounts:grant-decline", args=[grant.pk]), follow=True)

    assert "Đã từ chối" in response.content.decode()
    grant.refresh_from_db()
    assert (grant.state, grant.decided_by) == (State.DECLINED, cast.lead_a.user)
    assert AccountEvent.objects.filter(membership=grant, kind=AccountEvent.Kind.MEMBERSHIP_DECLINED).exists()
    # A decided grant cannot be confirmed afterwards: a clear message, not a 500.
    again = _confirm(lan, grant, grant.confirmation_code())
    assert again.status_code == 302
    grant.refresh_from_db()
    assert grant.state == State.DECLINED


def test_the_lead_sees_pending_and_recent_grants_and_their_history_from_the_home_page(cast):
    waiting = pending(cast, cast.address_a, username="cho_xac_nhan")
    declined = pending(cast, cast.address_a, username="da_tu_choi")
    services.membership_decline(membership=declined, by=cast.lead_a)
    lan = signed_in(cast.lead_a)

    assert GRANTS in lan.get("/").content.decode()
    page = lan.get(GRANTS).content.decode()
    assert "cho_xac_nhan" in page and "da_tu_choi" in page
    assert '<span class="badge">Đã từ chối</span>' in page  # the decided one, with its state
    assert "Đã yêu cầu vai trò, đang chờ xác nhận" in page  # the history
    assert waiting.get_role_display() in page


def test_a_wrong_state_or_unknown_grant_never_gives_a_500(cast):
    lan = signed_in(cast.lead_a)
    assert lan.post(reverse("accounts:grant-confirm", args=[999_999]), {"code": "000000"}).status_code == 404
    assert lan.post(reverse("accounts:grant-confirm", args=[cast.volunteer_a.pk]),
                    {"code": "12"}).status_code == 200  # malformed code: the form's message


# --- Deactivating an account ----------------------------------------------------------------------


def test_deactivating_a_user_ends_every_role_and_reactivating_restores_none(cast):
    operator = signed_in(cast.sysadmin)
    url = reverse("admin:accounts_user_change", args=[cast.volunteer_a.user_id])
    alice = cast.volunteer_a.user
    form = {"username": alice.username, "first_name": "", "last_name": "", "email": "", "_save": "1"}

    assert operator.post(url, {**form}).status_code == 302  # is_active unticked
    cast.volunteer_a.refresh_from_db()
    alice.refresh_from_db()
    assert (alice.is_active, cast.volunteer_a.state) == (False, State.REVOKED)

    assert operator.post(url, {**form, "is_active": "on"}).status_code == 302
    alice.refresh_from_db()
    assert alice.is_active
    assert not Membership.objects.active().filter(user=alice).exists()
    kinds = set(AccountEvent.objects.filter(user=alice).values_list("kind", flat=True))
    assert {AccountEvent.Kind.ACCOUNT_DEACTIVATED, AccountEvent.Kind.ACCOUNT_REACTIVATED} <= kinds
    assert signed_in(cast.volunteer_a).get(reverse("casework:case-detail", args=[case_a_pk(cast)])).status_code == 403


def case_a_pk(cast):  # type: ignore[no-untyped-def]
    return Case.objects.get(pk=case_a(cast).pk).pk


def test_the_operator_cannot_deactivate_their_own_account(cast):
    with pytest.raises(ValidationError):
        services.user_deactivate(user=cast.sysadmin.user, by=cast.sysadmin)
    page = signed_in(cast.sysadmin).get(reverse("admin:accounts_user_change", args=[cast.sysadmin.user_id]))
    assert 'name="is_active"' not in page.content.decode()
