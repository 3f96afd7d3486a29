"""Indicator test data: plan targets, and a generated dataset of cases whose expected figures are
computed in plain Python from the same specifications (see ``dataset.py``)."""

from __future__ import annotations

from indicators import periods
from indicators.models import PlanTarget
from indicators.services import plan_target_set
from tests.casework.builders import _cached
from tests.conftest import Cast


def plan_target(cast: Cast) -> PlanTarget:
    """A phase-I target of new trusted addresses for the cast's province."""
    return _cached(
        cast,
        "plan_target",
        lambda: plan_target_set(
            area=cast.province,
            indicator="TA_NEW",
            period="phase1",
            target=30,
            by=None,
            source="KH 3320/KH-UBND",
        ),
    )


def this_year() -> str:
    return periods.current_year().code


def release(period: periods.Period | None = None):  # type: ignore[no-untyped-def]
    """Run ``indicators_refresh`` on the first day ``period`` (this year by default) is due — the clock
    moved forward for the refresh only, after any earlier refresh — so that it is released with every
    period due by then, from the records as they are now. Returns the snapshot counted."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    import time_machine
    from django.conf import settings
    from django.utils import timezone

    from indicators.models import Snapshot
    from indicators.services import snapshot_refresh

    period = period or periods.current_year()
    day = period.published_after() + dt.timedelta(days=1)
    moment = max(dt.datetime.combine(day, dt.time(9), tzinfo=ZoneInfo(settings.TIME_ZONE)), timezone.now())
    newest = Snapshot.objects.order_by("-started_at").values_list("started_at", flat=True).first()
    if newest is not None:
        moment = max(moment, newest + dt.timedelta(minutes=1))
    with time_machine.travel(moment, tick=True):
        return snapshot_refresh()


# --- A commune with three rapes ---------------------------------------------------------------------


def add_address(cast: Cast, key: str, area, name: str):  # type: ignore[no-untyped-def]
    """Another trusted address (with a volunteer) in ``area``."""
    from accounts.models import Organisation, Role
    from tests import factories as f

    address = f.organisation(Organisation.Kind.TRUSTED_ADDRESS, area, name)
    return f.member(Role.VOLUNTEER, address, f"tnv-{key}")


def counted_case(
    by,
    *,
    name: str,
    birth_year: int = 1990,
    answers=None,
    days_ago: int = 20,  # type: ignore[no-untyped-def]
    statistics: bool = True,
    **survivor: object,
):
    """A case with one incident and (by default) consent to anonymised statistics."""
    import datetime as dt

    from django.utils import timezone

    from casework import services as cw
    from casework.models import Consent

    opened_on = max(
        timezone.localdate() - dt.timedelta(days=days_ago), timezone.localdate().replace(month=1, day=1)
    )
    case = cw.case_open(
        by=by,
        opened_on=opened_on,
        survivor_fields={"full_name": name, "birth_year": birth_year, "sex": "female", **survivor},
    )
    cw.incident_record(
        case=case,
        by=by,
        answers=answers or {"physical": True},
        occurred_on=opened_on,
        place_type="home",
        perpetrator_relationship="stranger",
        perpetrator_sex="male",
    )
    if statistics:
        cw.consent_give(
            case=case, by=by, scope=Consent.Scope.STATISTICS, given_by="survivor", given_on=opened_on
        )
    return case


def three_rapes(cast: Cast) -> None:
    """This year: commune 1 has three survivors of rape (two at address A, one at a second address), nine
    of physical assault and five of psychological abuse; commune 2 has twelve of physical assault, at
    two addresses."""

    def build() -> None:
        a2 = add_address(cast, "a2", cast.commune1, "Địa chỉ tin cậy A2")
        b2 = add_address(cast, "b2", cast.commune2, "Địa chỉ tin cậy B2")
        plan = [
            (cast.volunteer_a, {"penetration": True}, 2),
            (a2, {"penetration": True}, 1),
            (cast.volunteer_a, {"physical": True}, 5),
            (a2, {"physical": True}, 4),
            (cast.volunteer_a, {"psychological": True}, 2),
            (a2, {"psychological": True}, 3),
            (cast.volunteer_b, {"physical": True}, 6),
            (b2, {"physical": True}, 6),
        ]
        number = 0
        for by, answers, count in plan:
            for _ in range(count):
                number += 1
                counted_case(by, name=f"Người Số {number}", answers=answers, days_ago=5 + number)

    _cached(cast, "three_rapes", build)
