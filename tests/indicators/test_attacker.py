"""Issue 10: an attacker who downloads every report a role may download must not work out a small count,
nor an attribute of a few people, nor — by downloading again after one person is added or withdrawn —
her profile.

The province is generated through the services (``tests/indicators/dataset.py`` builds each case), with
tiny cells: seven communes of three districts, one to three trusted addresses each, a handful of cases per
address spread over twenty months. Each person has exactly one case, and her support, referral and
livelihood support each fall in one month, so every sum across areas and periods is exact and the
attacker (``tests/indicators/attacker.py``) may use it as an equation. True counts are computed here from
the generated specifications in plain Python, only to check that the attacker is sound.

The module runs on 17 August 2022, in the programme's second year: the form then offers thirty periods
(today it would offer a hundred, and the module would take three times as long), and what the attacker
finds does not drift with the calendar.

``python -m pytest tests/indicators/test_attacker.py -q`` lists every finding in the assertion messages.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import AdminUnit, Membership, Organisation, Role
from casework import services as cw
from casework.models import Case, Consent
from indicators import periods
from indicators.forms import ReportForm
from indicators.report import get_report
from tests import factories as f
from tests.conftest import signed_in
from tests.indicators import attacker
from tests.indicators.attacker import Attack, Downloads, Quantity
from tests.indicators.dataset import (
    GBV_ANSWERS,
    HARMS,
    SERVICE_FOR,
    CaseSpec,
    IncidentSpec,
    LivelihoodSpec,
    Person,
    ReferralSpec,
    ServiceSpec,
    World,
    _build_case,  # the dataset's own builders: every case goes through the services
    _build_referral,
    age_band,
)

# Every test reads the module's database (the lattice tests through the fixtures only).
pytestmark = pytest.mark.django_db

L, K = AdminUnit.Level, Organisation.Kind
TODAY = dt.datetime(2022, 8, 17, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
FIRST_DAY = dt.date(2021, 1, 1)
# District → communes → trusted addresses (a letter each; "a" of the first commune of each district sits
# in a village). Commune 72202 has a single trusted address, 72001 three.
PROVINCE = {
    "720": {"72001": "abc", "72002": "ab", "72003": "ab"},
    "721": {"72101": "ab", "72102": "ab"},
    "722": {"72201": "ab", "72202": "a"},
}
CONTEXTS = ("domestic_violence", "trafficking", "child_marriage", "consanguineous_marriage")
ETHNICITIES = ("01", "01", "01", "13", "14", "10", "08")  # Kinh, Ba-na, Xơ-đăng, Gia-rai, HMông
PARTNERS = (K.COMMUNE_POLICE, K.HEALTH_STATION, K.LEGAL_AID)
# Where the one added person is recorded, and who she is: nobody else has her profile.
ADDED_AT = "72101a"
ADDED = Person(900, "male", "23", "yes", 1950)  # Bru-Vân Kiều, with a disability, 72 years old
ADDED_INCIDENT = IncidentSpec("sexual_assault", {"economic"}, {"trafficking"})


# --- The generated province ----------------------------------------------------------------------


def generate(seed: int = 10) -> list[CaseSpec]:
    """Four to seven cases per trusted address, one per person, opened from January 2021 to three days
    ago; everything that follows a case (support, referral, livelihood support) in one month."""
    rng = random.Random(seed)  # noqa: S311 - a repeatable test dataset
    last = TODAY.date() - dt.timedelta(days=3)
    specs: list[CaseSpec] = []
    number = 0
    for communes in PROVINCE.values():
        for commune, letters in communes.items():
            for letter in letters:
                for _ in range(rng.randint(4, 7)):
                    number += 1
                    person = Person(
                        number,
                        rng.choice(["female"] * 8 + ["male", "unknown"]),
                        rng.choice(ETHNICITIES),
                        rng.choice(["yes", "no", "no", "unknown"]),
                        rng.choice([2010, 2006, 2005, 1995, 1985, 1970, 1955]),
                    )
                    opened_on = FIRST_DAY + dt.timedelta(days=rng.randrange((last - FIRST_DAY).days + 1))
                    consent = rng.choice(["yes"] * 8 + ["no", "withdrawn"])
                    specs.append(_case(rng, f"{commune}{letter}", person, opened_on, consent, last))
    return specs


def _case(rng: random.Random, address: str, person: Person, opened_on: dt.date, consent: str,
          last: dt.date) -> CaseSpec:
    spec = CaseSpec(address, person, opened_on, consent)
    for _ in range(rng.choice([0, 1, 1, 1, 1, 2])):
        spec.incidents.append(
            IncidentSpec(
                rng.choice(list(GBV_ANSWERS)),
                {h for h in HARMS if rng.random() < 0.35},
                {c for c in CONTEXTS if rng.random() < 0.25},
            )
        )
    month_end = periods.month(opened_on.year, opened_on.month).end
    within = (min(month_end, last) - opened_on).days  # support stays in the month the case opened
    for kind, chance in (("counselling", 0.7), ("shelter", 0.3), ("accompaniment", 0.3), ("material", 0.2),
                         ("cash", 0.2)):
        if rng.random() < chance:
            day = opened_on + dt.timedelta(days=rng.randint(0, within))
            spec.services.append(
                ServiceSpec(
                    kind,
                    day,
                    nights=min(rng.randint(0, 6), (last - day).days) if kind == "shelter" else 0,
                    amount=rng.choice([300_000, 500_000]) if kind in ("material", "cash") else None,
                )
            )
    if rng.random() < 0.25:
        spec.livelihood.append(
            LivelihoodSpec(
                rng.choice(["pilot", "replicated"]),
                rng.choice(["dv", "trafficking"]),
                rng.choice(["Nuôi bò sinh sản", "Dệt thổ cẩm", ""]),
                rng.choice([2_000_000, 5_000_000]),
                opened_on + dt.timedelta(days=rng.randint(0, within)),
            )
        )
    if rng.random() < 0.4 and opened_on < last - dt.timedelta(days=2):
        sent = timezone.make_aware(
            dt.datetime.combine(opened_on + dt.timedelta(days=1), dt.time(9, rng.randrange(60)))
        )
        outcome = rng.choice(["completed", "accepted", "declined", "expired", "withdrawn"])
        spec.referrals.append(ReferralSpec(rng.choice(PARTNERS), sent, outcome, hours=rng.choice([1.5, 6, 20])))
    return spec


@dataclass(repr=False)
class Province:
    world: World
    supervisor: Membership  # of district 720's Women's Union
    chain: dict[str, tuple[str, ...]]  # address key → the paths of its commune, district and province

    def members(self) -> dict[str, Membership]:
        return {"analyst": self.world.analyst, "supervisor": self.supervisor}

    def __repr__(self) -> str:
        return f"<Province: {len(self.world.specs)} cases at {len(self.chain)} trusted addresses>"


def build(specs: list[CaseSpec]) -> Province:
    province = f.unit(L.PROVINCE, "Tỉnh Ô Nhỏ", code="72")
    districts, communes, addresses, volunteers, chain = {}, {}, {}, {}, {}
    for district_code, its_communes in PROVINCE.items():
        district = districts[district_code] = f.unit(L.DISTRICT, f"Huyện {district_code}", province,
                                                     code=district_code)
        for position, (commune_code, letters) in enumerate(its_communes.items()):
            commune = communes[commune_code] = f.unit(L.COMMUNE, f"Xã {commune_code}", district,
                                                      code=commune_code)
            for letter in letters:
                key = f"{commune_code}{letter}"
                area = commune
                if position == 0 and letter == "a":
                    area = f.unit(L.VILLAGE, f"Thôn {key}", commune, code=f"{commune_code}-01")
                addresses[key] = f.organisation(
                    K.TRUSTED_ADDRESS, area, f"Địa chỉ tin cậy {key}", established_on=dt.date(2020, 6, 1),
                    programme_status="new" if letter == "a" else "consolidated",
                )
                volunteers[key] = f.member(Role.VOLUNTEER, addresses[key], f"tnv-{key}")
                chain[key] = (commune.path, district.path, province.path)
    partners = {
        K.COMMUNE_POLICE: f.organisation(K.COMMUNE_POLICE, communes["72001"], "Công an xã 72001"),
        K.HEALTH_STATION: f.organisation(K.HEALTH_STATION, communes["72101"], "Trạm y tế xã 72101"),
        K.LEGAL_AID: f.organisation(K.LEGAL_AID, province, "Trợ giúp pháp lý tỉnh"),
    }
    officers = {kind: f.member(Role.PARTNER_OFFICER, org, f"cb-72-{kind}") for kind, org in partners.items()}
    analyst = f.member(Role.PROVINCIAL_ANALYST, f.organisation(K.WOMENS_UNION_PROVINCE, province), "pt-72")
    supervisor = f.member(
        Role.UNION_SUPERVISOR, f.organisation(K.WOMENS_UNION_DISTRICT, districts["720"]), "gs-720"
    )
    world = World(province, districts, communes, addresses, volunteers, partners, officers, analyst, specs)
    referrals = [item for spec in specs for item in _build_case(world, spec)]
    for referral, case in sorted(referrals, key=lambda item: item[0].sent_at):
        _build_referral(world, referral, case)
    return Province(world, supervisor, chain)


# --- The true counts, from the specifications ------------------------------------------------------


def dated(day: dt.date) -> list[str]:
    """The codes of the month, quarter, year and phase a day falls in."""
    codes = [periods.month(day.year, day.month).code, periods.quarter(day.year, (day.month - 1) // 3 + 1).code,
             periods.year(day.year).code]
    return codes + [code for code, (first, last) in periods.PHASES.items() if first <= day.year <= last]


def truth(province: Province) -> dict[Quantity, int]:
    people: dict[Quantity, set[int]] = defaultdict(set)

    def add(population: str, row: str, spec: CaseSpec, day: dt.date) -> None:
        for area in province.chain[spec.address]:
            for code in dated(day):
                people[Quantity(area, code, population, row)].add(spec.person.number)

    for spec in province.world.specs:
        p = spec.person
        if not spec.counted:
            add(attacker.EXCLUDED, "all", spec, spec.opened_on)  # one case per person: cases = people
            continue
        rows = ["all", f"sex:{p.sex}", f"age:{age_band(spec.age)}", f"eth:{p.ethnicity}", f"dis:{p.disability}"]
        rows += [] if p.ethnicity in ("01", "98", "99") else [attacker.MINORITY]
        rows += [] if spec.incidents else ["gbv:none"]
        for incident in spec.incidents:
            rows.append(f"gbv:{incident.gbv_type}")
            harms = set(incident.harms) | ({"sexual"} if incident.gbv_type in ("rape", "sexual_assault") else set())
            rows += [f"harm:{h}" for h in harms]
            contexts = set(incident.contexts)
            if incident.gbv_type == "forced_marriage":  # a forced marriage under the legal age is child marriage
                contexts.discard("child_marriage")
                if spec.age < {"female": 18, "male": 20}.get(p.sex, 18):
                    contexts.add("child_marriage")
            rows += [f"ctx:{c}" for c in contexts]
        for row in rows:
            add("SV", row, spec, spec.opened_on)
        for service in spec.services:
            kinds = ["all", f"kind:{service.kind}"] + (["emergency"] if service.kind in ("material", "cash") else [])
            for row in kinds:
                add("SP", row, spec, service.provided_on)
        for referral in spec.referrals:
            day = timezone.localtime(referral.sent_at).date()
            for row in ("all", f"partner:{referral.partner}"):
                add("RF", row, spec, day)
            for service in SERVICE_FOR[referral.partner]:
                add("RF_SERVICE", f"service:{service}", spec, day)
        for support in spec.livelihood:
            for row in ("all", support.model, support.group, f"{support.model}:{support.group}"):
                add("LV", row, spec, support.started_on)
    return {q: len(who) for q, who in people.items()}


# --- Fixtures ------------------------------------------------------------------------------------


@dataclass(repr=False)
class Built:
    province: Province
    before: Downloads  # everything each role downloads, after the hourly refresh
    true: dict[Quantity, int]

    def __repr__(self) -> str:
        return f"<Built: {self.province!r}, {self.before!r}>"


def refresh() -> None:
    """What production runs every hour."""
    call_command("indicators_refresh", stdout=io.StringIO())


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker) -> Iterator[Built]:
    """The province, counted and downloaded once for the module, rolled back at the end; each test's
    own transaction nests inside. The clock stays on 17 August 2022 for the whole module."""
    with time_machine.travel(TODAY, tick=True), django_db_blocker.unblock(), transaction.atomic():
        province = build(generate())
        refresh()
        yield Built(province, attacker.download(province.members()), truth(province))
        transaction.set_rollback(True)


@pytest.fixture
def province(built: Built, db) -> Province:
    return built.province


@pytest.fixture(scope="module")
def lattice(built: Built) -> dict[str, Attack]:
    """The linear attack on everything each role downloaded."""
    return {name: attacker.attack(built.before.of(name), today=TODAY.date()) for name in built.province.members()}


ROLES = ["analyst", "supervisor"]


# --- The province and the downloads ------------------------------------------------------------------


def test_the_generated_province_has_one_case_per_person_and_many_tiny_cells(built, province):
    numbers = [spec.person.number for spec in province.world.specs]
    assert len(numbers) == len(set(numbers)) == Case.objects.filter(trusted_address__area__path__startswith=
                                                                      province.world.province.path).count()
    tiny = [q for q, n in built.true.items() if 1 <= n <= 4 and q.population == "SV"]
    assert len(tiny) > 500, len(tiny)
    assert {spec.consent for spec in province.world.specs} == {"yes", "no", "withdrawn"}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_downloads_every_area_and_period_the_form_offers(built, province, role):
    membership = province.members()[role]
    form = ReportForm(None, membership=membership)
    area_keys = [key for key, _label in form.fields["area"].widget.choices]
    views = built.before.of(role)
    assert {area for area, _period in built.before.offered[role]} == set(area_keys)
    assert len(views) == len(built.before.offered[role]) > 50
    expected_areas = 11 if role == "analyst" else 4  # the province, 3 districts, 7 communes; or 720 and its 3
    assert len(area_keys) == expected_areas
    numbers = sum(1 for v in views for seen in v.observations if seen.value is not None)
    assert numbers > 20  # the attacker reads real figures


@pytest.mark.parametrize(("role", "area"), [("analyst", "p72"), ("supervisor", "c72001")])
def test_the_csv_download_shows_exactly_the_figures_the_attacker_reads(built, province, role, area):
    membership = province.members()[role]
    # The latest quarter the form offers (whichever periods the product releases).
    period = max(p for a, p in built.before.offered[role] if a == area and "-Q" in p)
    response = signed_in(membership).get(reverse("indicators:download-csv"), {"area": area, "period": period})
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    form = ReportForm({"area": area, "period": period}, membership=membership)
    assert form.is_valid()
    with translation.override("vi"):
        report = get_report(form.cleaned_data["area"], form.cleaned_data["period"])
        tables = list(report.tables())
        titles = [str(t.title) for t in tables]
    view = built.before.reports[(area, period)]
    position, compared, protected = 0, 0, 0
    for table, title in zip(tables, titles, strict=True):
        position = lines.index([title], position) + 2  # the title, then the header
        for row in table.rows:
            line = lines[position]
            position += 1
            # Each figure column is followed by its flag column: a number, or an empty value and its mark.
            pairs = list(zip(line[2::2], line[3::2], strict=True))
            for column, (text, flag) in zip(table.columns, pairs, strict=True):
                cell = table.cell(row.key, column.key)
                if cell is None:
                    assert text == flag == ""
                    continue
                figure = report.figure(cell)
                if figure.value is None:
                    assert (text, flag) == ("", figure.text), (table.code, row.key)
                else:
                    assert float(text) == figure.value and flag == "", (table.code, row.key)
                if (table.code, row.key, column.key) in view.cells:
                    assert view.cells[(table.code, row.key, column.key)] == figure.text
                    compared += 1
                    protected += figure.value is None
    assert compared > 100 and protected > 10


# --- The lattice attack --------------------------------------------------------------------------


def _sound(built: Built, result: Attack) -> None:
    """If this fails the attacker assumed something false: the test is wrong, not the product."""
    wrong = attacker.unsound(result, lambda q: built.true.get(q, 0))
    assert not wrong, f"the attacker is unsound ({len(wrong)}), fix the test first:{attacker.listing(wrong)}"


@pytest.mark.parametrize("role", ROLES)
def test_the_attacker_is_sound_every_interval_holds_the_true_count(built, lattice, role):
    result = lattice[role]
    _sound(built, result)
    assert result.relations > 1000 and result.narrowed > 0, result.summary()


@pytest.mark.parametrize("role", ROLES)
def test_the_attacker_finds_small_counts_where_the_figures_are_exact(built, role):
    """Not an empty attack: the same downloads, every shown figure replaced by the true count (what a
    rule without perturbation would show, the marks unchanged), give small counts away."""
    views = []
    for view in built.before.of(role):
        observations = []
        for seen in view.observations:
            if seen.value is not None and seen.text not in ("×", "–") and not seen.text.startswith("<"):
                true = built.true.get(seen.quantity, 0)
                seen = dataclasses.replace(seen, value=true, text=str(true))
            observations.append(seen)
        views.append(dataclasses.replace(view, observations=observations))
    result = attacker.attack(views, today=TODAY.date(), d=0)
    assert result.exact_small_counts, result.summary()


@pytest.mark.parametrize("role", ROLES)
def test_no_small_count_can_be_worked_out_from_every_report_together(built, lattice, role):
    result = lattice[role]
    _sound(built, result)
    found = len(result.exact_small_counts)
    assert found == 0, (
        f"{role}: {found} exact small counts worked out from "
        f"{len(built.before.of(role))} reports ({result.summary()}):{attacker.listing(result.exact_small_counts)}"
    )


@pytest.mark.parametrize("role", ROLES)
def test_no_attribute_of_fewer_than_k_people_can_be_worked_out(built, lattice, role):
    result = lattice[role]
    _sound(built, result)
    found = len(result.attributes)
    assert found == 0, (
        f"{role}: {found} attribute disclosures ({result.summary()}):"
        f"{attacker.listing(result.attributes)}"
    )


# --- The difference attack -----------------------------------------------------------------------


def _diff(built: Built, province: Province, what: str) -> None:
    refresh()
    after = attacker.download(province.members())
    lines, disclosed = [], 0
    for role in ROLES:
        changed = attacker.changes(built.before.of(role), after.of(role))
        profile = attacker.profile_disclosures(changed)
        figures = {c.figure for c in changed}
        kinds = ", ".join(f"{sum(c.kind == kind for c in profile)} {kind}"
                          for kind in ("number", "mark", "listing"))
        lines.append(f"{role}: {len(changed)} cells in {len({c.report for c in changed})} reports changed "
                     f"({len(figures)} figures), {len(profile)} profile figures disclose her ({kinds}):"
                     f"{attacker.listing(profile, limit=25)}")
        disclosed += len(profile)
    assert disclosed == 0, f"{what}:\n" + "\n".join(lines)


def _past_month(built: Built) -> periods.Period:
    """The latest month before this one that the form offers."""
    current = periods.month(TODAY.year, TODAY.month).code
    months = sorted({p for _a, p in built.before.offered["analyst"]
                     if len(p) == 7 and p[4] == "-" and p[5:].isdigit() and p < current})
    assert months, "the form offers no past month"
    return periods.parse(months[-1])


def _add_one(province: Province, on: dt.date) -> None:
    spec = CaseSpec(ADDED_AT, ADDED, on, "yes", incidents=[ADDED_INCIDENT])
    _build_case(province.world, spec)
    added = Case.objects.get(trusted_address=province.world.addresses[ADDED_AT], opened_on=on,
                             survivor__birth_year=ADDED.birth_year)
    assert added.consents.current().filter(scope=Consent.Scope.STATISTICS).exists()  # she is counted


def test_a_late_case_in_a_past_month_changes_no_profile_figure(built, province):
    month = _past_month(built)
    _add_one(province, month.start + dt.timedelta(days=14))
    _diff(built, province, f"adding one consented case (a man, Bru-Vân Kiều, 72, disabled, sexual assault, "
                           f"trafficking) late, in {month.code}")


def test_a_case_this_month_changes_no_profile_figure(built, province):
    _add_one(province, TODAY.date())
    _diff(built, province, "adding one consented case (a man, Bru-Vân Kiều, 72, disabled, sexual assault, "
                           f"trafficking) today, {TODAY.date()}")


def test_a_withdrawn_consent_changes_no_profile_figure(built, province):
    month = _past_month(built)
    opened = defaultdict(list)
    for spec in province.world.specs:
        opened[(spec.address, spec.opened_on)].append(spec)
    # A counted case of the latest offered past month (or the latest before it) that is easy to find again.
    spec = max(
        (s for s in province.world.specs
         if s.counted and s.opened_on <= month.end and len(opened[(s.address, s.opened_on)]) == 1),
        key=lambda s: s.opened_on,
    )
    case = Case.objects.get(trusted_address=province.world.addresses[spec.address], opened_on=spec.opened_on)
    by = province.world.volunteers[spec.address]
    cw.consent_withdraw(consent=case.consents.get(scope=Consent.Scope.STATISTICS), by=by)
    p = spec.person
    _diff(built, province, f"withdrawing the consent to statistics of one case ({p.sex}, ethnicity {p.ethnicity}, "
                           f"age {age_band(spec.age)}, disability {p.disability}) opened {spec.opened_on}")
