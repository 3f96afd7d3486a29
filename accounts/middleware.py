from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import resolve
from django.urls.exceptions import Resolver404

from accounts.models import Membership

SESSION_MEMBERSHIP_KEY = "acting_membership_id"

# Pages a user who still owes a second factor may open.
TWO_FACTOR_EXEMPT = {
    "accounts:login", "accounts:logout", "accounts:otp-verify", "accounts:otp-setup", "set_language",
}


def _acting_membership(request: HttpRequest) -> Membership | None:
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.active().filter(user=user).select_related(
        "organisation", "organisation__area", "organisation__group"
    )
    chosen = request.session.get(SESSION_MEMBERSHIP_KEY)
    if chosen is not None:
        found = next((m for m in memberships if m.pk == chosen), None)
        if found is not None:
            return found
    only = list(memberships[:2])
    return only[0] if len(only) == 1 else None


class ActiveMembershipMiddleware:
    """Sets ``request.membership``: the membership the user acts as for this request (or None).

    A user with one active membership acts as it; a user with several chooses one (stored in the
    session, re-checked on every request so a revoked membership stops working at once).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Eager (one indexed query) rather than lazy: a lazy proxy of None is not ``None``.
        request.membership = _acting_membership(request)  # type: ignore[attr-defined]
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """Users holding a role that needs two-factor sign-in reach nothing until they have verified."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not user.is_verified() and user.requires_two_factor:
            try:
                name = resolve(request.path_info).view_name
            except Resolver404:
                name = None
            if name not in TWO_FACTOR_EXEMPT:
                from django_otp import devices_for_user

                has_device = any(True for _ in devices_for_user(user, confirmed=True))
                return redirect("accounts:otp-verify" if has_device else "accounts:otp-setup")
        return self.get_response(request)
