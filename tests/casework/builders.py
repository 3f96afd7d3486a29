"""Case data for tests, built through the services (so encryption, history and permissions are real).

Builders take the standing cast and cache what they build in ``cast.extras``, so access-matrix rows can
ask for "a case of address A" lazily.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import Membership
from casework import services
from casework.models import Case, Consent, Incident, SupportService
from tests.conftest import Cast

CANARY_NAME = "Hờ Thị Canary Zyx"
CANARY_PHONE = "0987 654 321"


def open_case(by: Membership, *, full_name: str = "Y Thị Test", birth_year: int = 1995, **survivor: object) -> Case:
    fields = {"full_name": full_name, "birth_year": birth_year, "sex": "female", "phone": "", **survivor}
    return services.case_open(by=by, survivor_fields=fields,
                              opened_on=timezone.localdate() - dt.timedelta(days=3))


def record_incident(case: Case, by: Membership, **overrides: object) -> Incident:
    fields: dict[str, object] = {
        "occurred_on": case.opened_on - dt.timedelta(days=1),
        "place_type": Incident.PlaceType.HOME,
        "perpetrator_relationship": Incident.Relationship.HUSBAND_PARTNER,
        "perpetrator_sex": "male",
        "narrative": "Anh ta đánh chị ấy.",
        **overrides,
    }
    answers = fields.pop("answers", {"physical": True})
    return services.incident_record(case=case, by=by, answers=answers, **fields)  # type: ignore[arg-type]


def _cached(cast: Cast, key: str, build):  # type: ignore[no-untyped-def]
    extras = cast.__dict__.setdefault("extras", {})
    if key not in extras:
        extras[key] = build()
    return extras[key]


def case_a(cast: Cast) -> Case:
    """A full case at trusted address A (visible to alice and lan only)."""

    def build() -> Case:
        case = open_case(cast.volunteer_a, full_name=CANARY_NAME, birth_year=1990, phone=CANARY_PHONE,
                         address="Thôn Kon, xã Một", national_id="064190001234")
        record_incident(case, cast.volunteer_a)
        for scope in (Consent.Scope.KEEP_RECORD, Consent.Scope.SHARE_POLICE, Consent.Scope.STATISTICS):
            services.consent_give(case=case, by=cast.volunteer_a, scope=scope,
                                  given_by=Consent.GivenBy.SURVIVOR, given_on=case.opened_on)
        services.risk_assess(case=case, by=cast.volunteer_a, answers={"escalating": True, "knows_location": True})
        services.safety_plan_save(case=case, by=cast.volunteer_a, version=None, checklist=["safe_place"],
                                  plan="Đến nhà trưởng thôn nếu anh ta say.")
        services.service_record(case=case, by=cast.volunteer_a, kind=SupportService.Kind.SHELTER,
                                provided_on=case.opened_on, check_in=case.opened_on,
                                check_out=case.opened_on + dt.timedelta(days=2))
        services.livelihood_record(case=case, by=cast.volunteer_a, support_type="livestock_crops",
                                   programme_model="pilot", beneficiary_group="dv", amount_vnd=5_000_000,
                                   started_on=case.opened_on)
        services.note_add(case=case, by=cast.volunteer_a, text="Chị ấy muốn về nhà mẹ đẻ.")
        return case

    return _cached(cast, "case_a", build)


def case_b(cast: Cast) -> Case:
    """A case at trusted address B: nobody on A's side may see it."""

    def build() -> Case:
        case = open_case(cast.volunteer_b, full_name="Nguyễn Thị B", birth_year=1988)
        record_incident(case, cast.volunteer_b)
        services.consent_give(case=case, by=cast.volunteer_b, scope=Consent.Scope.KEEP_RECORD,
                              given_by=Consent.GivenBy.SURVIVOR, given_on=case.opened_on)
        services.service_record(case=case, by=cast.volunteer_b, kind=SupportService.Kind.COUNSELLING,
                                provided_on=case.opened_on)
        services.livelihood_record(case=case, by=cast.volunteer_b, support_type="vocational",
                                   programme_model="replicated", beneficiary_group="dv", amount_vnd=0,
                                   started_on=case.opened_on)
        services.note_add(case=case, by=cast.volunteer_b, text="Ghi chú B.")
        return case

    return _cached(cast, "case_b", build)
