from __future__ import annotations

from django.contrib import admin

from accounts.admin import CraftedIdsRefused, OperatorHistoryAdmin, OperatorOnly
from accounts.admin_site import admin_site
from indicators.models import PlanTarget


@admin.register(PlanTarget, site=admin_site)
class PlanTargetAdmin(OperatorOnly, CraftedIdsRefused, OperatorHistoryAdmin):
    """Plan targets (reference data from the provincial plan), entered by the system administrator. The
    form validates like the service (``full_clean``); the history records who changed a target."""

    list_display = ("indicator", "area", "period", "target", "source")
    list_filter = ("period", "indicator")
    search_fields = ("area__name", "indicator", "period")
    autocomplete_fields = ("area",)
