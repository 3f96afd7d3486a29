"""The report a user reaches: read from its period's release and kept in Django's cache."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from accounts.models import AdminUnit
from indicators.models import Release
from indicators.periods import Period
from indicators.report.builder import build_report
from indicators.report.model import Report
from indicators.report.rules import min_cell


def get_report(area: AdminUnit, period: Period) -> Report:
    """The report of a released period, read from its release (see
    :func:`indicators.services.period_release`) — never counted from the records — and kept in the
    cache for ``INDICATORS_CACHE_SECONDS`` per area, period, smallest cell, language and release. A
    release never changes, so neither a late record nor a withdrawal of consent outdates it.

    Raises :class:`~indicators.models.Release.DoesNotExist` for a period not released (the report form
    offers released periods only)."""
    release = Release.objects.get(period=period.code)
    seconds = int(getattr(settings, "INDICATORS_CACHE_SECONDS", 0))
    if seconds <= 0:
        return build_report(area, period, release=release)
    k = min_cell()
    key = f"indicators:report:{area.pk}:{period.code}:{k}:{translation.get_language()}:release-{release.pk}"
    report: Report | None = cache.get(key)
    if report is None:
        report = build_report(area, period, k=k, release=release)
        cache.set(key, report, seconds)
    return report
