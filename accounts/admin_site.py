from __future__ import annotations

from functools import update_wrapper
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import Perm, role_allows


class OperatorAdminSite(admin.AdminSite):
    """Administration of users, organisations and reference data, for system administrators only.

    Access comes from the acting membership's role, never from ``is_staff``/``is_superuser``, and no
    case data model is ever registered here.
    """

    site_header = _("Trusted addresses — administration")
    site_title = _("Administration")
    index_title = _("Users, organisations and reference data")

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and role_allows(getattr(request, "membership", None), Perm.ADMINISTER)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def refuse_signed_in_outsiders(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # Django would send a signed-in user without access to the admin's own login form;
            # here they are simply refused.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            response: HttpResponse = inner(request, *args, **kwargs)
            return response

        return update_wrapper(refuse_signed_in_outsiders, inner)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # One sign-in page for the whole site; a signed-in user without the role is refused, not
        # shown a second login form, and an operator is sent on to the administration.
        if request.user.is_authenticated:
            if self.has_permission(request):
                return redirect("admin:index")
            raise PermissionDenied
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")

    # django-stubs says TemplateResponse; Django accepts any response, and this one redirects.
    def logout(  # type: ignore[override]
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return redirect("accounts:logout")

    # django-stubs says TemplateResponse; Django accepts any response, and this one redirects.
    def password_change(  # type: ignore[override]
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # One place to change one's own password, which records it in the account history.
        return redirect("accounts:password-change")

    # django-stubs says TemplateResponse; Django accepts any response, and this one redirects.
    def password_change_done(  # type: ignore[override]
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return redirect("accounts:profile")


admin_site = OperatorAdminSite(name="admin")
