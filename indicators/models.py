"""Plan targets: what the programme plans to achieve, per area, indicator and period; and the
statistics snapshot that reports read their counts from.

Targets are the only figures people enter here: the system administrator, in the operator's
administration (or ``seed_demo`` for the demo); they are shown beside what was achieved, as "achieved /
target (percent)". The snapshot holds counts only, written by ``indicators_refresh``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.access import Perm
from accounts.models import AdminUnit
from indicators import catalogue, periods

REPORTING_LEVELS = (AdminUnit.Level.PROVINCE, AdminUnit.Level.DISTRICT, AdminUnit.Level.COMMUNE)


class PlanTargetQuerySet(models.QuerySet["PlanTarget"]):
    def for_report(self, area: AdminUnit, period: periods.Period) -> PlanTargetQuerySet:
        return self.filter(area=area, period=period.code)


class PlanTarget(models.Model):
    area = models.ForeignKey(
        AdminUnit,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level__in": REPORTING_LEVELS},
    )
    indicator = models.CharField(_("indicator"), max_length=32, choices=catalogue.target_choices)
    period = models.CharField(
        _("period"),
        max_length=10,
        help_text=_("A year (2025), quarter (2025-Q3), month (2025-07) or programme phase (phase1)."),
    )
    target = models.PositiveIntegerField(_("target"))
    source = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        help_text=_("The plan the target comes from, e.g. “Kế hoạch 3320/KH-UBND”."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = PlanTargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan target")
        verbose_name_plural = _("plan targets")
        ordering = ["area__path", "period", "indicator"]
        permissions = [(Perm.INDICATORS_VIEW.codename, "Can see the anonymised indicators of an area")]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "indicator", "period"],
                name="plantarget_one_per_area_period",
                violation_error_message=_("This area already has a target for this indicator and period."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} · {self.period}"

    def clean(self) -> None:
        errors: dict[str, object] = {}
        try:
            self.period = periods.parse(self.period, require_started=False).code
        except periods.InvalidPeriod as exc:
            errors["period"] = exc.args[0]
        if self.area_id and self.area.level not in REPORTING_LEVELS:
            errors["area"] = _("Targets are set for a province, a district or a commune.")
        if errors:
            raise ValidationError(errors)

    @property
    def indicator_info(self) -> catalogue.Indicator:
        return catalogue.get(self.indicator)


class StatisticsVersion(models.Model):
    """One row, bumped whenever a survivor withdraws her consent to anonymised statistics: cached
    reports carry the version they were built at, so a withdrawal takes effect in the next report."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("statistics version")

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def current(cls) -> int:
        return cls.objects.filter(pk=1).values_list("value", flat=True).first() or 0

    @classmethod
    def bump(cls) -> None:
        # A counter, not a record: no history, and a single UPDATE so concurrent bumps add up.
        if not cls.objects.filter(pk=1).update(value=models.F("value") + 1):
            cls.objects.get_or_create(pk=1, defaults={"value": 1})


class SnapshotQuerySet(models.QuerySet["Snapshot"]):
    def current(self, *, version: int | None = None) -> Snapshot | None:
        """The newest complete snapshot, unless a consent to statistics was withdrawn since it began
        (reports are then counted live until the next refresh, so a withdrawal takes effect at once) or
        it is older than ``INDICATORS_SNAPSHOT_MAX_AGE_HOURS`` (the schedule has stopped: counting live
        is slow but never stale). ``version``: the current statistics version, when already read."""
        hours = int(getattr(settings, "INDICATORS_SNAPSHOT_MAX_AGE_HOURS", 26))
        newest = (
            self.filter(finished_at__isnull=False, started_at__gte=timezone.now() - dt.timedelta(hours=hours))
            .order_by("-started_at")
            .first()
        )
        if version is None:
            version = StatisticsVersion.current()
        if newest is None or newest.statistics_version != version:
            return None
        return newest


class Snapshot(models.Model):
    """One run of ``indicators_refresh``: every figure of every report section, for every fixed period
    and every reporting area, counted in the database at once (the way DHIS2 builds its analytics
    tables), so that a report reads its figures instead of counting a province's cases on each request.

    Holds counts only, never a row of casework; small counts are stored as they are and suppressed
    when a report is built from them, with the smallest cell size of that moment."""

    started_at = models.DateTimeField(_("counted from the records of"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    statistics_version = models.PositiveBigIntegerField(editable=False)
    seconds = models.FloatField(default=0)

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("statistics snapshot")
        verbose_name_plural = _("statistics snapshots")
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"{timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"


class SnapshotFigures(models.Model):
    """The figures of one period and one area: ``{section: {row: {measure: value}}}``."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="figures")
    period = models.CharField(max_length=10)
    area_path = models.CharField(max_length=255)
    figures = models.JSONField()

    class Meta:
        verbose_name = _("snapshot figures")
        verbose_name_plural = _("snapshot figures")
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "period", "area_path"], name="snapshotfigures_one_per_period_area"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} · {self.area_path}"
