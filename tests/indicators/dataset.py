"""A generated programme, built through the services, and the figures it should give — computed in
plain Python from the generated specifications, never from the database.

The world: province 71 → district 710 (commune 71001 with addresses A (in a village) and C, commune 71002
with B and D) and district 711 (commune 71101 with E and F); a police station, a health station and a
legal-aid centre with an officer each. Cases are opened from January 2025 to October 2026; some people
have cases at two trusted addresses (same name and birth year, so the same blind index).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import time_machine
from django.utils import timezone

from accounts.models import AdminUnit, Membership, Organisation, Role
from casework import services as cw
from casework.models import Consent
from indicators.periods import Period
from referrals import services as rf
from referrals.models import Action, Referral
from tests import factories as f

L, K = AdminUnit.Level, Organisation.Kind
GBV_ANSWERS = {
    "rape": {"penetration": True},
    "sexual_assault": {"sexual_contact": True},
    "physical_assault": {"physical": True},
    "forced_marriage": {"forced_marriage": True},
    "denial_of_resources": {"denial": True},
    "psychological_abuse": {"psychological": True},
    "non_gbv": {},
}
HARMS = ("physical", "mental", "sexual", "economic")
CONTEXTS = ("domestic_violence", "trafficking", "child_marriage", "consanguineous_marriage")
ETHNICITIES = ("01", "13", "14", "10", "08")  # Kinh, Ba-na, Xơ-đăng, Gia-rai, HMông
PARTNER_SCOPE = {
    K.COMMUNE_POLICE: Consent.Scope.SHARE_POLICE,
    K.HEALTH_STATION: Consent.Scope.SHARE_HEALTH,
    K.LEGAL_AID: Consent.Scope.SHARE_LEGAL_AID,
}
SERVICE_FOR = {
    K.COMMUNE_POLICE: ["police_protection"],
    K.HEALTH_STATION: ["medical_care", "psychosocial"],
    K.LEGAL_AID: ["legal_aid"],
}
ADDRESSES = {  # key: (commune code, in a village?, established on, programme status)
    "A": ("71001", True, dt.date(2022, 5, 1), "new"),
    "C": ("71001", False, dt.date(2018, 3, 8), "consolidated"),
    "B": ("71002", False, dt.date(2025, 4, 15), "new"),
    "D": ("71002", True, dt.date(2017, 6, 1), "consolidated"),
    "E": ("71101", False, dt.date(2024, 9, 9), "new"),
    "F": ("71101", False, dt.date(2019, 1, 1), "consolidated"),
}


@dataclass
class Person:
    number: int
    sex: str
    ethnicity: str
    disability: str
    birth_year: int

    @property
    def name(self) -> str:
        return f"Người Thử Nghiệm Số {self.number}"


@dataclass
class IncidentSpec:
    gbv_type: str
    harms: set[str]
    contexts: set[str]


@dataclass
class ServiceSpec:
    kind: str
    provided_on: dt.date
    nights: int = 0
    amount: int | None = None


@dataclass
class LivelihoodSpec:
    model: str
    group: str
    name: str
    amount: int
    started_on: dt.date


@dataclass
class ReferralSpec:
    partner: str  # organisation kind
    sent_at: dt.datetime
    outcome: str  # completed, accepted, declined, expired, waiting, withdrawn
    hours: float = 0.0  # to acceptance


@dataclass
class CaseSpec:
    address: str
    person: Person
    opened_on: dt.date
    consent: str  # "yes", "no" or "withdrawn"
    incidents: list[IncidentSpec] = field(default_factory=list)
    services: list[ServiceSpec] = field(default_factory=list)
    livelihood: list[LivelihoodSpec] = field(default_factory=list)
    referrals: list[ReferralSpec] = field(default_factory=list)

    @property
    def counted(self) -> bool:
        return self.consent == "yes"

    @property
    def age(self) -> int:
        return self.opened_on.year - self.person.birth_year


# --- Generating the specifications ---------------------------------------------------------------


def generate(seed: int = 8, cases: int = 60, today: dt.date | None = None) -> list[CaseSpec]:
    today = today or timezone.localdate()
    rng = random.Random(seed)  # noqa: S311 - a repeatable test dataset
    people = [
        Person(
            n,
            rng.choice(["female"] * 8 + ["male", "unknown"]),
            rng.choice(ETHNICITIES),
            rng.choice(["yes", "no", "no", "unknown"]),
            rng.choice([2012, 2009, 2008, 1990, 1985, 1970, 1960, 2000]),
        )
        for n in range(45)
    ]
    specs: list[CaseSpec] = []
    first, last = dt.date(2025, 1, 1), min(dt.date(2026, 10, 31), today - dt.timedelta(days=2))
    for number in range(cases):
        person = people[number % len(people)]  # the first 15 people have two cases
        address = rng.choice(list(ADDRESSES))
        established = ADDRESSES[address][2]
        start = max(first, established)
        opened_on = start + dt.timedelta(days=rng.randrange((last - start).days))
        spec = CaseSpec(address, person, opened_on, rng.choice(["yes"] * 6 + ["no", "withdrawn"]))
        for _ in range(rng.choice([1, 1, 1, 2])):
            spec.incidents.append(
                IncidentSpec(
                    rng.choice(list(GBV_ANSWERS)),
                    {h for h in HARMS if rng.random() < 0.35},
                    {c for c in CONTEXTS if rng.random() < 0.25},
                )
            )
        limit = min(today, opened_on + dt.timedelta(days=120))
        for kind in ("counselling", "shelter", "accompaniment", "material", "cash"):
            if kind == "counselling" or rng.random() < 0.3:
                day = opened_on + dt.timedelta(days=rng.randrange(max((limit - opened_on).days, 1)))
                spec.services.append(
                    ServiceSpec(
                        kind,
                        day,
                        nights=rng.randint(0, 6) if kind == "shelter" else 0,
                        amount=rng.choice([300_000, 500_000, 1_000_000])
                        if kind in ("material", "cash")
                        else None,
                    )
                )
        if rng.random() < 0.3:
            spec.livelihood.append(
                LivelihoodSpec(
                    rng.choice(["pilot", "replicated"]),
                    rng.choice(["dv", "trafficking"]),
                    rng.choice(["Nuôi bò sinh sản", "Dệt thổ cẩm", "Trồng sâm dây", ""]),
                    rng.choice([0, 2_000_000, 5_000_000]),
                    opened_on + dt.timedelta(days=rng.randrange(20)),
                )
            )
        if rng.random() < 0.45 and opened_on < today - dt.timedelta(days=5):
            sent = timezone.make_aware(
                dt.datetime.combine(opened_on + dt.timedelta(days=1), dt.time(9, rng.randrange(60)))
            )
            outcome = rng.choice(["completed", "completed", "accepted", "declined", "expired", "withdrawn"])
            spec.referrals.append(
                ReferralSpec(
                    rng.choice([K.COMMUNE_POLICE, K.HEALTH_STATION, K.LEGAL_AID]),
                    sent,
                    outcome,
                    hours=rng.choice([1.5, 3, 6, 20]),
                )
            )
        specs.append(spec)
    # Two referrals still waiting for an answer, sent an hour ago.
    recent = timezone.localtime() - dt.timedelta(hours=1)
    for spec in specs[-2:]:
        spec.referrals = [ReferralSpec(K.HEALTH_STATION, recent, "waiting")]
    return specs


# --- Building it through the services ----------------------------------------------------------------


@dataclass
class World:
    province: AdminUnit
    districts: dict[str, AdminUnit]
    communes: dict[str, AdminUnit]
    addresses: dict[str, Organisation]
    volunteers: dict[str, Membership]
    partners: dict[str, Organisation]
    officers: dict[str, Membership]
    analyst: Membership
    specs: list[CaseSpec]


def build_world(specs: list[CaseSpec]) -> World:
    province = f.unit(L.PROVINCE, "Tỉnh Số Liệu", code="71")
    districts = {
        "710": f.unit(L.DISTRICT, "Huyện Một", province, code="710"),
        "711": f.unit(L.DISTRICT, "Huyện Hai", province, code="711"),
    }
    communes = {
        "71001": f.unit(L.COMMUNE, "Xã Một Một", districts["710"], code="71001"),
        "71002": f.unit(L.COMMUNE, "Xã Một Hai", districts["710"], code="71002"),
        "71101": f.unit(L.COMMUNE, "Xã Hai Một", districts["711"], code="71101"),
    }
    addresses, volunteers = {}, {}
    for key, (commune, in_village, established, status) in ADDRESSES.items():
        area = communes[commune]
        if in_village:
            area = f.unit(L.VILLAGE, f"Thôn {key}", area, code=f"{commune}-{ord(key):02d}")
        addresses[key] = f.organisation(
            K.TRUSTED_ADDRESS,
            area,
            f"Địa chỉ tin cậy {key}",
            established_on=established,
            programme_status=status,
        )
        volunteers[key] = f.member(Role.VOLUNTEER, addresses[key], f"tnv-{key.lower()}")
    partners = {
        K.COMMUNE_POLICE: f.organisation(K.COMMUNE_POLICE, communes["71001"], "Công an xã Một Một"),
        K.HEALTH_STATION: f.organisation(K.HEALTH_STATION, communes["71002"], "Trạm y tế xã Một Hai"),
        K.LEGAL_AID: f.organisation(K.LEGAL_AID, province, "Trợ giúp pháp lý tỉnh"),
    }
    officers = {kind: f.member(Role.PARTNER_OFFICER, org, f"cb-{kind}") for kind, org in partners.items()}
    union = f.organisation(K.WOMENS_UNION_PROVINCE, province, "Hội LHPN tỉnh Số Liệu")
    analyst = f.member(Role.PROVINCIAL_ANALYST, union, "phan-tich-so-lieu")
    world = World(province, districts, communes, addresses, volunteers, partners, officers, analyst, specs)
    referrals: list[tuple[ReferralSpec, object]] = []
    for spec in specs:
        referrals += [(r, case) for r, case in _build_case(world, spec)]
    for r, case in sorted(referrals, key=lambda item: item[0].sent_at):
        _build_referral(world, r, case)
    return world


def _build_case(world: World, spec: CaseSpec) -> Iterable[tuple[ReferralSpec, object]]:
    by = world.volunteers[spec.address]
    person = spec.person
    case = cw.case_open(
        by=by,
        opened_on=spec.opened_on,
        survivor_fields={
            "full_name": person.name,
            "birth_year": person.birth_year,
            "sex": person.sex,
            "ethnicity": person.ethnicity,
            "disability": person.disability,
        },
    )
    for incident in spec.incidents:
        cw.incident_record(
            case=case,
            by=by,
            answers=GBV_ANSWERS[incident.gbv_type],
            occurred_on=spec.opened_on,
            place_type="home",
            perpetrator_relationship="stranger",
            perpetrator_sex="male",
            **{f"harm_{h}": True for h in incident.harms},
            **{c: True for c in incident.contexts},
        )
    scopes = [Consent.Scope.KEEP_RECORD] + ([Consent.Scope.STATISTICS] if spec.consent != "no" else [])
    scopes += sorted({PARTNER_SCOPE[r.partner] for r in spec.referrals})
    for scope in scopes:
        consent = cw.consent_give(case=case, by=by, scope=scope, given_by="survivor", given_on=spec.opened_on)
        if scope == Consent.Scope.STATISTICS and spec.consent == "withdrawn":
            cw.consent_withdraw(consent=consent, by=by, on=spec.opened_on)
    for service in spec.services:
        extra: dict[str, object] = {}
        if service.kind == "shelter":
            extra = {
                "check_in": service.provided_on,
                "check_out": service.provided_on + dt.timedelta(days=service.nights),
            }
        if service.amount is not None:
            extra["amount_vnd"] = service.amount
        cw.service_record(case=case, by=by, kind=service.kind, provided_on=service.provided_on, **extra)
    for support in spec.livelihood:
        cw.livelihood_record(
            case=case,
            by=by,
            support_type="livestock_crops",
            programme_model=support.model,
            model_name=support.name,
            beneficiary_group=support.group,
            amount_vnd=support.amount,
            started_on=support.started_on,
        )
    return [(r, case) for r in spec.referrals]


def _build_referral(world: World, spec: ReferralSpec, case: object) -> None:
    by = world.volunteers[next(k for k, o in world.addresses.items() if o.pk == case.trusted_address_id)]
    partner, officer = world.partners[spec.partner], world.officers[spec.partner]
    with time_machine.travel(spec.sent_at, tick=False):
        referral = rf.referral_create(
            case=case,
            partner=partner,
            by=by,
            services=SERVICE_FOR[spec.partner],
            urgency=Referral.Urgency.ROUTINE,
            reason="",
            shared_fields=["code"],
        )
        referral = rf.referral_send(referral=referral, by=by)
    if spec.outcome in ("completed", "accepted"):
        with time_machine.travel(spec.sent_at + dt.timedelta(hours=spec.hours), tick=False):
            referral = rf.referral_act(referral=referral, action=Action.ACCEPT, by=officer)
        if spec.outcome == "completed":
            with time_machine.travel(spec.sent_at + dt.timedelta(hours=spec.hours + 30), tick=False):
                referral = rf.referral_act(referral=referral, action=Action.START, by=officer)
                rf.referral_act(referral=referral, action=Action.COMPLETE, by=officer, note="Đã hỗ trợ.")
    elif spec.outcome == "declined":
        with time_machine.travel(spec.sent_at + dt.timedelta(hours=2), tick=False):
            rf.referral_act(
                referral=referral, action=Action.DECLINE, by=officer, note="Không thuộc thẩm quyền."
            )
    elif spec.outcome == "withdrawn":
        with time_machine.travel(spec.sent_at + dt.timedelta(hours=1), tick=False):
            rf.referral_act(referral=referral, action=Action.WITHDRAW, by=by, note="Chị đổi ý.")
    elif spec.outcome == "expired":
        with time_machine.travel(spec.sent_at + dt.timedelta(hours=30), tick=False):
            rf.referrals_expire_overdue()


# --- The expected figures, from the specifications alone -----------------------------------------------


def age_band(age: int) -> str:
    if age < 16:
        return "0-15"
    if age < 18:
        return "16-17"
    return "18-59" if age < 60 else "60+"


def commune_of(address: str) -> str:
    return ADDRESSES[address][0]


def district_of(address: str) -> str:
    return commune_of(address)[:3]


def in_period(day: dt.date, period: Period) -> bool:
    return period.start <= day <= period.end


def expected(world: World, area: AdminUnit, period: Period) -> dict[tuple[str, str, str], float | None]:
    """The report's raw figures, cell by cell, for ``area`` (province, district or commune)."""

    def column_of(address: str) -> str | None:
        if area.level == L.PROVINCE:
            return world.districts[district_of(address)].path
        if area.level == L.DISTRICT:
            return world.communes[commune_of(address)].path
        return None

    def inside(address: str) -> bool:
        return world.addresses[address].area.path.startswith(area.path)

    total = area.path
    out: dict[tuple[str, str, str], float | None] = {}
    people: dict[tuple[str, str, str], set[int]] = defaultdict(set)

    def add(table: str, row: str, address: str, who: int) -> None:
        people[(table, row, total)].add(who)
        column = column_of(address)
        if column:
            people[(table, row, column)].add(who)

    new = [s for s in world.specs if s.counted and inside(s.address) and in_period(s.opened_on, period)]
    # Minority groups with fewer than k = 5 survivors in the whole province in the period are counted
    # together ("other"), in the report of every area of the province.
    in_province: dict[str, set[int]] = defaultdict(set)
    for spec in world.specs:
        if spec.counted and in_period(spec.opened_on, period):
            in_province[spec.person.ethnicity].add(spec.person.number)
    for spec in new:
        p = spec.person
        add("SV", "all", spec.address, p.number)
        for incident in spec.incidents or []:
            add("SV_GBV", f"gbv:{incident.gbv_type}", spec.address, p.number)
            harms = set(incident.harms) | (
                {"sexual"} if incident.gbv_type in ("rape", "sexual_assault") else set()
            )
            for harm in harms:
                add("SV_HARM", f"harm:{harm}", spec.address, p.number)
            contexts = set(incident.contexts)
            if incident.gbv_type == "forced_marriage":
                # Law on Marriage and Family, art. 8: forced marriage under 18 (a man: 20) is child marriage.
                contexts.discard("child_marriage")
                if spec.age < {"female": 18, "male": 20}.get(p.sex, 18):
                    contexts.add("child_marriage")
            for context in contexts:
                add("SV_CTX", f"ctx:{context}", spec.address, p.number)
        add("SV_SEX", f"sex:{p.sex}", spec.address, p.number)
        add("SV_AGE", f"age:{age_band(spec.age)}", spec.address, p.number)
        listed = p.ethnicity in ("01", "98", "99") or len(in_province[p.ethnicity]) >= 5
        add("SV_ETH", f"eth:{p.ethnicity if listed else 'other'}", spec.address, p.number)
        if p.ethnicity != "01":
            add("SV_ETH", "eth:minority", spec.address, p.number)
        add("SV_DIS", f"dis:{p.disability}", spec.address, p.number)
    for sub in period.children():
        out[("SV_PERIOD", sub.code, total)] = len(
            {s.person.number for s in new if in_period(s.opened_on, sub)}
        )
    out[("SV_EXCLUDED", "all", total)] = sum(
        1 for s in world.specs if not s.counted and inside(s.address) and in_period(s.opened_on, period)
    )

    # Support given in the period.
    amounts: dict[tuple[str, str], int] = defaultdict(int)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for spec in world.specs:
        if not (spec.counted and inside(spec.address)):
            continue
        for service in spec.services:
            if not in_period(service.provided_on, period):
                continue
            rows = ["all", f"kind:{service.kind}"] + (
                ["emergency"] if service.kind in ("material", "cash") else []
            )
            for row in rows:
                add("SP", row, spec.address, spec.person.number)
                counts[(row, "services")] += 1
                amounts[(row, "amount")] += service.amount or 0
                if service.kind == "shelter":
                    amounts[(row, "nights")] += service.nights
    for (row, measure), value in counts.items():
        out[("SP_MEASURE", row, measure)] = value
    for (row, measure), value in amounts.items():
        if measure == "nights" and row != "kind:shelter":
            continue
        if measure == "amount" and row not in ("emergency", "kind:material", "kind:cash"):
            continue
        out[("SP_MEASURE", row, measure)] = value

    # Referrals sent in the period.
    outcome: dict[tuple[str, str], int] = defaultdict(int)
    hours: dict[str, list[float]] = defaultdict(list)
    partners: dict[str, set[str]] = defaultdict(set)
    for spec in world.specs:
        if not (spec.counted and inside(spec.address)):
            continue
        for r in spec.referrals:
            if not in_period(timezone.localtime(r.sent_at).date(), period):
                continue
            for row in ("all", f"partner:{r.partner}"):
                add("RF", row, spec.address, spec.person.number)
                outcome[(row, "sent")] += 1
                accepted = r.outcome in ("completed", "accepted")
                outcome[(row, "accepted")] += accepted
                outcome[(row, "completed")] += r.outcome == "completed"
                outcome[(row, "declined")] += r.outcome == "declined"
                outcome[(row, "expired")] += r.outcome == "expired"
                outcome[(row, "other")] += r.outcome in ("waiting", "withdrawn")
                if accepted:
                    hours[row].append(r.hours)
                partners[row].add(r.partner)
            for service in SERVICE_FOR[r.partner]:
                people[("RF_SERVICE", f"service:{service}", "persons")].add(spec.person.number)
                outcome[(f"service:{service}", "referrals")] += 1
    for (row, measure), value in outcome.items():
        table = "RF_SERVICE" if row.startswith("service:") else "RF_OUT"
        out[(table, row, measure)] = value
    for row, values in hours.items():
        values.sort()
        middle = len(values) // 2
        out[("RF_OUT", row, "hours")] = (
            values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
        )
    for row, kinds in partners.items():
        out[("RF_OUT", row, "partners")] = len(kinds)

    # Livelihood support started in the period.
    models: dict[str, set[str]] = defaultdict(set)
    lv_amounts: dict[str, int] = defaultdict(int)
    for spec in world.specs:
        if not (spec.counted and inside(spec.address)):
            continue
        for support in spec.livelihood:
            if not in_period(support.started_on, period):
                continue
            for row in ("all", support.model, support.group, f"{support.model}:{support.group}"):
                add("LV", row, spec.address, spec.person.number)
            for row in ("all", support.model):
                lv_amounts[row] += support.amount
                if support.name:
                    models[row].add(support.name)
    for row, value in lv_amounts.items():
        out[("LV_MEASURE", row, "amount")] = value
    for row, names in models.items():
        out[("LV_MEASURE", row, "models")] = len(names)

    for key, who in people.items():
        out[key] = len(who)

    # Trusted addresses (all of them are active organisations here).
    for sub in period.children():
        out[("TA_PERIOD", sub.code, total)] = sum(
            1
            for key, (_c, _v, established, status) in ADDRESSES.items()
            if inside(key) and status == "new" and in_period(established, sub)
        )
    for key, (_commune, _village, established, status) in ADDRESSES.items():
        if not inside(key) or established > period.end:
            continue
        active = any(
            s.counted and s.address == key and s.opened_on <= period.end for s in world.specs
        ) or any(
            s.counted and s.address == key and any(in_period(v.provided_on, period) for v in s.services)
            for s in world.specs
        )
        rows = (
            ["total"]
            + (["new"] if status == "new" and established >= period.start else [])
            + (["consolidated"] if status == "consolidated" else [])
            + (["active"] if active else [])
        )
        for row in rows:
            for column in filter(None, (total, column_of(key))):
                out[("TA", row, column)] = out.get(("TA", row, column), 0) + 1
    return out
