from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper

from accounts import access, selectors, services
from accounts.access import Perm, role_allows
from accounts.admin_site import admin_site
from accounts.models import AccountLink, AdminUnit, Membership, MembershipQuerySet, Organisation, User
from accounts.requests import acting_membership, signed_in_user
from accounts.views_passwords import stash_link_to_show

if TYPE_CHECKING:
    # simple-history's admin (untyped): what this mixin's super() reaches on the history pages.
    class AdminMixinBase(SimpleHistoryAdmin): ...
else:
    AdminMixinBase = object


class OperatorOnly(AdminMixinBase):
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

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str,
                          extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # simple-history saves whatever is posted to a past version's page, whatever the permissions:
        # posting an old "active" version of an ended membership would restore it with nobody's
        # confirmation. Past versions are for reading.
        if request.method != "GET":
            raise PermissionDenied
        response: HttpResponse = super().history_form_view(request, object_id, version_id, extra_context)
        return response


class OperatorUserCreationForm(forms.ModelForm[User]):
    """A new account has no password field: its holder chooses the password with an invitation link."""

    delivery = forms.ChoiceField(
        label=_("Invitation"), choices=AccountLink.Delivery.choices, initial=AccountLink.Delivery.HANDED,
        widget=forms.RadioSelect,
        help_text=_("Hand the link over in person (shown once, with a QR code), or e-mail it to the address above."),
    )

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("delivery") == AccountLink.Delivery.EMAILED and not cleaned.get("email"):
            self.add_error("delivery", _("To e-mail the invitation, give an e-mail address."))
        return cleaned


class OperatorUserChangeForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email", "is_active")


def yes_no_column(model: type[models.Model], field: str) -> Callable[[Any], str]:
    """A yes/no column whose icon is labelled in the reader's language: Django's own boolean column
    labels its icon "True" or "False", in English, whatever the language."""
    model_field = model._meta.get_field(field)
    assert isinstance(model_field, models.Field)  # a column of the model, not a relation's reverse side
    value_of = model_field.value_from_object

    @admin.display(description=model_field.verbose_name, ordering=field)
    def column(obj: models.Model) -> str:
        return yes_no_icon(bool(value_of(obj)))

    return column


def yes_no_icon(value: bool) -> str:
    icon = static(f"admin/img/icon-{'yes' if value else 'no'}.svg")
    return format_html('<img src="{}" alt="{}">', icon, _("Yes") if value else _("No"))


class ReadableHistory(HistoricalRecordContextHelper):
    """The changes on a history page as the admin shows values — the label of a choice, yes or no, in
    the reader's language — where simple-history shows what is stored ("new → consolidated", "True")."""

    def prepare_delta_change_value(self, change: ModelChange, value: Any) -> Any:
        field = self.model._meta.get_field(change.field)
        if value is None:
            return "—"  # not "None"
        if isinstance(value, dt.datetime):
            return date_format(timezone.localtime(value), "DATETIME_FORMAT")
        if isinstance(field, models.BooleanField):
            return _("Yes") if value else _("No")
        if field.choices and not isinstance(value, list):
            return dict(field.flatchoices).get(value, value)
        return super().prepare_delta_change_value(change, value)


class OperatorHistoryAdmin(SimpleHistoryAdmin):
    """simple-history's admin with the changes shown in words (see ReadableHistory)."""

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record: Any) -> ReadableHistory:
        return ReadableHistory(self.model, historical_record)


def _is_key(field: models.Field[Any, Any], value: object) -> bool:
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

    def optgroups(self, name: str, value: Sequence[str], attr: dict[str, Any] | None = None) -> Any:
        remote = self.field.remote_field
        target = remote.model._meta.get_field(getattr(remote, "field_name", None) or remote.model._meta.pk.name)
        return super().optgroups(name, [v for v in value if _is_key(target, v)], attr)


class KeysOnlyAutocompleteSelectMultiple(KeysOnlyAutocompleteSelect, AutocompleteSelectMultiple):
    pass


class CraftedIdsRefused(admin.ModelAdmin[Any]):
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

    def _refuse_non_keys(self, *pairs: tuple[models.Field[Any, Any], str]) -> None:
        if not all(_is_key(field, unquote(value)) for field, value in pairs):
            raise Http404

    # simple-history's two views filter on the raw id from the address (the User admin has neither).
    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        self._refuse_non_keys((self.model._meta.pk, object_id))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str,
                          extra_context: Any = None) -> HttpResponse:
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)  # set by simple-history
        self._refuse_non_keys((self.model._meta.pk, object_id),
                              (history.model._meta.get_field("history_id"), version_id))
        # SimpleHistoryAdmin's, later in the MRO, which mypy cannot see from this mixin.
        response: HttpResponse = super().history_form_view(  # type: ignore[misc]
            request, object_id, version_id, extra_context)
        return response


@admin.register(User, site=admin_site)
class OperatorUserAdmin(OperatorOnly, CraftedIdsRefused, UserAdmin[User]):
    """Operators manage accounts but never see or set a password: there is no password field, no
    password page for another user, only one-time links their holders choose a password with."""

    form = OperatorUserChangeForm
    add_form = OperatorUserCreationForm
    add_form_template = None
    change_form_template = "admin/accounts/user/change_form.html"
    list_display = ("username", "first_name", "last_name", yes_no_column(User, "is_active"), "last_login",
                    "reset_flag")
    list_filter = ("is_active",)
    fieldsets = (
        (None, {"fields": ("username",)}),
        (_("Profile"), {"fields": ("first_name", "last_name", "email")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined", "reset_flag")}),
        (_("Roles"), {"fields": ("roles",)}),
        (_("History of the account"), {"fields": ("history",)}),
    )
    add_fieldsets = ((None, {"fields": ("username", "first_name", "last_name", "email", "delivery")}),)
    readonly_fields = ("last_login", "date_joined", "reset_flag", "roles", "history")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return selectors.users_with_reset_flag(super().get_queryset(request))

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk != request.user.pk and services.email_locked_for_others(obj):
            fields += ("email",)
        if obj is not None and obj.pk == request.user.pk:
            fields += ("is_active",)  # nobody deactivates their own account
        return fields

    def get_urls(self) -> list[URLPattern]:
        # Not UserAdmin's: its "<id>/password/" sets another user's password.
        return [
            path("<id>/password/", self.admin_site.admin_view(self.user_change_password),
                 name="auth_user_password_change"),
            path("<id>/password-link/", self.admin_site.admin_view(self.password_link),
                 name="accounts_user_password_link"),
            *admin.ModelAdmin.get_urls(self),
        ]

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        raise Http404

    def password_link(self, request: HttpRequest, id: str) -> HttpResponse:
        """Create a one-time password link for this user: shown once, or e-mailed."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        user = self.get_object(request, id)
        if user is None:
            raise Http404
        membership = acting_membership(request)
        if not access.may_issue_link(membership, user):
            raise PermissionDenied
        delivery = request.POST.get("delivery")
        if delivery not in AccountLink.Delivery.values:
            raise PermissionDenied
        change_url = reverse("admin:accounts_user_change", args=[user.pk])
        try:
            link, token = services.account_link_issue(user=user, by=membership, delivery=delivery)
        except ValidationError as refused:
            self.message_user(request, " ".join(refused.messages), level=messages.ERROR)
            return redirect(change_url)
        if delivery == AccountLink.Delivery.EMAILED:
            self.message_user(request, _("The link was e-mailed. Older links of this account no longer work."))
            return redirect(change_url)
        stash_link_to_show(request, link, token, back=change_url)
        return redirect("accounts:link-show")

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        membership = acting_membership(request)
        data = form.cleaned_data
        if not change:
            user = services.user_create(username=data["username"], first_name=data["first_name"],
                                        last_name=data["last_name"], email=data["email"], by=membership)
            obj.pk, obj.password = user.pk, user.password
            link, token = services.account_link_issue(user=user, by=membership, delivery=data["delivery"])
            if data["delivery"] == AccountLink.Delivery.HANDED:
                stash_link_to_show(request, link, token,
                                   back=reverse("admin:accounts_user_change", args=[user.pk]))
            return
        user = User.objects.get(pk=obj.pk)
        services.user_update(user=user, by=membership, username=data.get("username", user.username),
                             first_name=data.get("first_name", user.first_name),
                             last_name=data.get("last_name", user.last_name), email=data.get("email", user.email))
        if "is_active" in data and data["is_active"] != user.is_active:
            if data["is_active"]:
                services.user_reactivate(user=user, by=membership)
            else:
                services.user_deactivate(user=user, by=membership)

    def response_add(self, request: HttpRequest, obj: User, post_url_continue: str | None = None) -> HttpResponse:
        if request.POST.get("delivery") == AccountLink.Delivery.HANDED:
            return redirect("accounts:link-show")
        return super().response_add(request, obj, post_url_continue)

    @admin.display(description=_("asked for a new password"))
    def reset_flag(self, obj: User) -> str:
        return yes_no_icon(bool(getattr(obj, "reset_waiting", False)))

    @admin.display(description=_("roles"))
    def roles(self, obj: User) -> str:
        rows = obj.memberships.select_related("organisation").order_by("-requested_at")
        return format_html_join(
            mark_safe("<br>"), "{} · {} · {}",
            ((m.organisation.name, m.get_role_display(), m.get_state_display()) for m in rows),
        ) or "—"

    @admin.display(description=_("history"))
    def history(self, obj: User) -> str:
        return render_to_string("accounts/includes/events.html", {"events": selectors.own_events(obj)})


@admin.register(AdminUnit, site=admin_site)
class AdminUnitAdmin(OperatorOnly, CraftedIdsRefused, admin.ModelAdmin[AdminUnit]):
    list_display = ("name", "level", "code", "parent", "valid_from", "valid_until")
    list_filter = ("level",)
    search_fields = ("name", "code")
    autocomplete_fields = ("parent",)
    fields = ("level", "code", "name", "parent", "valid_from", "valid_until")

    def save_model(self, request: HttpRequest, obj: AdminUnit, form: Any, change: bool) -> None:
        # Through the service: a changed path is rewritten below the unit too (the form's own
        # validation already ran AdminUnit.clean, so the service's refusals appear beside the fields).
        fields = {name: form.cleaned_data[name] for name in self.fields}
        membership = acting_membership(request)
        if change:
            saved = services.admin_unit_update(unit=obj, by=membership, **fields)
        else:
            saved = services.admin_unit_create(by=membership, **fields)
        obj.pk, obj.path = saved.pk, saved.path


@admin.register(Organisation, site=admin_site)
class OrganisationAdmin(OperatorOnly, CraftedIdsRefused, OperatorHistoryAdmin):
    list_display = ("name", "kind", "area", "programme_status", yes_no_column(Organisation, "is_active"))
    list_filter = ("kind", "programme_status", "is_active")
    search_fields = ("name",)
    autocomplete_fields = ("area",)

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        fields = {f: form.cleaned_data[f] for f in form.cleaned_data}
        if change:
            services.organisation_update(organisation=obj, by=signed_in_user(request), **fields)
        else:
            created = services.organisation_create(by=signed_in_user(request), **fields)
            obj.pk, obj.group_id = created.pk, created.group_id


class MembershipRequestForm(forms.ModelForm[Membership]):
    """Asking for a role. The services' rules (never for oneself, one live role per organisation, a
    role that fits the organisation) are placed beside the fields here, and enforced again on saving."""

    class Meta:
        model = Membership
        fields = ("user", "organisation", "role")

    acting: Membership | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            services.membership_request_check(user=cleaned["user"], organisation=cleaned["organisation"],
                                              role=cleaned["role"], by=self.acting)
        except ValidationError as refused:
            self.add_error(None, refused)
        return cleaned


@admin.register(Membership, site=admin_site)
class MembershipAdmin(OperatorOnly, CraftedIdsRefused, OperatorHistoryAdmin):
    """Roles are asked for here and confirmed by the organisation's own confirmer, never here. An existing
    role is never edited: to widen it, ask for another; to end it, use the action."""

    form = MembershipRequestForm
    list_display = ("user", "organisation", "role", "state", "requested_by", "requested_at", "decided_by",
                    "decided_at")
    list_filter = ("role", "state")
    search_fields = ("user__username", "organisation__name")
    autocomplete_fields = ("user", "organisation")
    readonly_fields = ("user", "organisation", "role", "state", "requested_by", "requested_at", "decided_by",
                       "decided_at", "created_at")
    actions = ["revoke_selected"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: Membership | None = None) -> tuple[str, ...]:
        return self.readonly_fields if obj is not None else ("user", "organisation", "role")

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> tuple[str, ...]:
        return self.readonly_fields if obj is not None else ()

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"acting": acting_membership(request)})

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if change:
            raise PermissionDenied  # a role is never edited in place
        created = services.membership_request(
            user=form.cleaned_data["user"], organisation=form.cleaned_data["organisation"],
            role=form.cleaned_data["role"], by=acting_membership(request),
        )
        obj.pk, obj.state = created.pk, created.state

    @admin.action(description=_("End the selected roles"))
    def revoke_selected(self, request: HttpRequest, queryset: MembershipQuerySet) -> None:
        ended = 0
        for membership in queryset.live():
            try:
                services.membership_revoke(membership=membership, by=acting_membership(request))
            except ValidationError as refused:
                self.message_user(request, f"{membership}: {' '.join(refused.messages)}", level=messages.ERROR)
            else:
                ended += 1
        if ended:
            self.message_user(request, _("%(count)d roles ended.") % {"count": ended})
