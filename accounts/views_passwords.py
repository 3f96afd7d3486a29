"""One-time password links (shown once, used once), "Forgot password?" and the owner's e-mail address.

Operators never see or set a password: the user chooses it through a link that an operator or their
lead hands over (link and QR code, shown once) or that is e-mailed to them.
"""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from accounts import services
from accounts.forms_passwords import EmailChangeForm, PasswordForgotForm
from accounts.models import AccountLink
from accounts.requests import SignedInRequest
from core.crypto import Binding, DecryptionError, decrypt_text, encrypt_text

# Session keys. The token is kept sealed (AES-GCM, bound to its link) and only until it is shown or used.
_SHOW_ONCE = "account_link_to_show"
_IN_USE = "account_link_in_use"


def _binding(link_id: int) -> Binding:
    return Binding(model_label="accounts.accountlink", field_name="token", row_id=str(link_id))


@sensitive_variables("token")
def stash_link_to_show(request: HttpRequest, link: AccountLink, token: str, *, back: str) -> None:
    """Keep a freshly issued link for ``link_show`` to display once. ``back``: where "Done" leads."""
    request.session[_SHOW_ONCE] = {
        "id": link.pk, "sealed": encrypt_text(token, binding=_binding(link.pk)), "back": back,
    }


@never_cache  # Cache-Control: no-store, so neither reloading nor the back button shows it again
def link_show(request: HttpRequest) -> HttpResponse:
    """The link and its QR code, once: reading them removes them from the session, so reloading (or the
    back button: the page is never cached) shows them no more."""
    stashed = request.session.pop(_SHOW_ONCE, None)
    context: dict[str, object] = {}
    if stashed:
        link = AccountLink.objects.select_related("user").filter(pk=stashed["id"]).first()
        try:
            token = decrypt_text(stashed["sealed"], binding=_binding(stashed["id"])) if link else ""
        except DecryptionError:
            token = ""
        if link is not None and token and link.is_usable(timezone.now()):
            url = services.link_url(token)
            context = {
                "link": link, "url": url, "back": stashed.get("back") or reverse("home"),
                "qr": segno.make(url, error="m").svg_data_uri(scale=4, dark="#111"),
            }
    return render(request, "accounts/link_show.html", context)


@login_not_required
@sensitive_post_parameters("username")
@never_cache
def password_forgot(request: HttpRequest) -> HttpResponse:
    """One answer for every username, known or not (see ``services.password_reset_ask``)."""
    form = PasswordForgotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_ask(username=form.cleaned_data["username"])
        return render(request, "accounts/password_forgot.html", {"sent": True})
    return render(request, "accounts/password_forgot.html", {"form": form})


@login_not_required
@never_cache
@sensitive_variables("token")
def link_use(request: HttpRequest, token: str) -> HttpResponse:
    """Open a one-time link. The token leaves the address bar at once (as Django's own reset view does):
    it is kept sealed in this browser's session and the form lives at an address without it."""
    link = services.account_link_find(token=token)
    if link is None:
        return _link_unusable(request)
    request.session[_IN_USE] = {"id": link.pk, "sealed": encrypt_text(token, binding=_binding(link.pk))}
    return redirect("accounts:link-set-password")


def _link_unusable(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/link_set_password.html", {"unusable": services.LINK_UNUSABLE})


@login_not_required
@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@sensitive_variables("token")
def link_set_password(request: HttpRequest) -> HttpResponse:
    held = request.session.get(_IN_USE)
    token = ""
    if held:
        try:
            token = decrypt_text(held["sealed"], binding=_binding(held["id"]))
        except DecryptionError:
            token = ""
    link = services.account_link_find(token=token) if token else None
    if link is None:
        request.session.pop(_IN_USE, None)
        return _link_unusable(request)
    form = SetPasswordForm(link.user, request.POST or None)
    form.fields["new_password1"].widget.attrs["autocomplete"] = "new-password"
    form.fields["new_password2"].widget.attrs["autocomplete"] = "new-password"
    if request.method == "POST" and form.is_valid():
        try:
            user = services.account_link_redeem(token=token, password=form.cleaned_data["new_password1"])
        except ValidationError:
            request.session.pop(_IN_USE, None)
            return _link_unusable(request)
        # Whoever was signed in on this browser is not the person who just chose a password.
        logout(request)
        return render(request, "accounts/link_set_password.html", {
            "done": True, "username": user.get_username(),
            "awaiting": user.memberships.awaiting_confirmation().exists(),
        })
    return render(request, "accounts/link_set_password.html", {"form": form, "link": link})


@sensitive_post_parameters("password")
def email_change(request: SignedInRequest) -> HttpResponse:
    """The owner's own e-mail address: where "Forgot password?" sends the links."""
    form = EmailChangeForm(request.user, request.POST or None, initial={"email": request.user.email})
    if request.method == "POST" and form.is_valid():
        services.email_change_own(user=request.user, email=form.cleaned_data["email"])
        messages.success(request, _("Your e-mail address is saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/email_change.html", {"form": form})
