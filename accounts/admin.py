from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
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


def _is_key(field: models.Field, value: object) -> bool:
    """Could ``value`` be stored in ``field`` at all? (Whether such a row exists is the database's answer.)"""
    try:
        field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return False
    return True


class KeysOnlyAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the selected values up to print their labels — also when the
    form comes back with an error, or when an add page is opened with ``?parent=…``. A value that cannot
    be a key of the remote model (“1e400”, a number where the key is a UUID) makes that lookup raise: a
    500 instead of the form's own “Select a valid choice”. Such values are simply not shown back."""

    def optgroups(self, name: str, value: list[str], attr: dict[str, Any] | None = None) -> Any:
        remote = self.field.remote_field
        target = remote.model._meta.get_field(getattr(remote, "field_name", None) or remote.model._meta.pk.name)
        return super().optgroups(name, [v for v in value if _is_key(target, v)], attr)


class KeysOnlyAutocompleteSelectMultiple(KeysOnlyAutocompleteSelect, AutocompleteSelectMultiple):
    pass


class CraftedIdsRefused(admin.ModelAdmin):
    """A crafted id in the address or in a posted form is "not found" or a form error, never a 500.

    Ids beyond an integer column's range are handled for every query by core/lookups.py; what remains
    here is a value that is not an id at all, where the admin (or simple-history) would pass it to the
    database unchecked.
    """

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeysOnlyAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeysOnlyAutocompleteSelectMultiple(db_field, self.admin_site,
                                                                  using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _refuse_non_keys(self, *pairs: tuple[models.Field, str]) -> None:
        if not all(_is_key(field, unquote(value)) for field, value in pairs):
            raise Http404

    # simple-history's two views filter on the raw id from the address (the User admin has neither).
    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        self._refuse_non_keys((self.model._meta.pk, object_id))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str,
                          extra_context: Any = None) -> HttpResponse:
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)  # type: ignore[attr-defined]  # set by simple-history
        self._refuse_non_keys((self.model._meta.pk, object_id),
                              (history.model._meta.get_field("history_id"), version_id))
        return super().history_form_view(request, object_id, version_id, extra_context)  # type: ignore[misc]  # SimpleHistoryAdmin's, later in the MRO


@admin.register(User, site=admin_site)
class OperatorUserAdmin(OperatorOnly, CraftedIdsRefused, UserAdmin):
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
class AdminUnitAdmin(OperatorOnly, CraftedIdsRefused, admin.ModelAdmin):
    list_display = ("name", "level", "code", "parent", "valid_from", "valid_until")
    list_filter = ("level",)
    search_fields = ("name", "code")
    autocomplete_fields = ("parent",)

    def save_model(self, request: HttpRequest, obj: AdminUnit, form: Any, change: bool) -> None:
        obj.path = AdminUnit.path_for(level=obj.level, code=obj.code, parent=obj.parent)
        obj.save()


@admin.register(Organisation, site=admin_site)
class OrganisationAdmin(OperatorOnly, CraftedIdsRefused, OperatorHistoryAdmin):
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
class MembershipAdmin(OperatorOnly, CraftedIdsRefused, OperatorHistoryAdmin):
    list_display = ("user", "organisation", "role", yes_no_column(Membership, "is_active"), "created_at")
    list_filter = ("role", "is_active")
    search_fields = ("user__username", "organisation__name")
    autocomplete_fields = ("user", "organisation")
