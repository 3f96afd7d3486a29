from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts import services
from accounts.access import Perm, role_allows
from accounts.admin_site import admin_site
from accounts.models import AdminUnit, Membership, Organisation, User


class OperatorOnly:
    """Model permissions come from the acting role, not from Django's global permission tables."""

    def _allowed(self, request: HttpRequest) -> bool:
        return role_allows(getattr(request, "membership", None), Perm.ADMINISTER)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deactivate instead: records and history point at users and organisations.
        return False


@admin.register(User, site=admin_site)
class OperatorUserAdmin(OperatorOnly, UserAdmin):
    list_display = ("username", "first_name", "last_name", "is_active", "last_login")
    list_filter = ("is_active",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "email")}),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")


@admin.register(AdminUnit, site=admin_site)
class AdminUnitAdmin(OperatorOnly, admin.ModelAdmin):
    list_display = ("name", "level", "code", "parent", "valid_from", "valid_until")
    list_filter = ("level",)
    search_fields = ("name", "code")
    autocomplete_fields = ("parent",)

    def save_model(self, request: HttpRequest, obj: AdminUnit, form: Any, change: bool) -> None:
        obj.path = AdminUnit.path_for(level=obj.level, code=obj.code, parent=obj.parent)
        obj.save()


@admin.register(Organisation, site=admin_site)
class OrganisationAdmin(OperatorOnly, SimpleHistoryAdmin):
    list_display = ("name", "kind", "area", "programme_status", "is_active")
    list_filter = ("kind", "programme_status", "is_active")
    search_fields = ("name",)
    autocomplete_fields = ("area",)

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        fields = {f: form.cleaned_data[f] for f in form.cleaned_data}
        if change:
            services.organisation_update(organisation=obj, by=request.user, **fields)
        else:
            created = services.organisation_create(by=request.user, **fields)
            obj.pk, obj.group_id = created.pk, created.group_id


@admin.register(Membership, site=admin_site)
class MembershipAdmin(OperatorOnly, SimpleHistoryAdmin):
    list_display = ("user", "organisation", "role", "state", "created_at")
    list_filter = ("role", "state")
    search_fields = ("user__username", "organisation__name")
    autocomplete_fields = ("user", "organisation")
