"""Writes for indicators: plan targets, the statistics snapshot, its corrections and the releases of
figures (counts only; casework and referrals are read, never written).

Released periods are frozen
---------------------------
Figures are published only for completed periods, once, after a lag, and a published period's figures
never change (a national statistics office's practice). ``indicators_refresh`` counts the working
snapshot (:func:`snapshot_refresh`) and then releases every fixed period that is due — ended, and
``INDICATORS_RELEASE_LAG_DAYS`` more days passed — and has no release yet, every area at once
(:func:`period_release`). Reports read releases only. So nobody can publish, add one case and publish
again: comparing two looks at the dashboard shows no difference to read a woman's profile from, and a
record entered after its period was released is never added to it.

A withdrawal of consent is not an update of published figures
-------------------------------------------------------------
When a survivor withdraws her consent to statistics, her record is used no further (GBVIMS): she is
taken out of the working snapshot at once, in the withdrawal's own transaction
(:func:`snapshot_withdraw`), so no period released later counts her. Figures already released are
not re-issued: re-issuing would change exactly her cells — the withdraw-one difference attack, which
would disclose her profile to anyone who knew she withdrew — while the published anonymised figures,
protected so that they cannot identify her, do not. Statistics offices treat respondents who withdraw
after publication the same way: no further use, no recall of published aggregates.

Her part is taken out by difference, without counting anyone else: the snapshot's GROUP BY specs are
run on her rows only (:func:`indicators.aggregates.of_person`) as the consent is about to change and
again once it has, for every kind of period and depth of area the refresh uses, and the change is added
to every additive measure of each cell she was in — counts of people, services, referrals and outcomes,
sums of nights and amounts, and the sum of record keys. Measures that are not sums over people stay as
they are until the next full count: median hours, distinct partners and livelihood models, and the
``top_…`` measures (the largest trusted address's count, whose old value is an upper bound: it only
protects more). No release is copied from
figures that carry such a correction (see below): each is copied from a full count.

A refresh that was counting when she withdrew (PostgreSQL's REPEATABLE READ shows it the records as they
were) would bring her back. So every correction is also recorded (:class:`SnapshotCorrection`, her cells
only, nothing that names her) in the withdrawal's transaction, and a refresh, before it finishes, makes
on its own figures every correction its count did not see — those committed after its first read —,
then deletes those it saw. Such a refresh releases nothing that time: the next one, a full count that
saw her withdrawal, does.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import AdminUnit, User
from core.history import stamp
from indicators import aggregates, periods, queryspecs
from indicators.models import (
    REPORTING_LEVELS,
    PlanTarget,
    Release,
    ReleasedFigures,
    Snapshot,
    SnapshotCorrection,
    SnapshotFigures,
)
from indicators.tallies import MeasureKey

if TYPE_CHECKING:  # the type only: indicators read the records through aggregates alone
    from casework.models import Consent

PERIOD_KINDS = ("month", "quarter", "year", "phase")

# Measures that are not sums over people: a withdrawal leaves them as they are until the next full count.
NOT_ADDITIVE = frozenset({"hours", "partners", "models"})

# {(period code, area path): {section: {row: {measure: value}}}}
Figures = dict[tuple[str, str], dict[str, dict[str, dict[str, Any]]]]
# [period code, area path, section, row, measure, change]
Change = list[Any]


def is_additive(measure: str) -> bool:
    """Whether a measure is a sum over the people counted, so that one person's part can be taken out."""
    return not (measure in NOT_ADDITIVE or measure.startswith("top_"))


@transaction.atomic
def plan_target_set(
    *,
    area: AdminUnit,
    indicator: str,
    period: str,
    target: int,
    by: User | None,
    source: str = "",
) -> PlanTarget:
    """Set (create or change) the target of an indicator for an area and period."""
    plan = PlanTarget.objects.select_for_update().filter(
        area=area, indicator=indicator, period=period
    ).first() or PlanTarget(area=area, indicator=indicator, period=period)
    plan.target, plan.source = target, source
    plan.full_clean()
    stamp(plan, user=by, reason=gettext_noop("target set"))
    plan.save()
    return plan


def _json_ready(value: Any) -> Any:
    # A SUM can arrive as a Decimal; the figures are stored as JSON numbers, never as strings.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _reporting() -> tuple[set[str], list[int]]:
    """The paths of the reporting areas, and their depths (1: province, 2, 3)."""
    reporting = set(AdminUnit.objects.filter(level__in=REPORTING_LEVELS).values_list("path", flat=True))
    return reporting, sorted({path.count("/") for path in reporting})


def _count(*, person: uuid.UUID | None = None, progress: Callable[[int, int, str], object] | None = None) -> Figures:
    """Every section, for every kind of period and every depth of reporting area: one GROUP BY query
    per population, kind of period and depth (:func:`queryspecs.grouped`). With ``person`` (a case
    id), only that person's rows and only the measures a withdrawal takes out (:func:`is_additive`),
    from statements compiled once (:func:`aggregates.person_grouped`)."""
    reporting, depths = _reporting()
    jobs = [
        (section, number, spec, kind, depth)
        for section, specs in aggregates.SNAPSHOT_SECTIONS.items()
        for number, spec in enumerate(specs())
        for kind in PERIOD_KINDS
        for depth in depths
    ]
    figures: Figures = {}
    for done, (section, number, spec, kind, depth) in enumerate(jobs):
        if progress:
            progress(done, len(jobs), f"{section} · {kind} · {depth}")
        if person is None:
            cells = queryspecs.grouped(spec, kind=kind, depth=depth)
        else:
            additive = {name: m for name, m in spec.measures.items() if is_additive(MeasureKey.parse(name).measure)}
            if not additive:
                continue
            cells = aggregates.person_grouped(
                replace(spec, measures=additive), case_id=person, kind=kind, depth=depth,
                statement=("withdrawal", section, number, kind, depth),
            )
        for (period, path, row), measures in cells:
            if path not in reporting:
                continue  # a village: never reported on
            cell = figures.setdefault((period, path), {}).setdefault(section, {}).setdefault(row, {})
            cell.update({name: _json_ready(value) for name, value in measures.items()})
    if progress:
        progress(len(jobs), len(jobs), "")
    return figures


def _newer_snapshot() -> Snapshot:
    """The snapshot of a newer refresh that finished first (this one gives way to it)."""
    newer = Snapshot.objects.current()
    assert newer is not None  # only called once a newer snapshot has been seen finished
    return newer


def snapshot_refresh(*, progress: Callable[[int, int, str], object] | None = None) -> Snapshot:
    """Count every report section for every fixed period and every reporting area into a new working
    snapshot, drop the older ones, and release every period that is due and not released yet.

    A few dozen GROUP BY queries however many areas and periods there are. On PostgreSQL they all read
    one consistent view of the records (REPEATABLE READ), so the sections agree; a withdrawal of consent
    committed while they run is made on the figures before the snapshot is finished (see the module's
    docstring), and the releases then wait for the next refresh.
    """
    started = time.perf_counter()
    # Only as the transaction's first statement (not inside an outer one, as in the tests).
    consistent = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if consistent:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # The first read fixes the view of the records: the withdrawals corrected so far are in it.
        seen = list(SnapshotCorrection.objects.values_list("pk", flat=True))
        snapshot = Snapshot.objects.create(started_at=timezone.now())
        figures = _count(progress=progress)
        SnapshotFigures.objects.bulk_create(
            (
                SnapshotFigures(snapshot=snapshot, period=period, area_path=path, figures=sections)
                for (period, path), sections in figures.items()
            ),
            batch_size=500,
        )
    with transaction.atomic():
        # Under the lock that a withdrawal takes before correcting the finished snapshots (every
        # snapshot row, in the same order): a withdrawal either waits for this one to finish and
        # corrects it, or is committed before and is made here.
        locked = {row.pk: row for row in Snapshot.objects.select_for_update().order_by("pk")}
        if snapshot.pk not in locked:  # set aside by a newer refresh that finished first
            return _newer_snapshot()
        snapshot = locked[snapshot.pk]
        unseen = list(SnapshotCorrection.objects.exclude(pk__in=seen).order_by("pk").values_list("delta", flat=True))
        for delta in unseen:
            _apply(snapshot, delta)
        snapshot.finished_at = timezone.now()
        snapshot.seconds = time.perf_counter() - started
        snapshot.save(update_fields=["finished_at", "seconds"])
        Snapshot.objects.filter(started_at__lt=snapshot.started_at).delete()
        # What this count saw, every later count sees too; an earlier one still running will find this
        # newer snapshot and give way.
        SnapshotCorrection.objects.filter(pk__in=seen).delete()
        if Snapshot.objects.filter(finished_at__isnull=False, started_at__gt=snapshot.started_at).exists():
            snapshot.delete()
            return _newer_snapshot()
        if not unseen:
            release_due(snapshot=snapshot)
    return snapshot


# --- Releases ----------------------------------------------------------------------------------------


def release_due(*, snapshot: Snapshot) -> list[Release]:
    """Release, from ``snapshot``, every fixed period that is due today and has no release yet."""
    released = set(Release.objects.values_list("period", flat=True))
    due = [period for period in periods.due() if period.code not in released]
    if not due:
        return []
    places = _places()
    return [period_release(period=period, snapshot=snapshot, places=places) for period in due]


def _places() -> list[tuple[AdminUnit, set[str]]]:
    """The reporting areas that hold trusted addresses (every province, and down from it every unit
    that holds one), each with those of its child units that hold one — a report's columns."""
    reporting = set(AdminUnit.objects.filter(level__in=REPORTING_LEVELS).values_list("path", flat=True))
    found: list[tuple[AdminUnit, set[str]]] = []
    waiting = list(AdminUnit.objects.filter(level=AdminUnit.Level.PROVINCE).order_by("path"))
    while waiting:
        area = waiting.pop(0)
        children = (
            set() if area.level == AdminUnit.Level.COMMUNE else aggregates.areas_with_addresses(area) & reporting
        )
        found.append((area, children))
        waiting += AdminUnit.objects.filter(path__in=children).order_by("path")
    return found


def _addresses(period: periods.Period, places: list[tuple[AdminUnit, set[str]]]) -> Figures:
    """Trusted addresses as a report shows them, counted now for every area that holds one: the
    ``addresses`` section (working, new, consolidated, active) and the ``address_series`` section (new
    in each sub-period). Every area listed as a column of its parent has the section, zeros included,
    so that a released report keeps its columns."""
    figures: Figures = {}
    rows = ("total", "new", "consolidated", "active")
    for area, children in places:
        for path in (area.path, *children):
            figures.setdefault((period.code, path), {}).setdefault(
                "addresses", {row: {"count": 0} for row in rows}
            )
        # A unit with child columns counts its own and theirs; a unit without is a column of its parent.
        if children or area.level == AdminUnit.Level.PROVINCE:
            tallies = aggregates.address_tallies(area, period, children=bool(children))
            for (row, column), measures in tallies.items():
                if column == area.path or column in children:
                    figures[(period.code, column)]["addresses"][row] = dict(measures)
        if period.child_kind:
            series = aggregates.address_series(area, period)
            figures[(period.code, area.path)]["address_series"] = {
                code: dict(measures) for (code, _column), measures in series.items()
            }
    return figures


def period_release(
    *, period: periods.Period, snapshot: Snapshot, places: list[tuple[AdminUnit, set[str]]] | None = None
) -> Release:
    """Publish the figures of ``period`` for every area at once: a copy of the snapshot's figures of the
    period, with the people supported in each sub-period taken from the same snapshot and the trusted
    addresses counted now. ``indicators_refresh`` calls it for each period that falls due; nothing ever
    changes a release afterwards."""
    with transaction.atomic():
        release = Release.objects.create(
            period=period.code, released_at=timezone.now(), counted_at=snapshot.started_at
        )
        figures: dict[str, dict[str, Any]] = {
            path: dict(sections)
            for path, sections in SnapshotFigures.objects.filter(snapshot=snapshot, period=period.code)
            .values_list("area_path", "figures")
        }
        sub_periods = [p.code for p in period.children()]
        for code, path, sections in SnapshotFigures.objects.filter(
            snapshot=snapshot, period__in=sub_periods
        ).values_list("period", "area_path", "figures"):
            everyone = sections.get("survivors", {}).get("all")
            if everyone:
                figures.setdefault(path, {}).setdefault("survivor_series", {})[code] = dict(everyone)
        for (_code, path), sections in _addresses(period, places if places is not None else _places()).items():
            figures.setdefault(path, {}).update(sections)
        ReleasedFigures.objects.bulk_create(
            (ReleasedFigures(release=release, area_path=path, figures=sections) for path, sections in figures.items()),
            batch_size=500,
        )
    return release


# --- Withdrawal of consent -----------------------------------------------------------------------------


def withdrawal_count(consent: Consent) -> Figures | None:
    """Her cells in the working statistics, counted on her rows alone, when ``consent`` is her consent
    to statistics; None for any other kind of consent (nothing of hers is counted for it)."""
    case_id = aggregates.statistics_case(consent)
    return None if case_id is None else _count(person=case_id)


@transaction.atomic
def snapshot_withdraw(*, consent: Consent, before: Figures) -> SnapshotCorrection | None:
    """Take her out of the working snapshot now that her consent to statistics is withdrawn: her cells
    as they are, against ``before`` (:func:`withdrawal_count` as the consent was about to change), give
    the change made by :func:`snapshot_correct`. Called in the withdrawal's transaction
    (:mod:`indicators.receivers`)."""
    return snapshot_correct(delta=_difference(before, withdrawal_count(consent) or {}))


def _difference(before: Figures, after: Figures) -> list[Change]:
    """The changes of the additive measures, cell by cell (a cell missing on one side counts 0)."""
    changes: list[Change] = []
    for key in sorted(set(before) | set(after)):
        old_sections, new_sections = before.get(key, {}), after.get(key, {})
        for section in sorted(set(old_sections) | set(new_sections)):
            old_rows, new_rows = old_sections.get(section, {}), new_sections.get(section, {})
            for row in sorted(set(old_rows) | set(new_rows)):
                old, new = old_rows.get(row, {}), new_rows.get(row, {})
                for measure in sorted(set(old) | set(new)):
                    change = _json_ready((new.get(measure) or 0) - (old.get(measure) or 0))
                    if change and is_additive(measure):
                        changes.append([*key, section, row, measure, change])
    return changes


@transaction.atomic
def snapshot_correct(*, delta: list[Change]) -> SnapshotCorrection | None:
    """Make a withdrawal's change on every finished working snapshot, for the periods not released yet
    (released figures never change), and record it for a refresh still counting."""
    # The lock a refresh takes to finish: its snapshot is corrected here once finished, or by the
    # refresh itself from the record below (see snapshot_refresh).
    snapshots = list(Snapshot.objects.select_for_update().order_by("pk"))
    released = set(Release.objects.values_list("period", flat=True))
    delta = [change for change in delta if change[0] not in released]
    if not delta:
        return None
    for snapshot in snapshots:
        if snapshot.finished_at is not None:
            _apply(snapshot, delta)
    return SnapshotCorrection.objects.create(at=timezone.now(), delta=delta)


def _apply(snapshot: Snapshot, delta: Iterable[Change]) -> None:
    by_row: dict[tuple[str, str], list[Change]] = {}
    for period, path, *change in delta:
        by_row.setdefault((period, path), []).append(change)
    if not by_row:
        return
    rows = {
        (row.period, row.area_path): row
        for row in SnapshotFigures.objects.select_for_update().filter(
            snapshot=snapshot,
            period__in={period for period, _path in by_row},
            area_path__in={path for _period, path in by_row},
        )
    }
    for (period, path), changes in by_row.items():
        row = rows.get((period, path)) or SnapshotFigures(snapshot=snapshot, period=period, area_path=path, figures={})
        for section, row_key, measure, change in changes:
            cell = row.figures.setdefault(section, {}).setdefault(row_key, {})
            cell[measure] = _json_ready((cell.get(measure) or 0) + change)
        row.save()
