"""The gate for referrals (built on accounts.access), and the decorator that declares a referral
view's permission once."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied

from accounts.access import Perm, get_object_for, role_allows
from accounts.models import Membership
from referrals.models import SIDE_PERM, Referral, ReferralQuerySet, Side

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

ViewFunc = Callable[..., "HttpResponse"]


def visible_referrals(membership: Membership | None) -> ReferralQuerySet:
    """Referrals the membership may open: those of its own cases, and those addressed to its
    organisation that it still holds permission on."""
    return (Referral.objects.sent_by(membership) | Referral.objects.received_by(membership)).distinct()


def get_referral_for(membership: Membership | None, pk: Any, perm: Perm) -> Referral:
    """The referral if visible (else 404) and ``perm`` allowed on it (else 403).

    Both sides hold object permissions through their organisation's group: the sending trusted
    address holds REFERRAL_SEND (granted when the draft is made), the partner holds REFERRAL_RESPOND
    (granted when it is sent, revoked when consent is withdrawn or the referral is withdrawn).
    """
    visible = visible_referrals(membership).select_related("case", "case__survivor", "partner", "from_organisation")
    referral: Referral = get_object_for(membership, perm, visible=visible, pk=pk)
    return referral


# Both sides open a referral, each with its own side's permission (the partner's first).
EITHER_SIDE = (SIDE_PERM[Side.PARTNER], SIDE_PERM[Side.SENDER])


def acting_perm(membership: Membership | None, perms: tuple[Perm, ...]) -> Perm | None:
    """The first of ``perms`` the membership's role allows: the permission it acts on a referral with
    (a partner officer answers, a trusted address sends)."""
    return next((perm for perm in perms if role_allows(membership, perm)), None)


def referral_view(*perms: Perm) -> Callable[[ViewFunc], ViewFunc]:
    """Declare a view on one referral (URL keyword ``pk``): 403 unless the role allows one of
    ``perms``, then the gate with the first of them it allows (404 invisible, 403 forbidden); the view
    receives the referral in place of its id."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = getattr(request, "membership", None)
            perm = acting_perm(membership, perms)
            if perm is None:
                raise PermissionDenied
            return view(request, get_referral_for(membership, kwargs.pop("pk"), perm), *args, **kwargs)

        return wrapper

    return decorator
