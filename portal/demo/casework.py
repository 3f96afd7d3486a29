"""Demo cases for ``seed_demo``: fictional survivors and their cases at the demo trusted addresses.

The first of ``portal.demo.BUILDERS``. Every write goes through ``casework.services``, so encryption,
blind indexes, history and object permissions are the real ones.

Every name, phone number, ID number and story here is invented. The people are spread over the
ethnic groups of Kon Tum (Xơ-đăng, Ba-na, Gia-rai, Hrê, Gié-Triêng), with Kinh and HMông (who have
moved to the Central Highlands from the north) as well.

Deterministic and idempotent: each demo case is generated from a seed made of its trusted address's
name and its number there, and its survivor gets a pseudonymous code from the same seed. A survivor
that already has that code means the case was built by an earlier run, so it is counted and skipped.
Dates are counted back from today, over the last three years, never before the address was set up.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from accounts.demo import Demo
from accounts.models import AdminUnit, Membership, Organisation, Role
from casework import services
from casework.deadlines import CHILD_SUPPORT_PLAN_WORKING_DAYS, add_working_days
from casework.ethnicity import Ethnicity
from casework.models import (
    SURVIVOR_CODE_ALPHABET,
    Case,
    Consent,
    Incident,
    LivelihoodSupport,
    SafetyPlan,
    Sex,
    SupportService,
    Survivor,
    YesNoUnknown,
)
from casework.risk import RiskLevel

CASES_PER_ADDRESS = 20
YEARS_BACK = 3

# (ethnicity, family names, given names). Women's names; "Y" (Xơ-đăng, Ba-na) and "H'" (Gia-rai)
# mark a woman's name.
NAMES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (Ethnicity.XO_DANG, ("Y", "Đinh Thị", "A Thị"), ("Bình", "Xuân", "Nhàn", "Hlinh", "Mơ", "Rươi", "Thúy")),
    (Ethnicity.BA_NA, ("Y", "Đinh Thị", "Thị"), ("Blin", "Sương", "Drai", "Hiên", "Nhung", "Kim", "Plui")),
    (Ethnicity.GIA_RAI, ("Ksor", "Siu", "Rơ Châm", "Nay", "Rah Lan"), ("H'Lan", "H'Bia", "H'Mai", "H'Prưk",
                                                                     "H'Nhơ", "H'Wơn")),
    (Ethnicity.KINH, ("Nguyễn Thị", "Trần Thị", "Lê Thị", "Phạm Thị", "Hoàng Thị"),
     ("Hồng", "Mai", "Lan", "Thu", "Hạnh", "Ngọc")),
    (Ethnicity.HMONG, ("Giàng Thị", "Sùng Thị", "Vàng Thị", "Lý Thị", "Thào Thị", "Mùa Thị"),
     ("Mỷ", "Dế", "Sua", "Chu", "Pằng", "Say")),
    (Ethnicity.HRE, ("Đinh Thị", "Phạm Thị"), ("Lơ", "Hiền", "Rin", "Thới")),
    (Ethnicity.GIE_TRIENG, ("Y", "A Thị"), ("Bốc", "Len", "Hoa", "Ngân")),
)
VILLAGES = ("Làng Kon Chênh", "Thôn Măng Pành", "Làng Vi Văng", "Thôn Kon Plinh", "Thôn Măng Bút",
            "Làng Đắk Lanh", "Thôn Kon Năng")
RELATIONSHIP_WORDS = ("mẹ", "bố", "bà ngoại", "chị gái", "cô ruột")
MOBILE_PREFIXES = ("098", "097", "096", "086", "091", "094", "088", "035", "036", "039", "077", "083")

# (GBVIMS answers, relationship, place, harms, story) per kind of incident.
INCIDENTS: dict[str, tuple[dict[str, bool], str, str, tuple[str, ...], tuple[str, ...]]] = {
    "physical": (
        {"physical": True, "psychological": True}, Incident.Relationship.HUSBAND_PARTNER,
        Incident.PlaceType.HOME,
        ("harm_physical", "harm_mental"),
        ("Chồng say rượu về đánh chị bằng gậy tre, chị chạy sang nhà hàng xóm.",
         "Chồng tát và đẩy chị ngã vì chuyện tiền bán mì, trước mặt các con.",
         "Sau bữa rượu ở nhà văn hóa thôn, chồng đánh chị bầm tím hai tay."),
    ),
    "psychological": (
        {"psychological": True}, Incident.Relationship.HUSBAND_PARTNER, Incident.PlaceType.HOME,
        ("harm_mental",),
        ("Chồng thường xuyên chửi mắng, dọa đuổi chị ra khỏi nhà và không cho gặp các con.",
         "Chồng giữ điện thoại, không cho chị đi họp chi hội phụ nữ, dọa sẽ bỏ chị."),
    ),
    "denial": (
        {"denial": True, "psychological": True}, Incident.Relationship.IN_LAW, Incident.PlaceType.HOME,
        ("harm_economic", "harm_mental"),
        ("Gia đình nhà chồng lấy hết tiền bán cà phê, không cho chị đưa con đi trạm y tế.",
         "Chồng bán rẫy mì của chị mà không hỏi ý kiến, không cho chị tiền mua gạo."),
    ),
    "sexual_assault": (
        {"sexual_contact": True}, Incident.Relationship.NEIGHBOUR, Incident.PlaceType.FIELD_FOREST,
        ("harm_sexual", "harm_mental"),
        ("Người quen trong làng sờ soạng, giữ chị lại khi chị đi lấy củi một mình.",),
    ),
    "rape": (
        {"penetration": True}, Incident.Relationship.NEIGHBOUR, Incident.PlaceType.FIELD_FOREST,
        ("harm_sexual", "harm_physical", "harm_mental"),
        ("Em bị một người đàn ông trong thôn cưỡng hiếp trên đường đi học về qua rẫy.",),
    ),
    "forced_marriage": (
        {"forced_marriage": True, "psychological": True}, Incident.Relationship.PARENT,
        Incident.PlaceType.HOME,
        ("harm_mental",),
        ("Gia đình ép em bỏ học để về làm vợ một người trong làng bên.",
         "Bố mẹ nhận lễ và ép em lấy người họ hàng gần."),
    ),
    "trafficking": (
        {"denial": True, "psychological": True}, Incident.Relationship.BROKER,
        Incident.PlaceType.ACROSS_BORDER,
        ("harm_mental", "harm_economic"),
        ("Một người quen rủ chị sang biên giới làm thuê lương cao, đến nơi thì bị giữ giấy tờ và bán "
         "cho một gia đình bên kia biên giới.",
         "Chị được hứa việc làm ở nhà máy, bị đưa qua biên giới và bắt làm việc không công, chị trốn về."),
    ),
    "non_gbv": (
        {}, Incident.Relationship.STRANGER, Incident.PlaceType.ROAD, (),
        ("Chị bị mất trộm xe máy trên đường đi chợ, hoảng sợ nên tìm đến địa chỉ tin cậy.",),
    ),
}

# Risk answers that give each level (casework.risk.assess).
RISK_ANSWERS: dict[str, dict[str, bool]] = {
    RiskLevel.LOW: {"controls_daily": True},
    RiskLevel.MEDIUM: {"escalating": True, "substance_use": True},
    RiskLevel.HIGH: {"escalating": True, "knows_location": True, "children_at_risk": True},
    RiskLevel.SEVERE: {"threat_to_kill": True, "escalating": True, "knows_location": True},
}

SAFETY_PLANS = (
    "Nếu chồng say rượu về, chị bế con sang nhà bà Y Liên, trưởng thôn; gọi công an xã.",
    "Chị để giấy tờ và ít tiền ở nhà mẹ đẻ; mật khẩu với chị gái là “đi lấy măng”.",
    "Chị đi rẫy cùng nhóm phụ nữ, không đi một mình; lưu số đường dây nóng 111 trong máy.",
)
NOTES = (
    "Đã gọi điện hỏi thăm, chị nói tình hình tạm ổn.",
    "Chị muốn về nhà mẹ đẻ ở thôn bên một thời gian.",
    "Đã đi cùng chị lên trạm y tế xã để khám vết thương.",
    "Trưởng thôn đã nói chuyện với gia đình nhà chồng.",
    "Chị tham gia buổi sinh hoạt chi hội phụ nữ, vui vẻ hơn.",
    "Hẹn tuần sau đến thăm nhà, chị đồng ý.",
)
LIVELIHOOD_MODELS = (
    ("livestock_crops", "Mô hình nuôi bò sinh sản, xã Măng Cành"),
    ("livestock_crops", "Mô hình trồng sâm dây, thôn Kon Plinh"),
    ("savings_group", "Tổ tiết kiệm vay vốn thôn bản"),
    ("vocational", "Lớp dệt thổ cẩm truyền thống"),
    ("start_up", "Hỗ trợ vốn mở quầy tạp hóa nhỏ"),
)


@dataclass
class CasePlan:
    """What one demo case will hold; built from a seeded random source, so always the same."""

    number: int
    rng: random.Random
    code: str = ""
    opened_on: dt.date = field(default_factory=timezone.localdate)
    survivor: dict[str, Any] = field(default_factory=dict)
    child: bool = False
    incident_kinds: list[str] = field(default_factory=list)
    risk: str = RiskLevel.LOW
    statistics_consent: bool = True
    withdraw_statistics: bool = False
    support_plan_done: bool = False
    shelter: bool = False
    cash: bool = False
    livelihood: tuple[str, str] | None = None  # (programme model, beneficiary group)
    close_reason: str = ""


def build_demo_cases(demo: Demo) -> None:
    """Build the demo cases at every demo trusted address that has a volunteer or a lead."""
    today = timezone.localdate()
    for address in demo.organisations.values():
        if address.kind != Organisation.Kind.TRUSTED_ADDRESS or not address.is_active:
            continue
        members = _case_workers(demo, address)
        if not members:
            continue
        demo.say(str(address))
        for number in range(CASES_PER_ADDRESS):
            plan = _plan(address, number, today=today)
            existing = Survivor.objects.filter(code=plan.code).first()
            if existing is not None:
                demo.record(existing, created=False)
                for case in existing.cases.all():
                    demo.record(case, created=False)
                continue
            _build_case(demo, address, members, plan, today=today)


def _case_workers(demo: Demo, address: Organisation) -> list[Membership]:
    """The demo's volunteers and lead at ``address``, leads last (in username order otherwise)."""
    found = [
        m for _username, demo_user in sorted(demo.users.items()) for m in demo_user.memberships
        if m.organisation_id == address.pk and m.is_active and m.role in (Role.VOLUNTEER, Role.LEAD)
    ]
    return sorted(found, key=lambda m: m.role == Role.LEAD)


# --- The plan: deterministic from (address, number) ----------------------------------------------


def _plan(address: Organisation, number: int, *, today: dt.date) -> CasePlan:
    # Seeded for repeatability, not secrecy: the demo must build the same cases every time.
    rng = random.Random(f"casework-demo|{address.name}|{number}")  # noqa: S311
    plan = CasePlan(number=number, rng=rng)
    # The real codes' alphabet, so demo codes look like real ones.
    body = "".join(rng.choice(SURVIVOR_CODE_ALPHABET) for _ in range(8))
    plan.code = f"{body[:4]}-{body[4:]}"

    earliest = max(today - dt.timedelta(days=365 * YEARS_BACK), address.established_on or today)
    span = max((today - earliest).days, 1)
    plan.opened_on = earliest + dt.timedelta(days=rng.randrange(span))

    # The first few numbers are the scenarios the demo must show; the rest vary at random.
    scenario = SCENARIOS[number] if number < len(SCENARIOS) else _random_scenario
    scenario(plan, today)
    plan.survivor = _survivor_fields(rng, child=plan.child, opened_on=plan.opened_on, address=address)
    return plan


def _child_overdue(plan: CasePlan, today: dt.date) -> None:
    # Opened three to four weeks ago: the support plan (due in 5 working days) is late.
    plan.opened_on = today - dt.timedelta(days=plan.rng.randint(20, 30))
    plan.child, plan.incident_kinds, plan.risk = True, ["rape"], RiskLevel.HIGH


def _child_on_time(plan: CasePlan, today: dt.date) -> None:
    plan.opened_on = min(plan.opened_on, today - dt.timedelta(days=60))
    plan.child, plan.incident_kinds, plan.risk = True, ["forced_marriage"], RiskLevel.MEDIUM
    plan.support_plan_done = True


def _trafficking(plan: CasePlan, today: dt.date) -> None:
    plan.opened_on = min(plan.opened_on, today - dt.timedelta(days=200))
    plan.incident_kinds, plan.risk = ["trafficking"], RiskLevel.SEVERE
    plan.shelter, plan.cash = True, True
    plan.livelihood = (LivelihoodSupport.Model.REPLICATED, LivelihoodSupport.Group.TRAFFICKING)


def _withdrawn_consent(plan: CasePlan, today: dt.date) -> None:
    plan.opened_on = min(plan.opened_on, today - dt.timedelta(days=90))
    plan.incident_kinds, plan.risk = ["physical", "psychological"], RiskLevel.HIGH
    plan.withdraw_statistics = True


def _closed_safe(plan: CasePlan, today: dt.date) -> None:
    plan.opened_on = min(plan.opened_on, today - dt.timedelta(days=240))
    plan.incident_kinds, plan.risk = ["physical"], RiskLevel.MEDIUM
    plan.shelter = True
    plan.livelihood = (LivelihoodSupport.Model.PILOT, LivelihoodSupport.Group.DOMESTIC_VIOLENCE)
    plan.close_reason = Case.ClosureReason.SAFE


def _no_statistics_consent(plan: CasePlan, today: dt.date) -> None:
    plan.incident_kinds, plan.risk = ["denial"], RiskLevel.LOW
    plan.statistics_consent = False


def _sexual_assault(plan: CasePlan, today: dt.date) -> None:
    plan.incident_kinds, plan.risk = ["sexual_assault"], RiskLevel.MEDIUM
    plan.statistics_consent = True


def _random_scenario(plan: CasePlan, today: dt.date) -> None:
    rng = plan.rng
    kinds = ["physical"] * 5 + ["psychological"] * 3 + ["denial"] * 2 + ["sexual_assault", "trafficking",
                                                                          "non_gbv"]
    plan.incident_kinds = [rng.choice(kinds)]
    if rng.random() < 0.25:
        plan.incident_kinds.append(rng.choice(["physical", "psychological", "denial"]))
    plan.risk = rng.choice([RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.MEDIUM, RiskLevel.HIGH,
                            RiskLevel.SEVERE])
    plan.statistics_consent = rng.random() < 0.85
    plan.shelter = plan.risk in (RiskLevel.HIGH, RiskLevel.SEVERE) and rng.random() < 0.7
    plan.cash = rng.random() < 0.3
    if rng.random() < 0.3:
        group = (LivelihoodSupport.Group.TRAFFICKING if "trafficking" in plan.incident_kinds
                 else LivelihoodSupport.Group.DOMESTIC_VIOLENCE)
        plan.livelihood = (rng.choice(LivelihoodSupport.Model.values), group)
    if (today - plan.opened_on).days > 180 and rng.random() < 0.3:
        plan.close_reason = rng.choice([Case.ClosureReason.SAFE, Case.ClosureReason.MOVED,
                                        Case.ClosureReason.REFERRED])


SCENARIOS: tuple[Callable[[CasePlan, dt.date], None], ...] = (
    _child_overdue, _child_on_time, _trafficking, _withdrawn_consent, _closed_safe, _no_statistics_consent,
    _sexual_assault,
)


def _survivor_fields(
    rng: random.Random, *, child: bool, opened_on: dt.date, address: Organisation,
) -> dict[str, Any]:
    ethnicity, family_names, given_names = rng.choice(NAMES)
    age = rng.randint(12, 15) if child else rng.randint(18, 55)
    born = opened_on - dt.timedelta(days=365 * age + rng.randint(30, 330))
    village = rng.choice(VILLAGES)
    commune = address.area if address.area.level == AdminUnit.Level.COMMUNE else address.area.parent
    fields: dict[str, Any] = {
        "full_name": f"{rng.choice(family_names)} {rng.choice(given_names)}",
        "sex": Sex.FEMALE,
        "ethnicity": ethnicity,
        "disability": rng.choice([YesNoUnknown.NO] * 8 + [YesNoUnknown.YES, YesNoUnknown.UNKNOWN]),
        "commune": commune,
        "address": f"{village}, {commune.name if commune else ''}".strip(", "),
    }
    # Many women know only their birth year; a child's date of birth is usually on her school papers.
    if child or rng.random() < 0.5:
        fields["date_of_birth"] = born
        fields["birth_year"] = born.year
    else:
        fields["birth_year"] = born.year
    if not child and rng.random() < 0.7:
        fields["phone"] = _phone(rng)
    if not child and rng.random() < 0.6:
        century = 1 if born.year < 2000 else 3  # female, by century of birth (citizen ID rules)
        fields["national_id"] = f"062{century}{born.year % 100:02d}{rng.randint(0, 999_999):06d}"
    if child:
        guardian = f"{rng.choice(RELATIONSHIP_WORDS)} {rng.choice(family_names)} {rng.choice(given_names)}"
        fields["guardian_contact"] = f"{guardian[0].upper()}{guardian[1:]}, {_phone(rng)}"
    return fields


def _phone(rng: random.Random) -> str:
    """A made-up ten-digit mobile number, grouped the way people write them: 0981 234 567."""
    prefix, digits = rng.choice(MOBILE_PREFIXES), f"{rng.randrange(10_000_000):07d}"
    return f"{prefix}{digits[0]} {digits[1:4]} {digits[4:]}"


# --- Building one case through the services -----------------------------------------------------


@dataclass
class _CaseBuild:
    """One demo case being filled in: who records it, when, and the plan's random stream."""

    demo: Demo
    case: Case
    plan: CasePlan
    by: Membership
    lead: Membership
    today: dt.date

    @property
    def rng(self) -> random.Random:
        return self.plan.rng

    def later(self, days_max: int) -> dt.date:
        """A day between opening and today, at most ``days_max`` after opening."""
        return min(self.plan.opened_on + dt.timedelta(days=self.rng.randint(0, days_max)), self.today)


def _build_case(demo: Demo, address: Organisation, members: list[Membership], plan: CasePlan, *,
                today: dt.date) -> None:
    by = plan.rng.choice(members)
    case = services.case_open(by=by, opened_on=plan.opened_on,
                              survivor_fields={**plan.survivor, "code": plan.code})
    demo.record(case.survivor, created=True)
    demo.record(case, created=True)
    build = _CaseBuild(demo=demo, case=case, plan=plan, by=by, lead=members[-1], today=today)
    _build_incidents(build)
    _build_consents(build)
    _build_risk_and_safety(build)
    _build_services(build)
    _build_livelihood(build)
    for text in build.rng.sample(NOTES, k=build.rng.randint(1, 2)):
        demo.record(services.note_add(case=case, by=by, text=text), created=True)
    opened_on = plan.opened_on
    if plan.support_plan_done:
        due = add_working_days(opened_on, CHILD_SUPPORT_PLAN_WORKING_DAYS)
        services.support_plan_mark_done(case=case, by=build.lead, on=min(opened_on + dt.timedelta(days=3), due))
    if plan.close_reason:
        services.case_close(case=case, by=build.lead, reason=plan.close_reason,
                            on=min(opened_on + dt.timedelta(days=build.rng.randint(45, 150)), today))


def _build_incidents(build: _CaseBuild) -> None:
    rng = build.rng
    for index, kind in enumerate(build.plan.incident_kinds):
        answers, relationship, place, harms, stories = INCIDENTS[kind]
        occurred_on = build.plan.opened_on - dt.timedelta(days=rng.randint(0, 3) + 30 * index)
        reported = kind in ("physical", "trafficking") and rng.random() < 0.4
        incident = services.incident_record(
            case=build.case, by=build.by, answers=answers, occurred_on=occurred_on, place_type=place,
            perpetrator_relationship=relationship,
            perpetrator_sex=Sex.MALE if kind != "trafficking" or rng.random() < 0.6 else Sex.FEMALE,
            perpetrator_age=rng.choice(Incident.PerpetratorAge.values),
            narrative=rng.choice(stories),
            trafficking=kind == "trafficking",
            consanguineous_marriage=kind == "forced_marriage" and rng.random() < 0.5,
            previously_reported=reported,
            first_reported_on=occurred_on + dt.timedelta(days=1) if reported else None,
            **{harm: True for harm in harms},
        )
        build.demo.record(incident, created=True)


def _build_consents(build: _CaseBuild) -> None:
    plan, rng = build.plan, build.rng
    given_by = Consent.GivenBy.GUARDIAN if plan.child else Consent.GivenBy.SURVIVOR
    guardian = plan.survivor.get("guardian_contact", "").split(",")[0]
    scopes = [Consent.Scope.KEEP_RECORD]
    if plan.statistics_consent or plan.withdraw_statistics:
        scopes.append(Consent.Scope.STATISTICS)
    if plan.child or rng.random() < 0.4:
        scopes.append(Consent.Scope.SHARE_POLICE)
    if plan.child or rng.random() < 0.3:
        scopes.append(Consent.Scope.SHARE_HEALTH)
    for scope in scopes:
        consent = services.consent_give(case=build.case, by=build.by, scope=scope, given_by=given_by,
                                        given_on=plan.opened_on, guardian_name=guardian)
        build.demo.record(consent, created=True)
        if scope == Consent.Scope.STATISTICS and plan.withdraw_statistics:
            services.consent_withdraw(consent=consent, by=build.by, on=build.later(30))


def _build_risk_and_safety(build: _CaseBuild) -> None:
    plan, rng = build.plan, build.rng
    assessment = services.risk_assess(case=build.case, by=build.by, answers=RISK_ANSWERS[plan.risk],
                                      assessed_on=plan.opened_on)
    build.demo.record(assessment, created=True)
    if plan.risk in (RiskLevel.HIGH, RiskLevel.SEVERE) or rng.random() < 0.3:
        checklist = rng.sample(SafetyPlan.Item.values, k=rng.randint(2, 5))
        safety = services.safety_plan_save(case=build.case, by=build.by, version=None, checklist=checklist,
                                           plan=rng.choice(SAFETY_PLANS))
        build.demo.record(safety, created=True)


def _build_services(build: _CaseBuild) -> None:
    plan, rng, opened_on = build.plan, build.rng, build.plan.opened_on
    supports: list[dict[str, Any]] = [
        {"kind": SupportService.Kind.COUNSELLING, "provided_on": opened_on,
         "notes": "Tư vấn về quyền được bảo vệ và các nơi có thể giúp đỡ."},
    ]
    if plan.shelter:
        nights = rng.randint(1, 7)
        supports.append({"kind": SupportService.Kind.SHELTER, "provided_on": opened_on, "check_in": opened_on,
                         "check_out": min(opened_on + dt.timedelta(days=nights), build.today)})
    if plan.cash:
        supports.append({"kind": SupportService.Kind.EMERGENCY_CASH, "provided_on": build.later(7),
                         "amount_vnd": rng.choice([500_000, 1_000_000, 1_500_000, 2_000_000])})
    if rng.random() < 0.3:
        supports.append({"kind": SupportService.Kind.ACCOMPANIMENT, "provided_on": build.later(10),
                         "notes": "Đi cùng chị lên công an xã để trình báo."})
    for fields in supports:
        service = services.service_record(case=build.case, by=build.by, **fields)
        build.demo.record(service, created=True)


def _build_livelihood(build: _CaseBuild) -> None:
    if not build.plan.livelihood:
        return
    rng = build.rng
    model, group = build.plan.livelihood
    support_type, model_name = rng.choice(LIVELIHOOD_MODELS)
    started_on = build.later(90)
    followed = (build.today - started_on).days > 180
    support = services.livelihood_record(
        case=build.case, by=build.by, support_type=support_type, programme_model=model, model_name=model_name,
        beneficiary_group=group, amount_vnd=rng.choice([3_000_000, 5_000_000, 10_000_000, 15_000_000]),
        started_on=started_on,
        followed_up_on=started_on + dt.timedelta(days=180) if followed else None,
        outcome=rng.choice([LivelihoodSupport.Outcome.IMPROVED, LivelihoodSupport.Outcome.STABLE,
                            LivelihoodSupport.Outcome.NO_CHANGE]) if followed else "",
    )
    build.demo.record(support, created=True)

