from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.db import models
from django.http import HttpRequest
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper

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


def yes_no_column(model: type[models.Model], field: str) -> Callable[[Any], str]:
    """A yes/no column whose icon is labelled in the reader's language: Django's own boolean column
    labels its icon "True" or "False", in English, whatever the language."""
    value_of = model._meta.get_field(field).value_from_object

    @admin.display(description=model._meta.get_field(field).verbose_name, ordering=field)
    def column(obj: models.Model) -> str:
        value = bool(value_of(obj))
        icon = static(f"admin/img/icon-{'yes' if value else 'no'}.svg")
        return format_html('<img src="{}" alt="{}">', icon, _("Yes") if value else _("No"))

    return column


class ReadableHistory(HistoricalRecordContextHelper):
    """The changes on a history page as the admin shows values — the label of a choice, yes or no, in
    the reader's language — where simple-history shows what is stored ("new → consolidated", "True")."""

    def prepare_delta_change_value(self, change: ModelChange, value: Any) -> Any:
        field = self.model._meta.get_field(change.field)
        if isinstance(field, models.BooleanField) and value is not None:
            return _("Yes") if value else _("No")
        if field.choices and not isinstance(value, list):
            return dict(field.flatchoices).get(value, value)
        return super().prepare_delta_change_value(change, value)


class OperatorHistoryAdmin(SimpleHistoryAdmin):
    """simple-history's admin with the changes shown in words (see ReadableHistory)."""

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record: Any) -> ReadableHistory:
        return ReadableHistory(self.model, historical_record)


class OperatorPasswordChangeForm(AdminPasswordChangeForm):
    """Django's form, with its warning translated: Django 5.2 appends it to the help text in English only
    (same markup, which the admin's script shows and hides)."""

    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


@admin.register(User, site=admin_site)
class OperatorUserAdmin(OperatorOnly, UserAdmin):
    list_display = ("username", "first_name", "last_name", yes_no_column(User, "is_active"), "last_login")
    list_filter = ("is_active",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Profile"), {"fields": ("first_name", "last_name", "email")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    change_password_form = OperatorPasswordChangeForm


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
class OrganisationAdmin(OperatorOnly, OperatorHistoryAdmin):
    list_display = ("name", "kind", "area", "programme_status", yes_no_column(Organisation, "is_active"))
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
class MembershipAdmin(OperatorOnly, OperatorHistoryAdmin):
    list_display = ("user", "organisation", "role", yes_no_column(Membership, "is_active"), "created_at")
    list_filter = ("role", "is_active")
    search_fields = ("user__username", "organisation__name")
    autocomplete_fields = ("user", "organisation")
