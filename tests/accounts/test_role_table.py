"""The role × permission table, asserted literally: changing who may do what is a visible change here,
in the README and in the code at once."""

from pathlib import Path

from django.utils import translation

from accounts.access import ROLE_PERMISSIONS, TWO_FACTOR_ROLES, Perm, can, role_allows, role_table_markdown
from accounts.models import Role

P = Perm
EXPECTED = {
    Role.VOLUNTEER: {P.CASE_ADD, P.CASE_VIEW, P.CASE_CHANGE, P.REFERRAL_SEND, P.PARTNER_DIRECTORY_VIEW},
    Role.LEAD: {P.CASE_ADD, P.CASE_VIEW, P.CASE_CHANGE, P.CASE_CLOSE, P.CASE_REASSIGN, P.CASE_VIEW_ACCESS_LOG,
                P.REFERRAL_SEND, P.REFERRAL_OVERRIDE_CONSENT, P.PARTNER_DIRECTORY_VIEW},
    Role.PARTNER_OFFICER: {P.REFERRAL_RESPOND, P.PARTNER_DIRECTORY_VIEW},
    Role.UNION_SUPERVISOR: {P.CASE_VIEW_DEIDENTIFIED, P.INDICATORS_VIEW, P.PARTNER_DIRECTORY_VIEW},
    Role.PROVINCIAL_ANALYST: {P.INDICATORS_VIEW},
    Role.SYSTEM_ADMINISTRATOR: {P.ADMINISTER, P.PARTNER_DIRECTORY_VIEW, P.PARTNER_DIRECTORY_CHANGE},
}


def test_role_table_is_exactly_the_published_one():
    assert {role: set(perms) for role, perms in ROLE_PERMISSIONS.items()} == EXPECTED


def test_no_role_outside_casework_sees_case_contents():
    for role in (Role.PARTNER_OFFICER, Role.UNION_SUPERVISOR, Role.PROVINCIAL_ANALYST, Role.SYSTEM_ADMINISTRATOR):
        assert not ROLE_PERMISSIONS[role] & {P.CASE_VIEW, P.CASE_CHANGE, P.CASE_ADD}, role


def test_two_factor_roles_are_those_that_see_across_organisations():
    assert {Role.UNION_SUPERVISOR, Role.PROVINCIAL_ANALYST, Role.SYSTEM_ADMINISTRATOR} == TWO_FACTOR_ROLES


def test_readme_publishes_the_same_table():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    with translation.override("en"):
        assert role_table_markdown() in readme


def test_nobody_without_a_membership_may_do_anything():
    assert not any(role_allows(None, perm) for perm in Perm)


def test_superuser_flag_grants_nothing(cast):
    user = cast.volunteer_b.user
    user.is_superuser = user.is_staff = True
    user.save()
    # The role of the acting membership decides; the flag is ignored.
    assert not role_allows(cast.volunteer_b, P.CASE_CLOSE)
    assert not can(cast.volunteer_b, P.CASE_VIEW, cast.address_a)
