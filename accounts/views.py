from __future__ import annotations

import base64
import ipaddress
from typing import Any

import segno
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import selectors, services, unsaved
from accounts.forms import LoginForm, TokenForm
from accounts.middleware import SESSION_MEMBERSHIP_KEY
from accounts.models import Membership
from accounts.requests import SignedInRequest


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Said after the idle time-out (see accounts/unsaved.py); nothing about whose work was kept.
        context["timed_out"] = unsaved.timed_out(self.request) is not None
        context["work_kept"] = unsaved.work_is_kept(self.request)
        context["idle_minutes"] = max(1, settings.SESSION_IDLE_SECONDS // 60)
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        # Forgive this user's own failures, from any address, and nobody else's. Axes' own reset on
        # success (AXES_RESET_ON_SUCCESS) also wipes every failure recorded from this address, guesses
        # at other usernames included: anyone with one account could then guess a colleague's
        # password forever by signing in to their own account every fourth try.
        axes_reset(username=form.get_user().get_username())
        # Work kept across a time-out goes back to its author (through the second step where the role
        # has one: the two-factor gate stands between this redirect and the page); anyone else's is
        # deleted.
        return unsaved.restore_on_sign_in(self.request, response)


class LogoutView(auth_views.LogoutView):
    """Signing out also wipes what the browser holds for the site: its cache and its storage.

    Pages are never stored in the first place (accounts.middleware.NoStoreMiddleware); this clears
    whatever was stored before that rule, or by another way in (a script's storage). "cookies" is left
    out: the session cookie is already deleted by this answer (the session is flushed), the cookies left
    (CSRF token, language) identify nobody, and browsers clear "cookies" for the whole registrable
    domain, so a site at diachi.<province>.gov.vn would sign its users out of every other site of
    <province>.gov.vn and forget the language they chose here.

    Only an asked-for sign-out can send it: a session that ends by the idle time-out has no answer to
    carry it, and what protects those pages is that they were never stored.
    """

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, for counting failed sign-ins per address (``AXES_CLIENT_IP_CALLABLE``).

    Behind ``PROXY_COUNT`` reverse proxies every request comes from the nearest proxy, so counting
    ``REMOTE_ADDR`` would let five failures lock everybody out. Each trusted proxy appends one entry to
    X-Forwarded-For; the entry ``PROXY_COUNT`` places from the right is the one our outermost proxy saw.
    Anything to its left is whatever the client chose to send, and is ignored.
    """
    peer = request.META.get("REMOTE_ADDR")
    if settings.PROXY_COUNT:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(hops) >= settings.PROXY_COUNT:
            candidate = hops[-settings.PROXY_COUNT]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass  # a misconfigured proxy chain; the peer is at least a real address
    return peer


@login_not_required
def lockout(request: HttpRequest, credentials: object = None, *args: object, **kwargs: object) -> HttpResponse:
    """Shown for a locked username or address alike, so a lockout tells nothing about accounts."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    return render(request, "accounts/lockout.html", {"minutes": minutes}, status=429)


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal (settings.CSRF_FAILURE_VIEW) as a page a volunteer understands: a form
    left open too long, sent from another tab, or sent after the cookies were cleared.

    Nothing of the refused request is shown — not what was typed, not its address, not Django's
    ``reason`` (technical, and in English) — and nothing was saved, which the page says, so that she
    copies what she typed before reloading.
    """
    return render(request, "csrf_failure.html", status=403)


def membership_choose(request: SignedInRequest) -> HttpResponse:
    return render(request, "accounts/membership_choose.html",
                  {"memberships": request.user.active_memberships()})


@require_POST
def membership_switch(request: SignedInRequest, pk: int) -> HttpResponse:
    # Only one's own active memberships can be chosen; anyone else's id is simply not found.
    membership = get_object_or_404(Membership.objects.active(), pk=pk, user=request.user)
    request.session[SESSION_MEMBERSHIP_KEY] = membership.pk
    messages.success(request, _("You are now acting as: %(membership)s") % {"membership": membership})
    return redirect("home")


def profile(request: SignedInRequest) -> HttpResponse:
    has_device = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    role_rows = sorted(
        {(m.get_role_display(), m.organisation.name) for m in request.user.active_memberships()}
    )
    return render(request, "accounts/profile.html", {
        "has_device": has_device, "role_rows": role_rows,
        "awaiting": selectors.own_grants_awaiting(request.user), "events": selectors.own_events(request.user),
    })


class PasswordChangeView(auth_views.PasswordChangeView):
    """Changing the password signs the user out of every other session (Django's session hash),
    and keeps this one."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    request: SignedInRequest

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        services.password_changed_record(user=self.request.user)
        messages.success(self.request, _("Password changed. Every other session has been signed out."))
        return response


def otp_verify(request: SignedInRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("token", _("That code is not valid. Wait for a new code and try again."))
    return render(request, "accounts/otp_verify.html", {"form": form})


def otp_setup(request: SignedInRequest) -> HttpResponse:
    """Enrol an authenticator app: show the secret as a QR code (rendered here, no outside service)."""
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("accounts:otp-verify")
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator"}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("Two-step sign-in is set up."))
            return redirect(_next_url(request))
        form.add_error("token", _("That code is not valid. Check the time on your phone and try again."))
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=4, dark="#111")
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/otp_setup.html", {"form": form, "qr": qr, "secret": secret})


@never_cache
@unsaved.not_activity
@require_GET
def session_status(request: SignedInRequest) -> JsonResponse:
    """How long the session has left, for the page script: asked before the warning is shown, since
    another tab may have been active. Does not count as activity."""
    return JsonResponse({"remaining": unsaved.seconds_left(request)})


@never_cache
@require_POST
def session_extend(request: SignedInRequest) -> JsonResponse:
    """The banner's "continue working" button: the request itself is the activity (the middleware
    stamps it), so all this view does is say how long the session now has."""
    return JsonResponse({"remaining": unsaved.seconds_left(request)})


def _next_url(request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"

