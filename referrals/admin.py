from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin import CraftedIdsRefused, OperatorHistoryAdmin, OperatorOnly
from accounts.admin_site import admin_site
from referrals.models import PartnerProfile, PartnerService


class PartnerServiceInline(admin.TabularInline[PartnerService, PartnerProfile]):
    model = PartnerService
    extra = 1

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


@admin.register(PartnerProfile, site=admin_site)
class PartnerProfileAdmin(OperatorOnly, CraftedIdsRefused, OperatorHistoryAdmin):
    """The partner directory, edited by the system administrator."""

    list_display = ("organisation", "phone", "opening_hours")
    search_fields = ("organisation__name",)
    autocomplete_fields = ("organisation",)
    filter_horizontal = ("areas_served",)
    inlines = [PartnerServiceInline]
