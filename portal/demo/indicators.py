"""Demo plan targets and the first releases of figures for ``seed_demo``, the last of
``portal.demo.BUILDERS``.

The demo province is small (ten trusted addresses, the demo cases of the casework builder), so the
targets are the Kon Tum plan's targets (3320/KH-UBND: 30 new and 151 consolidated trusted addresses,
10 pilot and 10 replicated livelihood models by 2025) scaled to it, for the province and for the
district with the demo's supervisor, for programme phase I and for the current year. Against the demo
cases they show targets met, targets missed and — for counts of people — hidden figures.

Idempotent: a target that exists is left as it is (and counted as already there). Last, the statistics
are counted and every period that is due is released, as ``indicators_refresh`` does on its schedule, so
that the dashboard shows figures at once; a period already released is left as it is.
"""

from __future__ import annotations

from accounts.demo import Demo
from indicators import periods
from indicators.models import PlanTarget, Release
from indicators.services import plan_target_set, snapshot_refresh

SOURCE_PLAN = "Kế hoạch 3320/KH-UBND (demo)"
SOURCE_YEAR = "Kế hoạch năm (demo)"
DEMO_DISTRICT = "613"  # huyện Kon Plông: the demo supervisor's district


def demo_targets(province_code: str) -> list[tuple[str, str, str, int, str]]:
    """(unit code, indicator, period, target, source) of every demo target."""
    this_year = periods.current_year().code
    return [
        # Phase I, province: the plan's trusted-address and livelihood targets, scaled down.
        (province_code, "TA_NEW", "phase1", 6, SOURCE_PLAN),
        (province_code, "TA_CONSOLIDATED", "phase1", 5, SOURCE_PLAN),
        (province_code, "LV_MODELS_PILOT", "phase1", 2, SOURCE_PLAN),
        (province_code, "LV_MODELS_REPLICATED", "phase1", 2, SOURCE_PLAN),
        (province_code, "SV_NEW", "phase1", 40, SOURCE_PLAN),
        (province_code, "LV_BENEFICIARIES", "phase1", 10, SOURCE_PLAN),
        # Phase I, district.
        (DEMO_DISTRICT, "TA_NEW", "phase1", 2, SOURCE_PLAN),
        (DEMO_DISTRICT, "TA_CONSOLIDATED", "phase1", 3, SOURCE_PLAN),
        # The current year.
        (province_code, "SV_NEW", this_year, 15, SOURCE_YEAR),
        (province_code, "TA_ACTIVE", this_year, 4, SOURCE_YEAR),
        (province_code, "SP_COUNSELLING", this_year, 15, SOURCE_YEAR),
        (province_code, "SP_SHELTER", this_year, 5, SOURCE_YEAR),
        (province_code, "LV_BENEFICIARIES", this_year, 5, SOURCE_YEAR),
        (DEMO_DISTRICT, "SV_NEW", this_year, 12, SOURCE_YEAR),
        (DEMO_DISTRICT, "TA_ACTIVE", this_year, 2, SOURCE_YEAR),
    ]


def build_demo_targets(demo: Demo) -> None:
    demo.say(str(PlanTarget._meta.verbose_name_plural).capitalize())
    for unit_code, indicator, period, target, source in demo_targets(demo.province_code):
        area = demo.units.get(unit_code)
        if area is None:  # outside --only-area
            continue
        existing = PlanTarget.objects.filter(area=area, indicator=indicator, period=period).first()
        if existing is not None:
            demo.record(existing, created=False, label=f"{area.name} · {indicator} · {period}")
            continue
        plan = plan_target_set(
            area=area, indicator=indicator, period=period, target=target, by=None, source=source
        )
        demo.record(plan, created=True, label=f"{area.name} · {indicator} · {period}: {target}")


def build_demo_release(demo: Demo) -> None:
    """Count the demo's statistics and release every period that is due (after the cases: registered
    last)."""
    demo.say(str(Release._meta.verbose_name_plural).capitalize())
    before = set(Release.objects.values_list("pk", flat=True))
    snapshot_refresh()
    for release in Release.objects.order_by("period"):
        demo.record(release, created=release.pk not in before)
