"""Casework benchmark: fill a dedicated PostgreSQL database with synthetic cases, then measure what a
volunteer's phone waits for.

    .venv/bin/python -m bench.casework --cases 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/diachi_bench .venv/bin/python -m bench.casework \\
        --cases 1000000 --json var/bench-1m.json

See bench/README.md for what is filled, what is measured and how to read the table. The database name
must contain "bench": the script creates, migrates and (with ``--reset``) drops it, so it refuses to
touch the development or test databases.

The fill writes synthetic rows with ``bulk_create`` in batches. ``bulk_create`` calls each field's
``pre_save()`` (Django's SQLInsertCompiler does, for every object), so every encrypted column is
sealed and bound to its row exactly as ``save()`` would; object permissions are inserted as
CaseGroupObjectPermission rows with the permission ids looked up once. The synthetic fill writes no
history rows (the list and case pages never read history); the few cases built for the case-page
measurement go through ``casework.services`` and have their full history.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/diachi_bench"
# Throwaway keys for synthetic data only, so a bench database stays readable whichever checkout runs
# it. Used only when the environment gives none; the script refuses production mode.
BENCH_FIELD_KEYS = "bench1:YmVuY2gta2V5LW5vdC1hLXNlY3JldC0zMi1ieXRlcyE="
BENCH_BLIND_INDEX_KEY = "YmVuY2gtYmxpbmQtaW5kZXgta2V5LTMyLWJ5dGVzLi4uLg=="

PROVINCE_CODE = "99"
PROVINCE_NAME = "Tỉnh Thử nghiệm hiệu năng"
PROGRAMME_ADDRESSES = 1400  # about the national count of trusted addresses at the end of 2023
HEAVY_CASES = 2000
TYPICAL_USERNAME = "bench-typical"
HEAVY_USERNAME = "bench-heavy"
DETAIL_CODE = "BENCH-DETAIL"
SEED = 20251122

# casework.models.SURVIVOR_CODE_ALPHABET, copied: this module loads no Django model at import time
# (settings are chosen in main()); tests/bench/test_bench_smoke.py keeps the two equal.
_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
_CODE_SPACE = len(_CODE_ALPHABET) ** 8
# Coprime with 25**8, so index → code is one-to-one: synthetic codes never collide.
_CODE_STEP = 2_654_435_761

_FAMILY = ("Y", "Đinh Thị", "Nguyễn Thị", "Ksor", "Siu", "Giàng Thị", "A Thị", "Trần Thị", "Rơ Châm")
_GIVEN = ("Bình", "H'Lan", "Mai", "Sương", "Mỷ", "Hồng", "Blin", "H'Bia", "Nhàn", "Thu", "Drai")


class BenchError(Exception):
    """A run that cannot go ahead as asked; the message is for the operator."""


# --- Database: the dedicated bench database only ---------------------------------------------------


def prepare_environment(url: str) -> str:
    """Point Django at the bench database, in development mode, with the bench's throwaway keys unless
    the environment gives keys. Refuses production mode."""
    if os.environ.get("APP_ENV") == "production":
        raise BenchError("The benchmark does not run in production mode.")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("APP_ENV", "development")
    os.environ.setdefault("FIELD_ENCRYPTION_KEYS", BENCH_FIELD_KEYS)
    os.environ.setdefault("BLIND_INDEX_KEY", BENCH_BLIND_INDEX_KEY)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    return url


def bench_database_url(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The database to use: DATABASE_URL if set, else the default bench database. Refuses any
    database that is not PostgreSQL or whose name does not contain "bench"."""
    url = environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise BenchError(f"The benchmark needs PostgreSQL; DATABASE_URL has scheme {parts.scheme!r}.")
    if "bench" not in name:
        raise BenchError(
            f"Refusing database {name!r}: the benchmark fills (and with --reset drops) its database, so the "
            "name must contain “bench” (default: diachi_bench)."
        )
    return url


def ensure_database(url: str, *, reset: bool, say: Callable[[str], object]) -> None:
    """Create the bench database if it is missing (drop it first with ``reset``)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reset:
            say(f"Dropping database {name}")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            say(f"Creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# --- Progress ----------------------------------------------------------------------------------------


class Progress:
    """One status line on a terminal (redrawn in place), or a line every 10% in a log file."""

    def __init__(self, total: int, label: str, stream: Any = None) -> None:
        self.total, self.label = total, label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.perf_counter()
        self.start_done: int | None = None
        self.last_decile = -1

    def update(self, done: int) -> None:
        if self.start_done is None:
            self.start_done = done
        elapsed = time.perf_counter() - self.started
        rate = (done - self.start_done) / elapsed if elapsed > 0 else 0.0
        left = (self.total - done) / rate if rate > 0 else 0.0
        line = (f"{self.label}: {done:,}/{self.total:,} ({100 * done / max(self.total, 1):.0f}%) "
                f"{rate:,.0f}/s, {_duration(elapsed)} elapsed, ~{_duration(left)} left")
        decile = 10 * done // max(self.total, 1)
        if self.tty:
            self.stream.write("\r" + line.ljust(100))
            if done >= self.total:
                self.stream.write("\n")
        elif decile != self.last_decile or done >= self.total:
            self.stream.write(line + "\n")
        self.last_decile = decile
        self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else \
        f"{seconds // 60}m{seconds % 60:02d}s"


# --- The synthetic programme ---------------------------------------------------------------------------


@dataclass
class Layout:
    """What the fill built, and who is measured."""

    addresses: list[Any]  # Organisation, in creation order
    volunteers: list[Any]  # Membership, one per address, same order
    typical: Any  # Membership of the volunteer under test
    heavy: Any  # Membership at the heavy address
    typical_cases: int = 0
    heavy_cases: int = 0
    total_cases: int = 0
    detail_case_id: str = ""
    fill_seconds: float = 0.0
    filled_now: int = 0


def case_addresses(*, cases: int, addresses: int, heavy: int, seed: int = SEED) -> list[int]:
    """Which address (by index) each synthetic case belongs to.

    Address 0 is the typical one, with cases / addresses cases; address 1 the heavy one, with ``heavy``
    cases; the rest share what is left at random. Deterministic for given arguments.
    """
    if addresses < 3:
        raise BenchError("Use at least 3 trusted addresses.")
    typical = max(1, round(cases / addresses))
    heavy = min(heavy, cases - typical)
    rest = cases - typical - heavy
    rng = random.Random(seed)  # noqa: S311 - a repeatable fixture, not a secret
    plan = [0] * typical + [1] * heavy + [rng.randrange(2, addresses) for _ in range(rest)]
    rng.shuffle(plan)
    return plan


def survivor_code(index: int) -> str:
    number = (index * _CODE_STEP + 7_777_777) % _CODE_SPACE
    chars = []
    for _ in range(8):
        number, digit = divmod(number, len(_CODE_ALPHABET))
        chars.append(_CODE_ALPHABET[digit])
    return f"{''.join(chars[:4])}-{''.join(chars[4:])}"


def build_layout(*, addresses: int, cases: int, say: Callable[[str], object]) -> Layout:
    """The province → district → commune → village tree with one trusted address per village, one
    volunteer per address. Built once; found again on later runs.

    The spread of cases over addresses is computed for the target size, so a database serves one
    size: the province's name records it, and another size is refused.
    """
    from django.db import transaction

    from accounts.models import AdminUnit, Membership, Organisation, Role

    name = f"{PROVINCE_NAME} ({cases} cases)"
    province = AdminUnit.objects.filter(level=AdminUnit.Level.PROVINCE, code=PROVINCE_CODE).first()
    if province is None:
        say(f"Building {addresses:,} trusted addresses")
        with transaction.atomic():
            _build_tree(addresses, province_name=name)
    elif province.name != name:
        raise BenchError(f"This database was filled as “{province.name}”, not for {cases:,} cases: run with "
                         "--reset, or point DATABASE_URL at another bench database.")
    else:
        say("Using the trusted addresses already in the database")
    found = list(Organisation.objects.filter(area__path__startswith=f"p{PROVINCE_CODE}/",
                                             kind=Organisation.Kind.TRUSTED_ADDRESS).order_by("name"))
    if len(found) != addresses:
        raise BenchError(f"The database holds {len(found):,} bench trusted addresses, not {addresses:,}: "
                         "run with the same --addresses, or with --reset.")
    found_members = Membership.objects.filter(organisation__in=found, role=Role.VOLUNTEER)
    members = {m.organisation_id: m for m in found_members.select_related("user", "organisation")}
    volunteers = [members[a.pk] for a in found]
    return Layout(addresses=found, volunteers=volunteers, typical=volunteers[0], heavy=volunteers[1])


def _build_tree(addresses: int, *, province_name: str) -> None:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from accounts.models import AdminUnit, Membership, Organisation, Role, User

    L = AdminUnit.Level
    province = AdminUnit(level=L.PROVINCE, code=PROVINCE_CODE, name=province_name, parent=None)
    province.path = AdminUnit.path_for(level=L.PROVINCE, code=PROVINCE_CODE, parent=None)
    province.save()
    villages: list[AdminUnit] = []
    communes_needed = -(-addresses // 10)
    districts_needed = -(-communes_needed // 10)
    districts = [AdminUnit(level=L.DISTRICT, code=f"{900 + d:03d}", name=f"Huyện Thử nghiệm {d + 1}",
                           parent=province) for d in range(districts_needed)]
    for unit in districts:
        unit.path = AdminUnit.path_for(level=unit.level, code=unit.code, parent=province)
    AdminUnit.objects.bulk_create(districts)
    communes = []
    for c in range(communes_needed):
        parent = districts[c // 10]
        unit = AdminUnit(level=L.COMMUNE, code=f"{90000 + c:05d}", name=f"Xã Thử nghiệm {c + 1}",
                         parent=parent)
        unit.path = AdminUnit.path_for(level=unit.level, code=unit.code, parent=parent)
        communes.append(unit)
    AdminUnit.objects.bulk_create(communes)
    for a in range(addresses):
        parent = communes[a // 10]
        unit = AdminUnit(level=L.VILLAGE, code=f"{parent.code}-{a % 10 + 1:02d}", name=f"Thôn {a + 1:04d}",
                         parent=parent)
        unit.path = AdminUnit.path_for(level=unit.level, code=unit.code, parent=parent)
        villages.append(unit)
    AdminUnit.objects.bulk_create(villages)

    ids = [uuid.uuid4() for _ in range(addresses)]
    groups = Group.objects.bulk_create([Group(name=f"organisation:{i}") for i in ids])
    rng = random.Random(SEED)  # noqa: S311
    organisations = [
        Organisation(
            id=i, name=f"Địa chỉ tin cậy thử nghiệm {n + 1:04d}", kind=Organisation.Kind.TRUSTED_ADDRESS,
            area=village, group=group,
            established_on=dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(2000)),
            programme_status=rng.choice(Organisation.ProgrammeStatus.values),
        )
        for n, (i, village, group) in enumerate(zip(ids, villages, groups, strict=True))
    ]
    Organisation.objects.bulk_create(organisations)
    unusable = make_password(None)
    names = [TYPICAL_USERNAME, HEAVY_USERNAME, *(f"bench-{n:04d}" for n in range(2, addresses))]
    users = User.objects.bulk_create([User(username=name, password=unusable, first_name="Tình nguyện viên",
                                           last_name=f"{n + 1}") for n, name in enumerate(names)])
    # Seeded in force, as from the server console (confirmation is not what this bench measures).
    now = timezone.now()
    Membership.objects.bulk_create([Membership(user=u, organisation=o, role=Role.VOLUNTEER,
                                               state=Membership.State.ACTIVE, decided_at=now)
                                    for u, o in zip(users, organisations, strict=True)])


# --- The fill ----------------------------------------------------------------------------------------


def fill(
    *, cases: int, addresses: int = PROGRAMME_ADDRESSES, heavy: int = HEAVY_CASES, batch: int = 5000,
    workers: int = 1, say: Callable[[str], object] = lambda message: None, progress_stream: Any = None,
) -> Layout:
    """Fill the database with ``cases`` synthetic cases and return the layout.

    Resumable: cases are numbered and each batch is one transaction, so a batch is there entirely or
    not at all; a run after an interruption writes only the missing batches. ``workers`` > 1 writes
    batches from that many processes (PostgreSQL only).
    """
    from django.db import connections
    from django.utils import timezone

    started = time.perf_counter()
    layout = build_layout(addresses=addresses, cases=cases, say=say)
    batches = [(start, min(start + batch, cases)) for start in range(0, cases, batch)]
    missing = _missing_batches(batches)
    todo = sum(stop - start for start, stop in missing)
    if todo:
        say(f"Filling {todo:,} cases ({cases - todo:,} already there), in batches of {batch:,}"
            + (f", {workers} processes" if workers > 1 else ""))
        progress = Progress(cases, "cases", progress_stream)
        progress.update(cases - todo)
        _FILL.update(layout=layout, plan=case_addresses(cases=cases, addresses=addresses, heavy=heavy),
                     today=timezone.localdate(), writer=None)
        written = cases - todo
        if workers > 1:
            import multiprocessing

            connections.close_all()  # each process opens its own connection
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for size in pool.imap_unordered(_write_batch, missing):
                    written += size
                    progress.update(written)
        else:
            for span in missing:
                written += _write_batch(span)
                progress.update(written)
        _FILL.clear()
        layout.filled_now = todo
    _build_detail_case(layout)
    _count(layout)
    layout.fill_seconds = time.perf_counter() - started
    return layout


# What the batch writers share (set before the worker processes fork).
_FILL: dict[str, Any] = {}


def _missing_batches(batches: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The batches not yet written: a batch is complete when the survivor of its last case exists."""
    from casework.models import Survivor

    last_codes = {survivor_code(stop - 1): (start, stop) for start, stop in batches}
    present: set[str] = set()
    codes = list(last_codes)
    for chunk in range(0, len(codes), 1000):
        found = Survivor.objects.filter(code__in=codes[chunk:chunk + 1000]).values_list("code", flat=True)
        present |= set(found)
    return [span for code, span in last_codes.items() if code not in present]


def _write_batch(span: tuple[int, int]) -> int:
    from django.db import transaction

    if _FILL.get("writer") is None:
        _FILL["writer"] = _BatchWriter(_FILL["layout"], today=_FILL["today"])
    start, stop = span
    with transaction.atomic():
        _FILL["writer"].write(range(start, stop), _FILL["plan"])
    return stop - start


class _BatchWriter:
    """Builds and inserts one batch: survivors, cases, object permissions, assignments, an incident and
    consents per case."""

    def __init__(self, layout: Layout, *, today: dt.date) -> None:
        from django.contrib.auth.models import Permission

        from accounts.models import AdminUnit
        from casework.services import CASE_OBJECT_PERMS

        self.layout, self.today = layout, today
        self.perm_ids = [
            Permission.objects.get(content_type__app_label="casework", codename=perm.codename).pk
            for perm in CASE_OBJECT_PERMS
        ]
        village_parent = dict(AdminUnit.objects.filter(pk__in=[a.area_id for a in layout.addresses])
                              .values_list("pk", "parent_id"))
        self.commune_ids = [village_parent[a.area_id] for a in layout.addresses]

    def write(self, indexes: range, plan: Sequence[int]) -> None:
        from casework.crypto import name_birth_year_index, phone_index
        from casework.deadlines import CHILD_SUPPORT_PLAN_WORKING_DAYS, add_working_days
        from casework.ethnicity import Ethnicity
        from casework.gbv import GBVType
        from casework.models import (
            AgeBand,
            Case,
            CaseGroupObjectPermission,
            Consent,
            Incident,
            Survivor,
        )
        from casework.risk import RiskLevel

        Assignment = Case.assigned_volunteers.through
        ethnicities = [Ethnicity.BA_NA, Ethnicity.XO_DANG, Ethnicity.GIA_RAI, Ethnicity.KINH, Ethnicity.HMONG,
                       Ethnicity.HRE]
        gbv_types = [GBVType.PHYSICAL_ASSAULT] * 4 + [GBVType.PSYCHOLOGICAL_ABUSE] * 3 + [
            GBVType.DENIAL_OF_RESOURCES, GBVType.SEXUAL_ASSAULT, GBVType.RAPE, GBVType.FORCED_MARRIAGE]
        survivors, cases, perms, assignments, incidents, consents = [], [], [], [], [], []
        for index in indexes:
            rng = random.Random(SEED * 1_000_003 + index)  # noqa: S311
            address_index = plan[index]
            address, volunteer = self.layout.addresses[address_index], self.layout.volunteers[address_index]
            opened_on = self.today - dt.timedelta(days=rng.randrange(3 * 365))
            child = rng.random() < 0.1
            age = rng.randint(10, 15) if child else rng.randint(18, 60)
            birth_year = opened_on.year - age
            full_name = f"{rng.choice(_FAMILY)} {rng.choice(_GIVEN)}"
            phone = f"09{rng.randrange(10**8):08d}" if not child and rng.random() < 0.7 else ""
            survivor = Survivor(
                code=survivor_code(index), full_name=full_name, phone=phone, birth_year=birth_year,
                address=f"Thôn {address_index + 1:04d}, xã Thử nghiệm {address_index // 10 + 1}",
                national_id=f"062{birth_year % 100:03d}{rng.randrange(10**6):06d}"
                if rng.random() < 0.6 else "",
                date_of_birth=dt.date(birth_year, rng.randint(1, 12), rng.randint(1, 28))
                if rng.random() < 0.5 else None,
                sex="female", ethnicity=rng.choice(ethnicities), commune_id=self.commune_ids[address_index],
                name_birth_year_index=name_birth_year_index(full_name=full_name, birth_year=birth_year),
                phone_index=phone_index(phone) if phone else "",
            )
            if survivor.date_of_birth:
                survivor.birth_year = survivor.date_of_birth.year
            survivors.append(survivor)
            closed = (self.today - opened_on).days > 90 and rng.random() < 0.3
            case = Case(
                survivor=survivor, trusted_address=address, opened_on=opened_on,
                status=Case.Status.CLOSED if closed else Case.Status.OPEN,
                closed_on=opened_on + dt.timedelta(days=rng.randint(10, 90)) if closed else None,
                closure_reason=Case.ClosureReason.SAFE if closed else "",
                risk_level=rng.choice(RiskLevel.values),
                age_band=AgeBand.for_age(age), intake_step="support",
            )
            if child:
                case.support_plan_due_on = add_working_days(opened_on, CHILD_SUPPORT_PLAN_WORKING_DAYS)
                if rng.random() < 0.7:
                    case.support_plan_done_on = opened_on + dt.timedelta(days=rng.randint(1, 6))
            cases.append(case)
            perms += [(address.group_id, perm_id, case.pk) for perm_id in self.perm_ids]
            assignments.append((case.pk, volunteer.pk))
            incidents.append(Incident(
                case=case, occurred_on=opened_on - dt.timedelta(days=rng.randint(0, 5)),
                place_type=Incident.PlaceType.HOME, gbv_type=rng.choice(gbv_types),
                perpetrator_relationship=Incident.Relationship.HUSBAND_PARTNER, perpetrator_sex="male",
                harm_physical=True, domestic_violence=True, intimate_partner=True,
                narrative="Chồng say rượu về đánh chị, chị chạy sang nhà hàng xóm.", recorded_by=volunteer,
            ))
            consents.append(Consent(case=case, scope=Consent.Scope.KEEP_RECORD, given_by="survivor",
                                    given_on=opened_on, recorded_by=volunteer))
            if rng.random() < 0.85:
                consents.append(Consent(case=case, scope=Consent.Scope.STATISTICS, given_by="survivor",
                                        given_on=opened_on, recorded_by=volunteer))
        Survivor.objects.bulk_create(survivors)
        Case.objects.bulk_create(cases)
        _insert_plain(CaseGroupObjectPermission, ("group_id", "permission_id", "content_object_id"), perms)
        _insert_plain(Assignment, ("case_id", "membership_id"), assignments)
        Incident.objects.bulk_create(incidents)
        Consent.objects.bulk_create(consents)


def _insert_plain(model: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert rows of a model without encrypted fields or defaults to compute (permission and
    assignment rows): PostgreSQL COPY, about ten times faster than building model instances for
    bulk_create; bulk_create elsewhere (the smoke test's SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows])
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(c.removesuffix("_id")).column)
                      for c in columns)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _build_detail_case(layout: Layout) -> None:
    """A full case at the typical address, written through the services (with history), for the
    case-page measurement. Built once."""
    from django.utils import timezone

    from casework import services
    from casework.models import Consent, SupportService, Survivor

    if Survivor.objects.filter(code=DETAIL_CODE).exists():
        return
    by = layout.typical
    today = timezone.localdate()
    opened_on = today - dt.timedelta(days=40)
    case = services.case_open(by=by, opened_on=opened_on, survivor_fields={
        "code": DETAIL_CODE, "full_name": "Y Thị Chi Tiết", "birth_year": 1991, "sex": "female",
        "phone": "0987 654 321", "address": "Thôn 0001, xã Thử nghiệm 1", "national_id": "062191001234",
    })
    for days, answers in ((3, {"physical": True}), (1, {"psychological": True})):
        services.incident_record(case=case, by=by, answers=answers,
                                 occurred_on=opened_on - dt.timedelta(days=days), place_type="home",
                                 perpetrator_relationship="partner", perpetrator_sex="male",
                                 narrative="Anh ta đánh chị ấy sau bữa rượu.")
    for scope in (Consent.Scope.KEEP_RECORD, Consent.Scope.SHARE_POLICE, Consent.Scope.STATISTICS):
        services.consent_give(case=case, by=by, scope=scope, given_by="survivor", given_on=opened_on)
    services.risk_assess(case=case, by=by, answers={"escalating": True, "knows_location": True},
                         assessed_on=opened_on)
    services.safety_plan_save(case=case, by=by, version=None, checklist=["safe_place", "contacts"],
                              plan="Đến nhà trưởng thôn nếu anh ta say.")
    services.service_record(case=case, by=by, kind=SupportService.Kind.SHELTER, provided_on=opened_on,
                            check_in=opened_on, check_out=opened_on + dt.timedelta(days=2))
    services.service_record(case=case, by=by, kind=SupportService.Kind.COUNSELLING, provided_on=opened_on)
    services.service_record(case=case, by=by, kind=SupportService.Kind.EMERGENCY_CASH, provided_on=opened_on,
                            amount_vnd=1_000_000)
    services.livelihood_record(case=case, by=by, support_type="livestock_crops", programme_model="pilot",
                               beneficiary_group="dv", amount_vnd=5_000_000, started_on=opened_on)
    for text in ("Đã gọi điện hỏi thăm.", "Chị ấy muốn về nhà mẹ đẻ.", "Hẹn tuần sau đến thăm."):
        services.note_add(case=case, by=by, text=text)


def _count(layout: Layout) -> None:
    from casework.models import Case

    layout.typical_cases = Case.objects.filter(trusted_address=layout.typical.organisation).count()
    layout.heavy_cases = Case.objects.filter(trusted_address=layout.heavy.organisation).count()
    layout.total_cases = Case.objects.count()
    detail = Case.objects.filter(survivor__code=DETAIL_CODE).values_list("pk", flat=True).first()
    layout.detail_case_id = str(detail or "")


# --- Measurements ------------------------------------------------------------------------------------


@dataclass
class PageFigure:
    label: str
    url: str
    status: int
    queries: int
    sql_ms: float  # time of the captured queries, as the database driver saw it
    median_ms: float
    p90_ms: float
    cpu_ms: float  # median CPU time of this process per request: the view's own work, without waiting
    slowest_sql: str = field(default="", repr=False)  # the slowest SELECT, for --explain
    slowest_sql_ms: float = 0.0


@dataclass
class CryptoFigure:
    survivors: int
    service_save_us: float  # casework.services.survivor_update, whole service, per survivor
    encrypt_us: float  # sealing all 7 encrypted fields of one survivor (pre_save), no database
    load_us: float  # reading the survivors from the database, per survivor, nothing decrypted
    decrypt_us: float  # opening all 7 encrypted fields of one loaded survivor


def signed_in_client(membership: Any) -> Any:
    """A test Client signed in as the membership's user and acting as that membership."""
    from django.test import Client

    from accounts.middleware import SESSION_MEMBERSHIP_KEY

    client = Client()
    client.force_login(membership.user)
    session = client.session
    session[SESSION_MEMBERSHIP_KEY] = membership.pk
    session.save()
    return client


def measure_page(client: Any, label: str, url: str, *, repeats: int, warmup: int = 3) -> PageFigure:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    # Read now: every request start empties the connection's query log (django.db.reset_queries).
    queries = list(captured.captured_queries)
    timings, cpu = [], []
    for _ in range(repeats):
        began, began_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    selects = [q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    slowest = max(selects, key=lambda q: float(q["time"]), default={"sql": "", "time": "0"})
    timings.sort()
    return PageFigure(
        label=label, url=url, status=response.status_code, queries=len(queries),
        sql_ms=sum(float(q["time"]) for q in queries) * 1000,
        median_ms=statistics.median(timings) if timings else 0.0,
        p90_ms=timings[int(0.9 * (len(timings) - 1))] if timings else 0.0,
        cpu_ms=statistics.median(cpu) if cpu else 0.0,
        slowest_sql=slowest["sql"], slowest_sql_ms=float(slowest["time"]) * 1000,
    )


def measure_pages(layout: Layout, *, repeats: int) -> list[PageFigure]:
    from django.urls import reverse

    from casework.models import Case

    list_url = reverse("casework:case-list")
    figures = []
    for who, membership, count in (("typical", layout.typical, layout.typical_cases),
                                   ("heavy", layout.heavy, layout.heavy_cases)):
        client = signed_in_client(membership)
        last = max(1, -(-count // 25))
        pages = sorted({1, min(10, last), last})
        for page in pages:
            figures.append(measure_page(client, f"case list, {who} address ({count:,} cases), page {page}",
                                        f"{list_url}?page={page}", repeats=repeats))
        if who == "typical" and layout.detail_case_id:
            url = reverse("casework:case-detail", args=[layout.detail_case_id])
            figures.append(measure_page(client, "case page, full case (services-built)", url,
                                        repeats=repeats))
        synthetic = (Case.objects.filter(trusted_address=membership.organisation)
                     .exclude(survivor__code=DETAIL_CODE).order_by("-opened_on")
                     .values_list("pk", flat=True).first())
        if synthetic:
            url = reverse("casework:case-detail", args=[synthetic])
            figures.append(measure_page(client, f"case page, synthetic case ({who} address)", url,
                                        repeats=repeats))
    return figures


def measure_crypto(layout: Layout, *, survivors: int) -> CryptoFigure:
    """Per survivor: the service save, pure encryption, loading, and pure decryption of all 7 encrypted
    fields. Runs in a transaction that is rolled back, so the fixture does not change."""
    from django.db import transaction

    from casework import services
    from casework.fields import encrypted_fields
    from casework.models import Survivor

    fields = encrypted_fields(Survivor)
    by = layout.typical
    ids = list(Survivor.objects.filter(cases__trusted_address=by.organisation).exclude(code=DETAIL_CODE)
               .order_by("code").values_list("pk", flat=True)[:survivors])
    if not ids:
        raise BenchError("No survivors to measure at the typical address.")
    values = {
        "full_name": "Đinh Thị Hạnh Phúc", "other_names": "Y Phúc", "date_of_birth": dt.date(1990, 5, 17),
        "birth_year": 1990, "phone": "0912 345 678",
        "address": "Thôn 0001, xã Thử nghiệm 1, huyện Thử nghiệm 1",
        "national_id": "062190123456", "guardian_contact": "Mẹ: Y Lan, 0987 111 222",
    }
    with transaction.atomic():
        loaded = list(Survivor.objects.filter(pk__in=ids))
        began = time.perf_counter()
        for survivor in loaded:
            services.survivor_update(survivor=survivor, by=by, version=None, **values)
        save_us = (time.perf_counter() - began) * 1e6 / len(loaded)

        began = time.perf_counter()
        for survivor in loaded:
            for f in fields:
                f.pre_save(survivor, add=False)
        encrypt_us = (time.perf_counter() - began) * 1e6 / len(loaded)

        began = time.perf_counter()
        fresh = list(Survivor.objects.filter(pk__in=ids))
        load_us = (time.perf_counter() - began) * 1e6 / len(fresh)
        began = time.perf_counter()
        for survivor in fresh:
            for f in fields:
                getattr(survivor, f.attname)
        decrypt_us = (time.perf_counter() - began) * 1e6 / len(fresh)
        if fresh[0].full_name != values["full_name"]:
            raise BenchError("A saved survivor did not decrypt to what was saved.")
        transaction.set_rollback(True)
    return CryptoFigure(survivors=len(ids), service_save_us=save_us, encrypt_us=encrypt_us, load_us=load_us,
                        decrypt_us=decrypt_us)


def explain(sql_text: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql_text}")
        return "\n".join(row[0] for row in cursor.fetchall())


# --- Report ------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    load = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else ""
    return {"cpus": str(os.cpu_count()), "memory": memory, "postgresql": server,
            "python": sys.version.split()[0], "load_average_1_5_15_min": load}


def table(layout: Layout, pages: Sequence[PageFigure], crypto: CryptoFigure | None) -> str:
    lines = [
        f"Dataset: {layout.total_cases:,} cases over {len(layout.addresses):,} trusted addresses; typical "
        f"address {layout.typical_cases:,} cases, heavy address {layout.heavy_cases:,} cases.",
        "",
        f"{'page':<62} {'HTTP':>4} {'queries':>7} {'SQL ms':>7} {'median ms':>9} {'p90 ms':>7} {'CPU ms':>7}",
    ]
    for p in pages:
        lines.append(f"{p.label:<62} {p.status:>4} {p.queries:>7} {p.sql_ms:>7.1f} {p.median_ms:>9.1f} "
                     f"{p.p90_ms:>7.1f} {p.cpu_ms:>7.1f}")
    if crypto:
        lines += [
            "",
            f"Per survivor ({crypto.survivors} survivors, all 7 encrypted fields filled):",
            f"  save through casework.services.survivor_update  {crypto.service_save_us:>9,.0f} µs",
            f"  encrypt 7 fields (pre_save, no database)          {crypto.encrypt_us:>9,.0f} µs",
            f"  load from the database (nothing decrypted)        {crypto.load_us:>9,.0f} µs",
            f"  decrypt 7 fields                                  {crypto.decrypt_us:>9,.0f} µs",
        ]
    return "\n".join(lines)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.casework", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000,
                        help="synthetic cases to fill (default 100,000)")
    parser.add_argument("--addresses", type=int, default=PROGRAMME_ADDRESSES,
                        help=f"trusted addresses (default {PROGRAMME_ADDRESSES:,})")
    parser.add_argument("--heavy", type=int, default=HEAVY_CASES,
                        help=f"cases at the heavy address (default {HEAVY_CASES:,})")
    parser.add_argument("--batch", type=int, default=5000, help="rows per bulk insert and transaction")
    parser.add_argument("--workers", type=int, default=1, help="processes writing batches (default 1)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page (default 50)")
    parser.add_argument("--survivors", type=int, default=200,
                        help="survivors saved and read for the crypto figures")
    parser.add_argument("--fill-only", action="store_true", help="fill, then stop before measuring")
    parser.add_argument("--no-pages", action="store_true", help="skip the page measurements")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN ANALYZE of each page's slowest query")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the bench database first")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    return parser.parse_args(argv)


def write_json(path: Path, figures: dict[str, Any]) -> None:
    """The figures as JSON, for comparing runs (dates and decimals as text)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str))


def run_bench(measure: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a bench; a refusal (no database, a wrong setting) is one line on stderr and exit code 2."""
    try:
        return measure(args)
    except BenchError as error:
        stderr_say(f"error: {error}")
        return 2


def stderr_say(message: str) -> None:
    """Progress for the person running the bench (stdout carries the figures)."""
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(_measure, _parse(argv))


def _measure(args: argparse.Namespace) -> int:
    say = stderr_say
    url = prepare_environment(bench_database_url())
    ensure_database(url, reset=args.reset, say=say)

    import django
    from django.core.management import call_command

    django.setup()
    say("Migrating")
    call_command("migrate", verbosity=0)
    layout = fill(cases=args.cases, addresses=args.addresses, heavy=args.heavy, batch=args.batch,
                  workers=args.workers, say=say)
    say(f"Fill: {layout.filled_now:,} cases written in {_duration(layout.fill_seconds)}")
    if args.fill_only:
        return 0
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say("Measuring encryption")
    crypto = measure_crypto(layout, survivors=args.survivors)
    pages: list[PageFigure] = []
    if not args.no_pages:
        say("Measuring pages")
        pages = measure_pages(layout, repeats=args.requests)
    print(table(layout, pages, crypto))
    facts = machine()
    print(f"\nMachine: {facts['cpus']} CPUs, {facts['memory']}, PostgreSQL {facts['postgresql']}, "
          f"Python {facts['python']}; load average after measuring: {facts['load_average_1_5_15_min']}")
    if args.explain:
        for page in pages:
            if page.slowest_sql:
                print(f"\n--- {page.label}: slowest query ({page.slowest_sql_ms:.1f} ms)")
                print(f"{page.slowest_sql}\n")
                print(explain(page.slowest_sql))
    if args.json:
        write_json(args.json, {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": facts,
            "cases": layout.total_cases, "typical_cases": layout.typical_cases,
            "heavy_cases": layout.heavy_cases, "fill_seconds": layout.fill_seconds,
            "filled_now": layout.filled_now,
            "pages": [asdict(p) for p in pages], "crypto": asdict(crypto),
        })
    return 0


if __name__ == "__main__":
    sys.exit(main())
