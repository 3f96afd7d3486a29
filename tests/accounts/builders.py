"""Grants awaiting confirmation, built through the services, for the separation-of-duties tests."""

from __future__ import annotations

import itertools

from accounts import services
from accounts.models import Membership, Organisation, Role
from tests import factories as f
from tests.conftest import Cast

# Vietnamese-looking usernames: the pages showing them are checked for English words.
_newcomers = itertools.count(1)


def pending(cast: Cast, organisation: Organisation, role: str = Role.VOLUNTEER, *, username: str | None = None,
            by: Membership | None = None) -> Membership:
    """A new user's grant at ``organisation``, asked for by the operator, awaiting confirmation."""
    user = f.UserFactory(username=username or f"thanhvienmoi{next(_newcomers)}")
    return services.membership_request(user=user, organisation=organisation, role=role, by=by or cast.sysadmin)


def address_without_lead(cast: Cast) -> Organisation:
    """A trusted address in commune 1 (the supervisor's district) with no lead."""
    return f.organisation(Organisation.Kind.TRUSTED_ADDRESS, cast.commune1, "Địa chỉ tin cậy C")


def grant_for_confirmer(cast: Cast, membership: Membership | None) -> Membership:
    """A pending grant that ``membership`` confirms when its role confirms grants (one at address A
    otherwise): a volunteer at A for A's lead, an officer at the police for its officer, a volunteer at
    an address without a lead for the supervisor."""
    role = membership.role if membership else None
    if role == Role.PARTNER_OFFICER:
        return pending(cast, cast.police1, Role.PARTNER_OFFICER)
    if role == Role.UNION_SUPERVISOR:
        return pending(cast, address_without_lead(cast))
    return pending(cast, cast.address_a)


def grant_at_b(cast: Cast, membership: Membership | None = None) -> Membership:
    """A pending grant at address B, which has its lead: nobody on A's side may see it."""
    return pending(cast, cast.address_b)
