"""Plan targets: what the programme plans to achieve, per area, indicator and period; the statistics
snapshot that ``indicators_refresh`` counts; and the releases — the published, frozen figures of
completed periods — that every report reads.

Targets are the only figures people enter here: the system administrator, in the operator's
administration (or ``seed_demo`` for the demo); they are shown beside what was achieved, as "achieved /
target (percent)". Snapshots and releases hold counts only, written by ``indicators_refresh``.
"""

from __future__ import annotations

from typing import Any

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


class SnapshotQuerySet(models.QuerySet["Snapshot"]):
    def current(self) -> Snapshot | None:
        """The newest complete snapshot: the working figures that the next release is copied from. A
        withdrawal of consent corrects it in place (see :func:`indicators.services.snapshot_correct`),
        so it is never set aside."""
        return self.filter(finished_at__isnull=False).order_by("-started_at").first()


class Snapshot(models.Model):
    """One run of ``indicators_refresh``: every figure of every report section, for every fixed period
    and every reporting area, counted in the database at once (the way DHIS2 builds its analytics
    tables). It is the working copy that periods are released from (:class:`Release`); no report
    reads it.

    Holds counts only, never a row of casework; small counts are stored as they are and protected
    when a report is built from them, with the smallest cell size of that moment."""

    started_at = models.DateTimeField(_("counted from the records of"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
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


class SnapshotCorrection(models.Model):
    """A withdrawal of consent to statistics, as the change it made to the working snapshot: kept
    until a refresh has counted the records after the withdrawal, so that a refresh that was already
    counting when she withdrew (PostgreSQL's REPEATABLE READ shows it the records as they were) has
    the same change made to its figures before it finishes, and never brings her back.

    ``delta`` lists the cells she left — ``[[period, area path, section, row, measure, change], …]``
    — and nothing that names her: no case, no survivor, no key. The categories are those of the
    case's own analytic columns."""

    at = models.DateTimeField(_("withdrawn at"))
    delta = models.JSONField()

    class Meta:
        verbose_name = _("snapshot correction")
        verbose_name_plural = _("snapshot corrections")

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M}"


class FrozenQuerySet(models.QuerySet[Any]):
    """Published figures are never changed or taken back: no code path updates or deletes them."""

    def update(self, **kwargs: Any) -> int:
        raise FrozenRelease(f"{self.model._meta.label} is never updated: a release is final.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise FrozenRelease(f"{self.model._meta.label} is never deleted: a release is final.")

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise FrozenRelease(f"{self.model._meta.label} is never updated: a release is final.")


class FrozenRelease(RuntimeError):
    """Something tried to change published figures."""


class _Frozen(models.Model):
    """Written once, when created; saving it again or deleting it is refused."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise FrozenRelease(f"{self._meta.label} is never updated: a release is final.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise FrozenRelease(f"{self._meta.label} is never deleted: a release is final.")


class ReleaseQuerySet(FrozenQuerySet):
    def periods(self) -> list[periods.Period]:
        """The released periods, newest first."""
        return sorted(
            (periods.parse(code, require_started=False) for code in self.values_list("period", flat=True)),
            reverse=True,
        )


class Release(_Frozen):
    """The published figures of one fixed period: copied, for every reporting area at once, from the
    statistics snapshot counted when the period became due (``INDICATORS_RELEASE_LAG_DAYS`` after its
    end), and never changed afterwards — not by a late record, not by a withdrawal of consent (see
    :mod:`indicators.services`). Every report reads a release, and nothing else.

    Its figures are filed under the area paths of the day they were counted, and a unit moved later
    (``accounts.services.admin_unit_update``) does not take them along: a release describes the map of
    its period, the way published statistics are not revised for a change of boundaries."""

    period = models.CharField(_("period"), max_length=10, unique=True)
    released_at = models.DateTimeField(_("released at"))
    counted_at = models.DateTimeField(_("counted from the records of"))

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("release of figures")
        verbose_name_plural = _("releases of figures")
        get_latest_by = "released_at"

    def __str__(self) -> str:
        return self.period


class ReleasedFigures(_Frozen):
    """The published figures of one period and one area, in the snapshot's shape
    (``{section: {row: {measure: value}}}``), with the trusted addresses and the by-period series
    counted at release time, so that nothing in a released report is counted again."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="figures")
    area_path = models.CharField(max_length=255)
    figures = models.JSONField()

    objects = FrozenQuerySet.as_manager()

    class Meta:
        verbose_name = _("released figures")
        verbose_name_plural = _("released figures")
        constraints = [
            models.UniqueConstraint(fields=["release", "area_path"], name="releasedfigures_one_per_area"),
        ]

    def __str__(self) -> str:
        return f"{self.release.period} · {self.area_path}"
