from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import translation
from django.utils.cache import patch_vary_headers
from guardian.core import ObjectPermissionChecker

from accounts import unsaved
from accounts.access import TWO_FACTOR_ROLES
from accounts.models import Membership
from accounts.requests import AppRequest

SESSION_MEMBERSHIP_KEY = "acting_membership_id"

# Pages a user who still owes a second factor may open.
TWO_FACTOR_EXEMPT = {
    "accounts:login", "accounts:logout", "accounts:otp-verify", "accounts:otp-setup", "set_language",
}


def _acting_membership(request: HttpRequest, memberships: list[Membership]) -> Membership | None:
    chosen = request.session.get(SESSION_MEMBERSHIP_KEY)
    if chosen is not None:
        found = next((m for m in memberships if m.pk == chosen), None)
        if found is not None:
            return found
    return memberships[0] if len(memberships) == 1 else None


class ActiveMembershipMiddleware:
    """Sets ``request.membership``: the membership the user acts as for this request (or None).

    A user with one active membership acts as it; a user with several chooses one (stored in the
    session, re-checked on every request so a revoked membership stops working at once).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: AppRequest) -> HttpResponse:
        # Eager (one indexed query, shared with the two-factor check) rather than lazy: a lazy proxy
        # of None is not ``None``.
        memberships: list[Membership] = []
        if request.user.is_authenticated:
            memberships = list(Membership.objects.active().filter(user=request.user).select_related(
                "user", "organisation", "organisation__area", "organisation__group"))
        request.memberships = memberships
        request.membership = membership = _acting_membership(request, memberships)
        if membership is not None:
            # Request-scoped cache of object permissions (see accounts.access.can).
            membership.permission_checker = ObjectPermissionChecker(membership.organisation.group)
        return self.get_response(request)


class VietnameseFirstLocaleMiddleware:
    """Vietnamese unless the user chose English with the language switch (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a volunteer whose
    phone is set to English would meet an English system first; the programme works in Vietnamese.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class TwoFactorRequiredMiddleware:
    """Users holding a role that needs two-factor sign-in reach nothing until they have verified.

    Runs after ActiveMembershipMiddleware and reads the memberships it loaded.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        loaded = getattr(request, "memberships", None)
        # Fail closed: if the memberships were not loaded (middleware misordered), ask the database.
        needs_second_factor = (
            any(m.role in TWO_FACTOR_ROLES for m in loaded) if loaded is not None else user.requires_two_factor
        )
        if needs_second_factor and not user.is_verified():
            try:
                name = resolve(request.path_info).view_name
            except Resolver404:
                name = None
            if name not in TWO_FACTOR_EXEMPT:
                from django_otp import devices_for_user

                has_device = any(True for _ in devices_for_user(user, confirmed=True))
                step = reverse("accounts:otp-verify" if has_device else "accounts:otp-setup")
                # Back to the page asked for once verified (the two-step views vet ``next``).
                return HttpResponseRedirect(f"{step}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


# What every response of the application says about caching. ``no-store`` alone is enough for a
# browser that follows RFC 9111; the others close the gaps of older caches and of browsers that keep a
# page for the back button.
NO_STORE_DIRECTIVES = ("no-store", "no-cache", "must-revalidate", "private", "max-age=0")
# Directives a view may have set that would let a copy be kept: they go, so that no cache meets a header
# that contradicts itself and picks the weaker half. Anything else a view set (``no-transform``) stays.
_STORING_DIRECTIVES = {
    "no-store", "no-cache", "must-revalidate", "private", "public", "max-age", "s-maxage", "immutable",
    "stale-while-revalidate", "stale-if-error",
}


def forbid_storing(response: HttpResponseBase) -> None:
    """Ask every cache on the way, the phone's browser cache above all, to keep no copy of ``response``."""
    set_by_view = (part.strip() for part in response.get("Cache-Control", "").split(","))
    kept = [d for d in set_by_view if d and d.split("=", 1)[0].strip().lower() not in _STORING_DIRECTIVES]
    response["Cache-Control"] = ", ".join((*NO_STORE_DIRECTIVES, *kept))
    # HTTP/1.0 caches know neither no-store nor max-age; "0" is an already-past date (RFC 9111, 5.3).
    response["Pragma"] = "no-cache"
    response["Expires"] = "0"


class NoStoreMiddleware:
    """Nothing the application answers is kept in a browser's cache.

    A phone's cache outlives the session: a survivor's name, address and phone number stayed on disk
    after signing out (issue 9). So every response passing here is ``no-store`` — signed in or not,
    whatever its status (a 403 or a 500 page as much as a case page), whatever the view set.

    Anonymous pages too, on purpose: the sign-in page carries a CSRF token and, after a failed attempt,
    the username typed; the other anonymous answers are redirects to it. A rule that does not ask who is
    signed in also holds for the answers made while a session ends (the sign-out itself, the redirect
    after the idle time-out), and it excludes every page from the back/forward cache, so Back after
    signing out shows no case. This is what protects a phone whose session timed out: no sign-out was
    asked for, so no Clear-Site-Data was sent (see accounts.views.LogoutView), but nothing was stored.

    It sits right after WhiteNoise, which answers static files (the stylesheets) before this runs: they
    hold nothing personal and stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        forbid_storing(response)
        return response


class IdleTimeoutMiddleware:
    """The idle time-out, explicit: a request after ``SESSION_IDLE_SECONDS`` without activity signs the
    user out before anything else runs, and what it posts is kept (see accounts/unsaved.py).

    Sits after AuthenticationMiddleware (it reads the user) and before LoginRequiredMiddleware (which
    then sends the signed-out user to sign in); its ``process_view`` runs after CsrfViewMiddleware's, so
    only a post with a valid CSRF token is ever kept. Django's own session expiry is the backstop.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            if unsaved.is_idle(request):
                user_id, membership_id = request.user.pk, request.session.get(SESSION_MEMBERSHIP_KEY)
                logout(request)
                # Who timed out, in the new anonymous session: a form posted next still knows its author.
                unsaved.record_time_out(request, user_id=user_id, membership_id=membership_id)
            elif unsaved.LAST_ACTIVITY not in request.session:
                # Signed in without passing through a view (a session from before this middleware).
                request.session[unsaved.LAST_ACTIVITY] = unsaved.now_timestamp()
        response = self.get_response(request)
        unsaved.set_cookie(request, response)
        return response

    def process_view(
        self, request: AppRequest, view: Callable[..., HttpResponse], args: tuple[object, ...],
        kwargs: dict[str, object],
    ) -> None:
        if request.user.is_authenticated:
            unsaved.follow_restored(request, view)
            if unsaved.counts_as_activity(view):
                request.session[unsaved.LAST_ACTIVITY] = unsaved.now_timestamp()
        else:
            unsaved.keep_post(request, view, kwargs)
