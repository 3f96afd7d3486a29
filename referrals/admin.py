from __future__ import annotations

from django.contrib import admin

from accounts.admin import CraftedIdsRefused, OperatorHistoryAdmin, OperatorOnly
from accounts.admin_site import admin_site
from referrals.models import PartnerProfile, PartnerService


class PartnerServiceInline(admin.TabularInline):
    model = PartnerService
    extra = 1

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return True

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return True

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return True

    def has_view_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return True


@admin.register(PartnerProfile, site=admin_site)
class PartnerProfileAdmin(OperatorOnly, CraftedIdsRefused, OperatorHistoryAdmin):
    """The partner directory, edited by the system administrator."""

    list_display = ("organisation", "phone", "opening_hours")
    search_fields = ("organisation__name",)
    autocomplete_fields = ("organisation",)
    filter_horizontal = ("areas_served",)
    inlines = [PartnerServiceInline]
