"""Reads for the separation-of-duties pages: grants to confirm, members of an address, account history.
Filtered in SQL; the policy's questions are ``accounts.access``'s."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts import access
from accounts.models import AccountEvent, Membership, User

Kind = AccountEvent.Kind

# How far back the confirmer's page shows decided grants.
RECENT_GRANTS = dt.timedelta(days=30)
# What answers a "Forgot password?" ask for an account without e-mail: a link, or a password chosen.
_RESET_HANDLED = (Kind.INVITATION_ISSUED, Kind.RESET_LINK_ISSUED, Kind.INVITATION_USED, Kind.RESET_USED,
                  Kind.PASSWORD_CHANGED)


def reset_waiting(user_ref: str = "pk") -> Exists:
    """Whether the user (the outer row's ``user_ref``) asked for a new password without having an
    e-mail address, and have had no link and chosen no password since: someone should hand one over."""
    asked = AccountEvent.objects.filter(
        user=OuterRef(user_ref), kind=Kind.RESET_ASKED, delivery=AccountEvent.Delivery.NO_EMAIL,
    )
    answered_since = AccountEvent.objects.filter(
        user=OuterRef(OuterRef(user_ref)), kind__in=_RESET_HANDLED, at__gte=OuterRef("at"),
    )
    return Exists(asked.filter(~Exists(answered_since)))


def users_with_reset_flag(users: QuerySet[User]) -> QuerySet[User]:
    return users.annotate(reset_waiting=reset_waiting("pk"))


def grants_awaiting(membership: Membership | None) -> QuerySet[Membership]:
    """Grants waiting for this membership's confirmation (its own included: shown, and refused)."""
    return (access.grants_in_scope(membership).awaiting_confirmation()
            .select_related("user", "organisation", "requested_by").order_by("requested_at"))


def grants_recently_decided(membership: Membership | None, *, now: dt.datetime | None = None) -> QuerySet[Membership]:
    """Grants in this membership's scope decided lately, and those it decided itself (a supervisor's
    scope shrinks once the address she confirmed a lead for has one)."""
    if not access.confirms_grants(membership):
        return Membership.objects.none()
    assert membership is not None
    since = (now or timezone.now()) - RECENT_GRANTS
    in_scope = access.grants_in_scope(membership).values("pk")
    return (Membership.objects.filter(Q(pk__in=in_scope) | Q(decided_by=membership.user_id))
            .exclude(state=Membership.State.REQUESTED).filter(decided_at__gte=since)
            .select_related("user", "organisation", "requested_by", "decided_by").order_by("-decided_at"))


def members_for_links(membership: Membership | None) -> QuerySet[Membership]:
    """The members of the acting lead's address she may hand a password link to (not herself), each
    flagged when they asked for a new password and are waiting for one."""
    if not access.issues_member_links(membership):
        return Membership.objects.none()
    assert membership is not None
    return (Membership.objects.live().filter(organisation_id=membership.organisation_id)
            .exclude(user_id=membership.user_id).filter(user__is_active=True)
            .annotate(reset_waiting=reset_waiting("user"))
            .select_related("user").order_by("user__last_name", "user__first_name", "user__username"))


def grant_events(membership: Membership | None, *, limit: int = 50) -> list[AccountEvent]:
    """The history of the grants in this membership's scope (for a lead: her address's)."""
    if not access.confirms_grants(membership):
        return []
    assert membership is not None
    in_scope = access.grants_in_scope(membership).values("pk")
    return list(AccountEvent.objects.filter(membership__in=in_scope)
                .select_related("user", "by", "membership__organisation")[:limit])


def own_events(user: User, *, limit: int = 50) -> list[AccountEvent]:
    return list(AccountEvent.objects.filter(user=user).select_related("by", "membership__organisation")[:limit])


def own_grants_awaiting(user: User) -> list[Membership]:
    """The user's own grants awaiting confirmation, with the code to show their confirmer."""
    return list(Membership.objects.filter(user=user, user__is_active=True).awaiting_confirmation()
                .select_related("user", "organisation").order_by("requested_at"))
