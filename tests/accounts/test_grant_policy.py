"""Who confirms whom (accounts.access): the predicate, the SQL scope and the list of in-app confirmers
give the same answer for every member of the standing cast and every kind of pending grant."""

from __future__ import annotations

import pytest

from accounts import access, services
from accounts.access import CASE_READING_ROLES, CONFIRMED_ROLES, GRANT_CONFIRMER_ROLES, ROLE_PERMISSIONS, Perm
from accounts.models import Membership, Organisation, Role
from tests import factories as f
from tests.accounts.builders import address_without_lead, pending


def test_every_role_that_reads_cases_needs_confirmation_and_only_those_the_table_lets_read_them():
    assert {role for role, perms in ROLE_PERMISSIONS.items() if Perm.CASE_VIEW in perms} == CASE_READING_ROLES
    assert {Role.VOLUNTEER, Role.LEAD} == CASE_READING_ROLES
    assert CASE_READING_ROLES <= CONFIRMED_ROLES
    # Partner officers read what a survivor agreed to share; supervisors confirm others.
    assert {Role.VOLUNTEER, Role.LEAD, Role.PARTNER_OFFICER, Role.UNION_SUPERVISOR} == CONFIRMED_ROLES
    # The operator is never a confirmer, and never reads cases.
    assert Role.SYSTEM_ADMINISTRATOR not in GRANT_CONFIRMER_ROLES | CASE_READING_ROLES


@pytest.fixture
def grants(cast):
    """One pending grant of every kind the cast's organisations can hold."""
    c = address_without_lead(cast)
    union_commune = f.organisation(Organisation.Kind.WOMENS_UNION_COMMUNE, cast.commune1, "Hội LHPN xã Một")
    return {
        "volunteer at A": pending(cast, cast.address_a),
        "lead at A": pending(cast, cast.address_a, Role.LEAD),
        "volunteer at B": pending(cast, cast.address_b),
        "volunteer at C (no lead)": pending(cast, c),
        "lead at C (no lead)": pending(cast, c, Role.LEAD),
        "officer at police": pending(cast, cast.police1, Role.PARTNER_OFFICER),
        "officer at health 2": pending(cast, cast.health2, Role.PARTNER_OFFICER),
        "supervisor at the district": pending(cast, cast.union_district, Role.UNION_SUPERVISOR),
        "supervisor at a commune office": pending(cast, union_commune, Role.UNION_SUPERVISOR),
    }


# Who may confirm which grant, in words: the expected table.
EXPECTED = {
    "volunteer at A": {"lan"},
    "lead at A": {"lan"},
    "volunteer at B": {"binh"},
    "volunteer at C (no lead)": {"supervisor"},
    "lead at C (no lead)": {"supervisor"},
    "officer at police": {"police"},
    "officer at health 2": {"nurse"},
    "supervisor at the district": {"supervisor"},
    "supervisor at a commune office": {"supervisor"},  # no supervisor there: the district's
}


def test_the_predicate_the_scope_and_the_confirmer_list_agree_with_the_table(cast, grants):
    members = [cast.volunteer_a, cast.lead_a, cast.volunteer_b, cast.lead_b, cast.police_officer,
               cast.health_officer, cast.supervisor, cast.analyst, cast.sysadmin]
    for name, grant in grants.items():
        own = access.own_confirmer_exists(grant)
        by_predicate = {m.user.username for m in members
                        if access.may_confirm_grant(m, grant, own_confirmer_exists=own)}
        by_scope = {m.user.username for m in members if access.grants_in_scope(m).filter(pk=grant.pk).exists()}
        by_list = set(access.in_app_confirmers(grant).values_list("user__username", flat=True))
        assert by_predicate == by_scope == by_list == EXPECTED[name], name


def test_a_supervisor_stops_confirming_for_an_address_once_it_has_a_lead(cast):
    c = address_without_lead(cast)
    volunteer = pending(cast, c)
    assert access.grants_in_scope(cast.supervisor).filter(pk=volunteer.pk).exists()

    f.member(Role.LEAD, c, "lead_c")

    assert not access.grants_in_scope(cast.supervisor).filter(pk=volunteer.pk).exists()
    assert set(access.in_app_confirmers(volunteer).values_list("user__username", flat=True)) == {"lead_c"}


def test_a_supervisor_outside_the_area_confirms_nothing_there(cast):
    other_district = f.unit("district", "Huyện Khác", cast.province)
    other_commune = f.unit("commune", "Xã Khác", other_district)
    far = f.organisation(Organisation.Kind.TRUSTED_ADDRESS, other_commune, "Địa chỉ tin cậy xa")
    grant = pending(cast, far)

    assert not access.may_confirm_grant(cast.supervisor, grant, own_confirmer_exists=False)
    assert not access.in_app_confirmers(grant).exists()


def test_the_one_who_asked_is_never_a_confirmer_even_when_they_hold_the_confirming_role(cast):
    # The operator is also lead of address A (two memberships, two hats).
    operator_as_lead = f.member(Role.LEAD, cast.address_a, user=cast.sysadmin.user)
    grant = pending(cast, cast.address_a, by=cast.sysadmin)

    assert not access.may_confirm_grant(operator_as_lead, grant, own_confirmer_exists=True)
    assert set(access.in_app_confirmers(grant).values_list("user__username", flat=True)) == {"lan"}


def test_roles_that_need_no_confirmation_are_in_force_at_once_when_an_operator_grants_them(cast):
    user = f.UserFactory()
    analyst = services.membership_request(user=user, organisation=cast.union_province,
                                          role=Role.PROVINCIAL_ANALYST, by=cast.sysadmin)
    assert analyst.state == Membership.State.ACTIVE
    assert (analyst.requested_by, analyst.decided_by) == (cast.sysadmin.user, cast.sysadmin.user)
    assert not access.in_app_confirmers(analyst).exists()
