"""Indicators benchmark at a million cases: the statistics snapshot's refresh, the province dashboard
and its files read from a release, withdrawals of consent that correct the snapshot, and the dashboard
served by gunicorn to concurrent clients.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/diachi_bench_indicators_1m \\
        .venv/bin/python -m bench.indicators --cases 1000000 --workers 2 --json var/bench-indicators.json

The cases come from bench/casework.py's fill (its functions are imported, not copied); this script adds
what the indicators count and the casework fill leaves out: support given, livelihood support, referral
partners with their referrals, a provincial analyst, and plan targets. Same safety rules as the casework
benchmark: PostgreSQL only, a database whose name contains "bench", never in production mode.

Goals: building the province report from its release ≤ 150 ms of server CPU; the province dashboard
≤ 1 s, right after a withdrawal too (a withdrawal corrects the working snapshot in place and never sends
a report back to counting); the PDF report ≤ 2 s. The measured period (this year by default, not due
yet) is released from the run's snapshot if it has no release: a bench database is scratch, and a
release is never changed afterwards. ``--live`` adds the old comparison of the reports counted from the
records (the ORM against hand-written SQL); no page counts live any more. Figures are recorded in
docs/benchmarks.md ("Indicators").
"""

from __future__ import annotations

import argparse
import datetime as dt
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

from bench.casework import (
    DETAIL_CODE,
    PROGRAMME_ADDRESSES,
    PROVINCE_CODE,
    SEED,
    BenchError,
    Progress,
    bench_database_url,
    ensure_database,
    fill,
    machine,
    prepare_environment,
    run_bench,
    stderr_say,
    write_json,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/diachi_bench_indicators"
ANALYST_USERNAME = "bench-analyst"
CHUNK = 20_000


# --- The extra fill ------------------------------------------------------------------------------------


@dataclass
class Extras:
    services: int = 0
    livelihood: int = 0
    referrals: int = 0
    seconds: float = 0.0


def fill_extras(
    *, say: Callable[[str], object] = lambda message: None, progress_stream: Any = None
) -> Extras:
    """Support, livelihood and referrals for the bench province's cases, a provincial analyst and plan
    targets. Resumable by chunk of cases: every filled case has a counselling service."""
    from django.db import transaction

    from casework.models import Case, SupportService

    started = time.perf_counter()
    partners = _partners()
    _analyst()
    _targets()
    # The services-built detail case has its support already; left out, so that a chunk is marked as
    # filled only by the counselling service this fill writes (its ids are random: it may sort last).
    cases = Case.objects.filter(trusted_address__area__path__startswith=f"p{PROVINCE_CODE}/").exclude(
        survivor__code=DETAIL_CODE
    )
    ids = list(cases.order_by("id").values_list("id", flat=True))
    chunks = [ids[n : n + CHUNK] for n in range(0, len(ids), CHUNK)]
    filled_cases = set(
        SupportService.objects.filter(case_id__in=[c[-1] for c in chunks]).values_list("case_id", flat=True)
    )
    todo = [chunk for chunk in chunks if chunk[-1] not in filled_cases]
    extras = Extras()
    if todo:
        say(f"Adding support, livelihood and referrals to {sum(map(len, todo)):,} cases")
        progress = Progress(len(ids), "cases", progress_stream)
        done = len(ids) - sum(map(len, todo))
        progress.update(done)
        writer = _ExtrasWriter(partners)
        for chunk in todo:
            with transaction.atomic():
                counts = writer.write(chunk)
            extras.services += counts[0]
            extras.livelihood += counts[1]
            extras.referrals += counts[2]
            done += len(chunk)
            progress.update(done)
    extras.seconds = time.perf_counter() - started
    return extras


def _partners() -> dict[str, list[Any]]:
    """A police station and a health station per commune; legal aid and social protection for the
    province. Built once."""
    from django.contrib.auth.models import Group

    from accounts.models import AdminUnit, Organisation

    K = Organisation.Kind
    province = AdminUnit.objects.get(level=AdminUnit.Level.PROVINCE, code=PROVINCE_CODE)
    existing = Organisation.objects.filter(
        area__path__startswith=province.path, kind__in=Organisation.PARTNER_KINDS
    )
    if not existing.exists():
        communes = list(
            AdminUnit.objects.within(province).filter(level=AdminUnit.Level.COMMUNE).order_by("path")
        )
        specs = [(K.COMMUNE_POLICE, f"Công an {c.name}", c) for c in communes]
        specs += [(K.HEALTH_STATION, f"Trạm y tế {c.name}", c) for c in communes]
        specs += [
            (K.LEGAL_AID, "Trung tâm Trợ giúp pháp lý (thử nghiệm)", province),
            (K.SOCIAL_PROTECTION, "Trung tâm Công tác xã hội (thử nghiệm)", province),
        ]
        ids = [uuid.uuid4() for _ in specs]
        groups = Group.objects.bulk_create([Group(name=f"organisation:{i}") for i in ids])
        Organisation.objects.bulk_create(
            [
                Organisation(id=i, name=name, kind=kind, area=area, group=group)
                for i, (kind, name, area), group in zip(ids, specs, groups, strict=True)
            ]
        )
    partners: dict[str, list[Any]] = {}
    for organisation in existing.select_related("area").order_by("name"):
        partners.setdefault(organisation.kind, []).append(organisation)
    return partners


def _analyst() -> Any:
    """The provincial Women's Union and its analyst, with a confirmed two-step device."""
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import services
    from accounts.models import AdminUnit, Membership, Organisation, Role, User

    membership = Membership.objects.filter(user__username=ANALYST_USERNAME).first()
    if membership is not None:
        return membership
    province = AdminUnit.objects.get(level=AdminUnit.Level.PROVINCE, code=PROVINCE_CODE)
    union = services.organisation_create(
        name="Hội LHPN tỉnh Thử nghiệm", kind=Organisation.Kind.WOMENS_UNION_PROVINCE, area=province, by=None
    )
    user = User.objects.create(username=ANALYST_USERNAME, password=make_password(None))
    TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    return services.membership_grant(user=user, organisation=union, role=Role.PROVINCIAL_ANALYST, by=None)


def _targets() -> None:
    from accounts.models import AdminUnit
    from indicators import periods
    from indicators.services import plan_target_set

    province = AdminUnit.objects.get(level=AdminUnit.Level.PROVINCE, code=PROVINCE_CODE)
    year = periods.current_year().code
    for indicator, period, target in (
        ("TA_NEW", "phase1", 300),
        ("TA_CONSOLIDATED", "phase1", 1000),
        ("SV_NEW", year, 300_000),
        ("LV_MODELS_PILOT", "phase1", 10),
        ("LV_MODELS_REPLICATED", "phase1", 10),
        ("RF_SENT", year, 100_000),
    ):
        plan_target_set(
            area=province, indicator=indicator, period=period, target=target, by=None, source="bench"
        )


class _ExtrasWriter:
    """Support services, livelihood support, referrals and their services for one chunk of cases,
    inserted with COPY (no encrypted value to seal: their encrypted notes are left empty, stored as "")."""

    def __init__(self, partners: dict[str, list[Any]]) -> None:
        from accounts.models import Membership, Organisation, Role

        self.partners = partners
        self.police = {p.area_id: p for p in partners.get(Organisation.Kind.COMMUNE_POLICE, [])}
        self.health = {p.area_id: p for p in partners.get(Organisation.Kind.HEALTH_STATION, [])}
        self.provincial = partners.get(Organisation.Kind.LEGAL_AID, []) + partners.get(
            Organisation.Kind.SOCIAL_PROTECTION, []
        )
        members = Membership.objects.filter(
            role=Role.VOLUNTEER, organisation__kind=Organisation.Kind.TRUSTED_ADDRESS
        )
        self.volunteer = dict(members.values_list("organisation_id", "pk"))
        self.commune = {
            o.pk: o.area.parent_id
            for o in Organisation.objects.trusted_addresses()
            .filter(pk__in=self.volunteer)
            .select_related("area")
        }
        self.models = [f"Mô hình sinh kế thử nghiệm {n}" for n in range(1, 41)]

    def write(self, ids: list[Any]) -> tuple[int, int, int]:
        from django.utils import timezone

        from casework.models import Case, LivelihoodSupport, SupportService
        from referrals.models import Referral, ReferralService, Service, Status

        now = timezone.now()
        today = timezone.localdate()
        services, livelihood, referrals, referral_services = [], [], [], []
        rows = Case.objects.filter(pk__in=ids).values_list("pk", "trusted_address_id", "opened_on")
        for case_id, address_id, opened_on in rows:
            rng = random.Random(f"{SEED}|{case_id}")  # noqa: S311 - a repeatable fixture
            by = self.volunteer[address_id]

            def service(kind: str, day: dt.date, *, case_id: Any = case_id, address_id: Any = address_id,
                        by: Any = by, **extra: Any) -> None:
                services.append(
                    {
                        "id": uuid.uuid4(),
                        "version": 1,
                        "case_id": case_id,
                        "kind": kind,
                        "provided_on": min(day, today),
                        "provider_id": address_id,
                        "check_in": None,
                        "check_out": None,
                        "nights": None,
                        "amount_vnd": None,
                        "notes": "",
                        "recorded_by_id": by,
                        "created_at": now,
                        **extra,
                    }
                )

            service("counselling", opened_on)
            if rng.random() < 0.2:
                nights = rng.randint(1, 7)
                check_out = min(opened_on + dt.timedelta(days=nights), today)
                service(
                    "shelter",
                    opened_on,
                    check_in=opened_on,
                    check_out=check_out,
                    nights=(check_out - opened_on).days,
                )
            if rng.random() < 0.25:
                service("accompaniment", opened_on + dt.timedelta(days=rng.randint(0, 10)))
            if rng.random() < 0.15:
                service(
                    "cash",
                    opened_on + dt.timedelta(days=rng.randint(0, 7)),
                    amount_vnd=rng.choice([500_000, 1_000_000, 2_000_000]),
                )
            if rng.random() < 0.05:
                service("material", opened_on, amount_vnd=rng.choice([300_000, 800_000]))
            if rng.random() < 0.08:
                livelihood.append(
                    {
                        "id": uuid.uuid4(),
                        "version": 1,
                        "case_id": case_id,
                        "support_type": rng.choice(LivelihoodSupport.SupportType.values),
                        "programme_model": rng.choice(LivelihoodSupport.Model.values),
                        "model_name": rng.choice(self.models),
                        "beneficiary_group": rng.choice(LivelihoodSupport.Group.values),
                        "amount_vnd": rng.choice([2_000_000, 5_000_000, 10_000_000]),
                        "started_on": min(opened_on + dt.timedelta(days=rng.randint(5, 60)), today),
                        "ended_on": None,
                        "outcome": "",
                        "followed_up_on": None,
                        "notes": "",
                        "recorded_by_id": by,
                        "created_at": now,
                    }
                )
            if rng.random() < 0.3:
                commune = self.commune[address_id]
                partner = rng.choice([self.police.get(commune), self.health.get(commune), *self.provincial])
                if partner is None:
                    continue
                sent = timezone.make_aware(dt.datetime.combine(opened_on, dt.time(9))) + dt.timedelta(
                    hours=rng.randint(1, 48)
                )
                status = rng.choice(
                    [Status.COMPLETED] * 8
                    + [Status.IN_PROGRESS] * 2
                    + [
                        Status.ACCEPTED,
                        Status.DECLINED,
                        Status.DECLINED,
                        Status.EXPIRED,
                        Status.EXPIRED,
                        Status.WITHDRAWN,
                        Status.CLOSED_WITHOUT_SERVICE,
                    ]
                )
                accepted = (
                    sent + dt.timedelta(hours=rng.choice([0.5, 1, 2, 4, 8, 16, 23]))
                    if status
                    in (Status.COMPLETED, Status.IN_PROGRESS, Status.ACCEPTED, Status.CLOSED_WITHOUT_SERVICE)
                    else None
                )
                closed = (
                    (accepted or sent) + dt.timedelta(days=rng.randint(1, 20))
                    if status
                    in (
                        Status.COMPLETED,
                        Status.DECLINED,
                        Status.EXPIRED,
                        Status.WITHDRAWN,
                        Status.CLOSED_WITHOUT_SERVICE,
                    )
                    else None
                )
                referral_id = uuid.uuid4()
                referrals.append(
                    {
                        "id": referral_id,
                        "version": 1,
                        "case_id": case_id,
                        "from_organisation_id": address_id,
                        "partner_id": partner.pk,
                        "partner_kind": partner.kind,
                        "urgency": "routine",
                        "reason": "",
                        "shared_fields": ["code"],
                        "snapshot": "",
                        "status": status,
                        "consent_override": False,
                        "override_reason": "",
                        "created_by_id": by,
                        "created_at": sent,
                        "sent_at": sent,
                        "respond_by": sent + dt.timedelta(hours=24),
                        "accepted_at": accepted,
                        "closed_at": closed,
                        "outcome": "",
                    }
                )
                for kind in rng.sample(Service.values, k=rng.choice([1, 1, 2])):
                    referral_services.append({"referral_id": referral_id, "service": kind})
        _copy(SupportService, services)
        _copy(LivelihoodSupport, livelihood)
        _copy(Referral, referrals)
        _copy(ReferralService, referral_services)
        return len(services), len(livelihood), len(referrals)


def _copy(model: Any, rows: list[dict[str, Any]]) -> None:
    """COPY on PostgreSQL, bulk_create elsewhere (the smoke test)."""
    from django.db import connection

    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows])
        return
    from psycopg.types.json import Jsonb

    names = list(rows[0])
    columns = ", ".join(
        connection.ops.quote_name(
            model._meta.get_field(n.removesuffix("_id")).column
            if n.endswith("_id")
            else model._meta.get_field(n).column
        )
        for n in names
    )
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([Jsonb(v) if isinstance(v, list) else v for v in row.values()])


# --- Measurements --------------------------------------------------------------------------------------


@dataclass
class Timing:
    label: str
    median_ms: float
    p90_ms: float
    queries: int = 0
    sql_ms: float = 0.0
    runs: list[float] = field(default_factory=list, repr=False)
    cpu_ms: float | None = None


def _time(label: str, action: Callable[[], Any], *, repeats: int, warmup: int = 1) -> Timing:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        action()
    with CaptureQueriesContext(connection) as captured:
        action()
    queries = list(captured.captured_queries)
    runs = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        runs.append((time.perf_counter() - began) * 1000)
    runs.sort()
    median = statistics.median(runs) if runs else 0.0
    p90 = runs[int(0.9 * (len(runs) - 1))] if runs else 0.0
    return Timing(label, median, p90, len(queries), sum(float(q["time"]) for q in queries) * 1000, runs)


def _time_pair(
    first: tuple[str, Callable[[], Any]], second: tuple[str, Callable[[], Any]], *, repeats: int,
) -> list[Timing]:
    """Two measurements taken alternately (A, B, A, B…), each with its query count and SQL time."""
    figures = [_time(label, action, repeats=0) for label, action in (first, second)]
    for _ in range(repeats):
        for figure, (_label, action) in zip(figures, (first, second), strict=True):
            began = time.perf_counter()
            action()
            figure.runs.append((time.perf_counter() - began) * 1000)
    for figure in figures:
        figure.runs.sort()
        figure.median_ms = statistics.median(figure.runs)
        figure.p90_ms = figure.runs[int(0.9 * (len(figure.runs) - 1))]
    return figures


def signed_in_client(membership: Any) -> Any:
    """A test Client acting as ``membership``, with the second factor done."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.middleware import SESSION_MEMBERSHIP_KEY

    client = Client()
    client.force_login(membership.user)
    session = client.session
    session[SESSION_MEMBERSHIP_KEY] = membership.pk
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=membership.user).persistent_id
    session.save()
    return client


def _cpu(label: str, action: Callable[[], Any], *, repeats: int) -> Timing:
    """Like :func:`_time`, with the median CPU time this process spent per run (``time.process_time``:
    the server's own work, which neither a busy machine nor waiting for PostgreSQL inflates)."""
    timing = _time(label, action, repeats=0)
    cpu = []
    for _ in range(repeats):
        began, began_cpu = time.perf_counter(), time.process_time()
        action()
        timing.runs.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    timing.runs.sort()
    timing.median_ms = statistics.median(timing.runs)
    timing.p90_ms = timing.runs[int(0.9 * (len(timing.runs) - 1))]
    timing.cpu_ms = statistics.median(cpu)
    return timing


def measure(*, repeats: int, period_code: str | None = None, live: bool = False, clients: int = 20,
            requests: int = 10) -> dict[str, Any]:
    """Every figure of the run, as a dict (for the table and the JSON file).

    The refresh that counts the statistics snapshot; the period's release; the province report and
    pages read from it (uncached: server CPU per build); withdrawals of consent (the snapshot corrected
    in the volunteer's request) and the pages right after; the cached pages; then ``clients`` concurrent
    clients on gunicorn. With ``live``, first the reports counted from the records (the ORM against the
    hand-written SQL, in turns) — no page counts live any more."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import reverse
    from django.utils import translation

    from accounts.models import AdminUnit, Membership
    from indicators import exports, periods
    from indicators.models import Release, Snapshot
    from indicators.report import build_report
    from indicators.services import period_release, snapshot_refresh

    province = AdminUnit.objects.get(level=AdminUnit.Level.PROVINCE, code=PROVINCE_CODE)
    district = AdminUnit.objects.filter(parent=province).order_by("path").first()
    commune = AdminUnit.objects.filter(parent=district).order_by("path").first()
    period = periods.parse(period_code) if period_code else periods.current_year()
    analyst = Membership.objects.get(user__username=ANALYST_USERNAME)
    client = signed_in_client(analyst)
    query = {"area": f"p{province.code}", "period": period.code}
    figures: dict[str, Any] = {"period": period.code, "timings": []}
    timings: list[Timing] = figures["timings"]
    url, pdf_url = reverse("indicators:dashboard"), reverse("indicators:download-pdf")

    def pages(prefix: str, page_repeats: int) -> None:
        timings.append(_cpu(f"{prefix}province: dashboard page", lambda: client.get(url, query),
                            repeats=page_repeats))
        timings.append(_cpu(f"{prefix}province: PDF download", lambda: client.get(pdf_url, query),
                            repeats=max(1, page_repeats // 2)))
        timings.append(_cpu(f"{prefix}district: dashboard page (province's report too)",
                            lambda: client.get(url, {"area": f"d{district.code}", "period": period.code}),
                            repeats=max(1, page_repeats // 2)))
        timings.append(_cpu(f"{prefix}commune: dashboard page (district's and province's too)",
                            lambda: client.get(url, {"area": f"c{commune.code}", "period": period.code}),
                            repeats=max(1, page_repeats // 2)))

    cold = override_settings(INDICATORS_CACHE_SECONDS=0)
    cold.enable()
    with translation.override("vi"):
        if live:
            timings.extend(_live_pair(province, period, repeats=repeats))
            figures["check"] = compare(build_report(province, period), hand_sql(province, period))

        # The refresh, once (it takes minutes at this size).
        with CaptureQueriesContext(connection) as captured:
            began, began_cpu = time.perf_counter(), time.process_time()
            snapshot = snapshot_refresh()
            seconds, cpu = time.perf_counter() - began, time.process_time() - began_cpu
        timings.append(Timing("indicators_refresh: the statistics snapshot counted", seconds * 1000,
                              seconds * 1000, len(captured.captured_queries),
                              sum(float(q["time"]) for q in captured.captured_queries) * 1000, cpu_ms=cpu * 1000))
        figures["snapshot_area_periods"] = snapshot.figures.count()
        release = Release.objects.filter(period=period.code).first()
        if release is None:  # the pages read the period's release
            began = time.perf_counter()
            release = period_release(period=period, snapshot=snapshot)
            timings.append(Timing(f"release of {period.code}: every area's figures copied",
                                  (time.perf_counter() - began) * 1000, (time.perf_counter() - began) * 1000))
        report = build_report(province, period, release=release)
        timings.append(_cpu("release: province report built (figures read, laid out, protected)",
                            lambda: build_report(province, period, release=release), repeats=repeats))
        pages("release: ", repeats)
        timings.append(_cpu("release: province PDF rendered from a built report",
                            lambda: exports.to_pdf(report), repeats=max(3, repeats // 2)))

        # Withdrawals of consent to statistics, each in the volunteer's request, of cases counted in the
        # working snapshot; the first compiles the queries of her cells (once per process).
        withdrawals = measure_withdrawals(province, count=max(3, repeats // 2))
        timings += withdrawals["timings"]
        figures["withdrawals"] = {key: value for key, value in withdrawals.items() if key != "timings"}
        pages("after a withdrawal: ", max(3, repeats // 2))
    cold.disable()
    with override_settings(INDICATORS_CACHE_SECONDS=900), translation.override("vi"):
        cache.clear()
        client.get(url, query)  # builds and caches the report
        timings.append(_cpu("cached: province dashboard page (next look)", lambda: client.get(url, query),
                            repeats=repeats))
        timings.append(_cpu("cached: province PDF download", lambda: client.get(pdf_url, query),
                            repeats=max(3, repeats // 2)))
    figures["throughput"] = [
        served(analyst, url, query, clients=clients, requests=requests, cache_seconds=seconds)
        for seconds in (0, 900) if clients
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM casework_case")
        figures["cases"] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM casework_case WHERE opened_on BETWEEN %s AND %s", [period.start, period.end]
        )
        figures["cases_in_period"] = cursor.fetchone()[0]
    figures["people_in_period"] = report.cells[("SV", "all", province.path)].value
    figures["snapshot_still_current"] = Snapshot.objects.current() == snapshot
    return figures


def _live_pair(province: Any, period: Any, *, repeats: int) -> list[Timing]:
    from indicators import aggregates

    def aggregates_only() -> None:
        children = bool(aggregates.areas_with_addresses(province))
        for function in (
            aggregates.address_tallies,
            aggregates.survivor_tallies,
            aggregates.support_tallies,
            aggregates.referral_tallies,
            aggregates.livelihood_tallies,
        ):
            function(province, period, children=children)
        aggregates.survivor_series(province, period)
        aggregates.address_series(province, period)
        aggregates.excluded_tallies(province, period)

    # Taken in turns, so that both see the same load on a shared machine.
    return _time_pair(
        ("live: province aggregates through the ORM (indicators/aggregates.py)", aggregates_only),
        ("live: province, hand-written SQL, same aggregates", lambda: hand_sql(province, period)),
        repeats=repeats,
    )


def measure_withdrawals(province: Any, *, count: int) -> dict[str, Any]:
    """Withdraw the consent to statistics of ``count`` cases of the province opened this year (counted
    in the working snapshot), through the service a volunteer's request calls, one after another. The
    snapshot is corrected in place: it must stay the current one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Role
    from casework import services as cw
    from casework.models import Consent
    from indicators import periods
    from indicators.models import Snapshot, SnapshotCorrection

    year = periods.current_year()
    consents = list(
        Consent.objects.filter(
            scope=Consent.Scope.STATISTICS, withdrawn_on__isnull=True,
            case__trusted_address__area__path__startswith=province.path,
            case__opened_on__gte=year.start, case__opened_on__lte=year.end,
        ).select_related("case__trusted_address").order_by("case__opened_on", "pk")[:count]
    )
    snapshot = Snapshot.objects.current()
    timings = []
    for number, consent in enumerate(consents):
        by = consent.case.trusted_address.memberships.filter(role=Role.VOLUNTEER).first()
        label = "withdrawal: consent withdrawn, snapshot corrected" + (
            " (first in the process: compiles)" if number == 0 else " (next)"
        )
        with CaptureQueriesContext(connection) as captured:
            began, began_cpu = time.perf_counter(), time.process_time()
            cw.consent_withdraw(consent=consent, by=by)
            wall, cpu = time.perf_counter() - began, time.process_time() - began_cpu
        timings.append(Timing(label, wall * 1000, wall * 1000, len(captured.captured_queries),
                              sum(float(q["time"]) for q in captured.captured_queries) * 1000, cpu_ms=cpu * 1000))
    return {
        "timings": _merge_runs(timings),
        "count": len(consents),
        "snapshot_corrected_in_place": Snapshot.objects.current() == snapshot,
        "corrections": SnapshotCorrection.objects.count(),
    }


def _merge_runs(timings: list[Timing]) -> list[Timing]:
    """The first withdrawal on its own; the others as one line (median, 90th percentile)."""
    if len(timings) < 2:
        return timings
    rest = sorted(timings[1:], key=lambda t: t.median_ms)
    runs = [t.median_ms for t in rest]
    middle = rest[len(rest) // 2]
    return [timings[0], Timing(rest[0].label, statistics.median(runs), runs[int(0.9 * (len(runs) - 1))],
                               middle.queries, middle.sql_ms, runs, cpu_ms=statistics.median(t.cpu_ms for t in rest))]


def served(membership: Any, path: str, query: dict[str, str], *, clients: int, requests: int,
           cache_seconds: int, workers: int | None = None) -> dict[str, Any]:
    """``clients`` clients asking for the page at once, ``requests`` times each, from gunicorn (sync
    workers, 2 × CPUs + 1 as its documentation advises) on a free local port, against the bench
    database, signed in as ``membership``. The report cache is each worker's own memory (no shared
    cache is configured here), kept ``cache_seconds``."""
    import http.client
    import socket
    import subprocess
    import threading
    from urllib.parse import urlencode

    from django.conf import settings

    # The session is in the database (Django's default engine), so every worker finds it.
    session_key = signed_in_client(membership).cookies[settings.SESSION_COOKIE_NAME].value
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workers = workers or 2 * (os.cpu_count() or 1) + 1
    environment = {**os.environ, "INDICATORS_CACHE_SECONDS": str(cache_seconds), "DEBUG": "0"}
    server = subprocess.Popen(  # noqa: S603 - this interpreter and fixed arguments
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
         str(workers), "--log-level", "warning"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    target = f"{path}?{urlencode(query)}"
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}"}

    def get() -> tuple[int, float]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        began = time.perf_counter()
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status, (time.perf_counter() - began) * 1000

    try:
        for _ in range(300):
            try:
                status, _ms = get()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise BenchError(f"gunicorn did not answer: {server.stderr.read() if server.stderr else ''}")
        if status != 200:
            raise BenchError(f"the dashboard answered {status} through gunicorn")
        for _ in range(workers * 2):  # each worker's first request imports, connects and (cached) builds
            get()
        latencies: list[float] = []
        failures: list[int] = []
        lock = threading.Lock()

        def one_client() -> None:
            for _ in range(requests):
                status, ms = get()
                with lock:
                    (latencies if status == 200 else failures).append(ms if status == 200 else status)

        threads = [threading.Thread(target=one_client) for _ in range(clients)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()
    return {
        "clients": clients, "requests": len(latencies) + len(failures), "failures": len(failures),
        "workers": workers, "cache_seconds": cache_seconds,
        "per_second": len(latencies) / seconds, "median_ms": statistics.median(latencies),
        "p90_ms": latencies[int(0.9 * (len(latencies) - 1))],
    }


# --- The hand-written SQL ------------------------------------------------------------------------------

CASES_CTE = """
WITH counted AS (
    SELECT c.id, c.trusted_address_id AS address, c.age_band, s.sex, s.ethnicity, s.disability,
           COALESCE(NULLIF(s.name_birth_year_index, ''), s.id::text) AS person,
           left(u.path, %(size)s + strpos(substr(u.path, %(size)s + 1), '/')) AS bucket
      FROM casework_case c
      JOIN casework_survivor s ON s.id = c.survivor_id
      JOIN accounts_organisation o ON o.id = c.trusted_address_id
      JOIN accounts_adminunit u ON u.id = o.area_id
     WHERE c.opened_on BETWEEN %(start)s AND %(end)s AND u.path LIKE %(prefix)s
       AND EXISTS (SELECT 1 FROM casework_consent k
                    WHERE k.case_id = c.id AND k.scope = 'statistics' AND k.withdrawn_on IS NULL)
)
"""

HAND_SQL = {
    "survivors": CASES_CTE
    + """
SELECT GROUPING(bucket, sex, age_band, ethnicity, disability) AS g,
       bucket, sex, age_band, ethnicity, disability,
       count(DISTINCT person) AS persons, count(DISTINCT address) AS addresses,
       count(DISTINCT person) FILTER (WHERE ethnicity NOT IN ('01', '98', '99')) AS minority
  FROM counted
 GROUP BY GROUPING SETS ((), (bucket), (sex), (sex, bucket), (age_band), (age_band, bucket),
                         (ethnicity), (ethnicity, bucket), (disability), (disability, bucket))
""",
    "incidents": CASES_CTE
    + """
SELECT GROUPING(bucket, i.gbv_type) AS g, bucket, i.gbv_type, count(DISTINCT person) AS persons,
       count(DISTINCT address) AS addresses,
       count(DISTINCT person) FILTER (WHERE i.harm_physical) AS physical,
       count(DISTINCT person) FILTER (WHERE i.harm_mental) AS mental,
       count(DISTINCT person) FILTER (WHERE i.harm_sexual) AS sexual,
       count(DISTINCT person) FILTER (WHERE i.harm_economic) AS economic,
       count(DISTINCT person) FILTER (WHERE i.domestic_violence) AS dv,
       count(DISTINCT person) FILTER (WHERE i.trafficking) AS trafficking,
       count(DISTINCT person) FILTER (WHERE i.child_marriage) AS child_marriage,
       count(DISTINCT person) FILTER (WHERE i.consanguineous_marriage) AS consanguineous
  FROM counted LEFT JOIN casework_incident i ON i.case_id = counted.id
 GROUP BY GROUPING SETS ((), (bucket), (i.gbv_type), (i.gbv_type, bucket))
""",
    "series": CASES_CTE.replace("c.age_band,", "c.age_band, c.opened_on,")
    + """
SELECT date_trunc(%(slot)s, opened_on) AS slot, count(DISTINCT person), count(DISTINCT address)
  FROM counted GROUP BY 1
""",
    "excluded": """
SELECT count(*), count(DISTINCT c.trusted_address_id)
  FROM casework_case c JOIN accounts_organisation o ON o.id = c.trusted_address_id
  JOIN accounts_adminunit u ON u.id = o.area_id
 WHERE c.opened_on BETWEEN %(start)s AND %(end)s AND u.path LIKE %(prefix)s
   AND NOT EXISTS (SELECT 1 FROM casework_consent k
                    WHERE k.case_id = c.id AND k.scope = 'statistics' AND k.withdrawn_on IS NULL)
""",
    "support": """
SELECT GROUPING(bucket, kind) AS g, bucket, kind, count(DISTINCT person), count(DISTINCT address), count(*),
       sum(nights), sum(amount_vnd),
       count(DISTINCT person) FILTER (WHERE kind IN ('material', 'cash')) AS emergency
  FROM (SELECT v.kind, v.nights, v.amount_vnd, c.trusted_address_id AS address,
               COALESCE(NULLIF(s.name_birth_year_index, ''), s.id::text) AS person,
               left(u.path, %(size)s + strpos(substr(u.path, %(size)s + 1), '/')) AS bucket
          FROM casework_supportservice v
          JOIN casework_case c ON c.id = v.case_id
          JOIN casework_survivor s ON s.id = c.survivor_id
          JOIN accounts_organisation o ON o.id = c.trusted_address_id
          JOIN accounts_adminunit u ON u.id = o.area_id
         WHERE v.provided_on BETWEEN %(start)s AND %(end)s AND u.path LIKE %(prefix)s
           AND EXISTS (SELECT 1 FROM casework_consent k
                        WHERE k.case_id = c.id AND k.scope = 'statistics' AND k.withdrawn_on IS NULL)) given
 GROUP BY GROUPING SETS ((), (bucket), (kind), (kind, bucket))
""",
    "referrals": """
WITH sent AS (
    SELECT r.id, r.partner_kind, r.partner_id, r.status, r.accepted_at, r.sent_at,
           c.trusted_address_id AS address,
           COALESCE(NULLIF(s.name_birth_year_index, ''), s.id::text) AS person,
           left(u.path, %(size)s + strpos(substr(u.path, %(size)s + 1), '/')) AS bucket
      FROM referrals_referral r
      JOIN casework_case c ON c.id = r.case_id
      JOIN casework_survivor s ON s.id = c.survivor_id
      JOIN accounts_organisation o ON o.id = c.trusted_address_id
      JOIN accounts_adminunit u ON u.id = o.area_id
     WHERE r.sent_at >= %(start_at)s AND r.sent_at < %(end_at)s AND r.status <> 'draft'
       AND u.path LIKE %(prefix)s
       AND EXISTS (SELECT 1 FROM casework_consent k
                    WHERE k.case_id = c.id AND k.scope = 'statistics' AND k.withdrawn_on IS NULL)
)
SELECT GROUPING(bucket, partner_kind) AS g, bucket, partner_kind, count(DISTINCT person),
       count(DISTINCT address), count(*), count(*) FILTER (WHERE accepted_at IS NOT NULL),
       count(*) FILTER (WHERE status = 'completed'),
       count(*) FILTER (WHERE status = 'declined'), count(*) FILTER (WHERE status = 'expired'),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM accepted_at - sent_at) / 3600.0),
       count(DISTINCT partner_id)
  FROM sent GROUP BY GROUPING SETS ((), (bucket), (partner_kind), (partner_kind, bucket))
""",
    "referral_services": """
SELECT rs.service, count(DISTINCT COALESCE(NULLIF(s.name_birth_year_index, ''), s.id::text)),
       count(DISTINCT c.trusted_address_id), count(DISTINCT r.id)
  FROM referrals_referral r
  JOIN referrals_referralservice rs ON rs.referral_id = r.id
  JOIN casework_case c ON c.id = r.case_id
  JOIN casework_survivor s ON s.id = c.survivor_id
  JOIN accounts_organisation o ON o.id = c.trusted_address_id
  JOIN accounts_adminunit u ON u.id = o.area_id
 WHERE r.sent_at >= %(start_at)s AND r.sent_at < %(end_at)s AND r.status <> 'draft' AND u.path LIKE %(prefix)s
   AND EXISTS (SELECT 1 FROM casework_consent k
                WHERE k.case_id = c.id AND k.scope = 'statistics' AND k.withdrawn_on IS NULL)
 GROUP BY rs.service
""",
    "livelihood": """
SELECT GROUPING(bucket, programme_model, beneficiary_group) AS g, bucket, programme_model, beneficiary_group,
       count(DISTINCT person), count(DISTINCT address), sum(amount_vnd),
       count(DISTINCT model_name) FILTER (WHERE model_name <> '')
  FROM (SELECT l.programme_model, l.beneficiary_group, l.amount_vnd, l.model_name,
               c.trusted_address_id AS address,
               COALESCE(NULLIF(s.name_birth_year_index, ''), s.id::text) AS person,
               left(u.path, %(size)s + strpos(substr(u.path, %(size)s + 1), '/')) AS bucket
          FROM casework_livelihoodsupport l
          JOIN casework_case c ON c.id = l.case_id
          JOIN casework_survivor s ON s.id = c.survivor_id
          JOIN accounts_organisation o ON o.id = c.trusted_address_id
          JOIN accounts_adminunit u ON u.id = o.area_id
         WHERE l.started_on BETWEEN %(start)s AND %(end)s AND u.path LIKE %(prefix)s
           AND EXISTS (SELECT 1 FROM casework_consent k
                        WHERE k.case_id = c.id AND k.scope = 'statistics' AND k.withdrawn_on IS NULL)) started
 GROUP BY GROUPING SETS ((), (bucket), (programme_model), (programme_model, bucket), (beneficiary_group),
                         (beneficiary_group, bucket), (programme_model, beneficiary_group),
                         (programme_model, beneficiary_group, bucket))
""",
    "addresses": """
SELECT GROUPING(bucket) AS g, bucket, count(*), count(*) FILTER (WHERE programme_status = 'new'
       AND established_on >= %(start)s), count(*) FILTER (WHERE programme_status = 'consolidated'),
       count(*) FILTER (WHERE active)
  FROM (SELECT o.programme_status, o.established_on,
               left(u.path, %(size)s + strpos(substr(u.path, %(size)s + 1), '/')) AS bucket,
               (EXISTS (SELECT 1 FROM casework_case c
                         WHERE c.trusted_address_id = o.id AND c.opened_on <= %(end)s
                          AND (c.closed_on IS NULL OR c.closed_on >= %(start)s)
                          AND EXISTS (SELECT 1 FROM casework_consent k WHERE k.case_id = c.id
                                      AND k.scope = 'statistics' AND k.withdrawn_on IS NULL))
                OR EXISTS (SELECT 1 FROM casework_supportservice v JOIN casework_case c ON c.id = v.case_id
                            WHERE c.trusted_address_id = o.id AND v.provided_on BETWEEN %(start)s AND %(end)s
                              AND EXISTS (SELECT 1 FROM casework_consent k WHERE k.case_id = c.id
                                          AND k.scope = 'statistics' AND k.withdrawn_on IS NULL))) AS active
          FROM accounts_organisation o JOIN accounts_adminunit u ON u.id = o.area_id
         WHERE o.kind = 'trusted_address' AND o.established_on <= %(end)s AND u.path LIKE %(prefix)s
           AND o.is_active) working
 GROUP BY GROUPING SETS ((), (bucket))
""",
}


def hand_sql(area: Any, period: Any) -> dict[str, list[tuple[Any, ...]]]:
    """The same aggregates as indicators/aggregates.py, written by hand (GROUPING SETS: one scan per
    population instead of one query per breakdown)."""
    from django.db import connection

    from indicators.queryspecs import bounds

    start_at, end_at = bounds(period)
    params = {
        "size": len(area.path),
        "start": period.start,
        "end": period.end,
        "prefix": f"{area.path}%",
        "start_at": start_at,
        "end_at": end_at,
        "slot": period.child_kind or "month",
    }
    results = {}
    with connection.cursor() as cursor:
        for name, sql in HAND_SQL.items():
            cursor.execute(sql, params)
            results[name] = cursor.fetchall()
    return results


def compare(report: Any, results: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    """The hand-written SQL gives the same headline figures as the report (checked, so that the
    comparison is between equal work)."""
    total = report.columns[0].key
    everyone = next(row for row in results["survivors"] if row[0] == 31)
    sent = next(row for row in results["referrals"] if row[0] == 3)
    checks = {
        "survivors": (report.cells[("SV", "all", total)].value, everyone[6]),
        "minority": (report.cells[("SV_ETH", "eth:minority", total)].value, everyone[8]),
        "referrals sent": (report.cells[("RF_OUT", "all", "sent")].value, sent[5]),
    }
    return {name: {"report": a, "sql": b, "equal": a == b} for name, (a, b) in checks.items()}


# --- Output --------------------------------------------------------------------------------------------


def table(figures: dict[str, Any]) -> str:
    timings = figures["timings"]
    lines = [
        f"Dataset: {figures['cases']:,} cases; {figures['cases_in_period']:,} opened in {figures['period']}, "
        f"{figures['people_in_period']:,} people counted; snapshot of {figures['snapshot_area_periods']:,} "
        "area-periods.",
        "",
        f"{'measurement':<78} {'queries':>7} {'SQL ms':>8} {'median ms':>9} {'p90 ms':>8} {'CPU ms':>8}",
    ]
    for t in timings:
        cpu = f"{t.cpu_ms:>8.0f}" if t.cpu_ms is not None else f"{'':>8}"
        lines.append(f"{t.label:<78} {t.queries:>7} {t.sql_ms:>8.0f} {t.median_ms:>9.0f} {t.p90_ms:>8.0f} {cpu}")

    def find(label: str) -> Timing:
        return next(t for t in timings if t.label.startswith(label))

    built, page = find("release: province report built"), find("release: province: dashboard")
    after = find("after a withdrawal: province: dashboard")
    pdf = find("release: province: PDF download")
    withdrawals = figures["withdrawals"]
    lines += [
        "",
        f"Province report built from the release: {built.cpu_ms:.0f} ms CPU (goal ≤ 150 ms)",
        f"Province dashboard page, uncached: {page.median_ms:.0f} ms, {page.cpu_ms:.0f} ms CPU; right after a "
        f"withdrawal {after.median_ms:.0f} ms (goal ≤ 1 s)",
        f"PDF download, uncached: {pdf.median_ms / 1000:.2f} s (goal ≤ 2 s)",
        f"Refresh: {find('indicators_refresh').median_ms / 1000:.0f} s",
        f"Withdrawals: {withdrawals['count']}, snapshot corrected in place: "
        + ("yes" if withdrawals["snapshot_corrected_in_place"] else "NO")
        + f"; still the current snapshot at the end: {'yes' if figures['snapshot_still_current'] else 'NO'}",
    ]
    for run in figures["throughput"]:
        lines.append(
            f"gunicorn, {run['workers']} workers, {run['clients']} clients × "
            f"{run['requests'] // run['clients']} requests, report cache {run['cache_seconds']} s: "
            f"{run['per_second']:.1f} pages/s, median {run['median_ms']:.0f} ms, p90 {run['p90_ms']:.0f} ms, "
            f"{run['failures']} failed"
        )
    if "check" in figures:
        lines.append("Same figures from ORM and hand-written SQL: " + ", ".join(
            f"{k} {'yes' if v['equal'] else 'NO'} ({v['report']})" for k, v in figures["check"].items()))
    return "\n".join(lines)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.indicators",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--cases", type=int, default=1_000_000, help="synthetic cases (default 1,000,000)")
    parser.add_argument("--addresses", type=int, default=PROGRAMME_ADDRESSES, help="trusted addresses")
    parser.add_argument("--workers", type=int, default=1, help="processes for the case fill")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per measurement (default 7)")
    parser.add_argument("--period", help="the period to report (default: the current year)")
    parser.add_argument("--fill-only", action="store_true", help="fill, then stop")
    parser.add_argument("--live", action="store_true",
                        help="also time the reports counted from the records (ORM and hand-written SQL)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients on gunicorn (default 20)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(_measure, _parse(argv))


def _measure(args: argparse.Namespace) -> int:
    say = stderr_say
    url = prepare_environment(
        bench_database_url({"DATABASE_URL": os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL})
    )
    ensure_database(url, reset=False, say=say)

    import django
    from django.core.management import call_command

    django.setup()
    say("Migrating")
    call_command("migrate", verbosity=0)
    layout = fill(cases=args.cases, addresses=args.addresses, workers=args.workers, say=say)
    extras = fill_extras(say=say)
    say(
        f"Extras: {extras.services:,} services, {extras.livelihood:,} livelihood, {extras.referrals:,} "
        f"referrals added in {extras.seconds:.0f} s"
    )
    if args.fill_only:
        return 0
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say("Measuring")
    figures = measure(repeats=args.repeats, period_code=args.period, live=args.live, clients=args.clients)
    print(table(figures))
    facts = machine()
    print(
        f"\nMachine: {facts['cpus']} CPUs, {facts['memory']}, PostgreSQL {facts['postgresql']}, "
        f"Python {facts['python']}; load average after measuring: {facts['load_average_1_5_15_min']}"
    )
    if args.json:
        write_json(args.json, {
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "machine": facts,
            "cases": figures["cases"],
            "period": figures["period"],
            "check": figures.get("check"),
            "withdrawals": figures["withdrawals"],
            "throughput": figures["throughput"],
            "timings": [asdict(t) for t in figures["timings"]],
            "layout_cases": layout.total_cases,
        })
    return 0


if __name__ == "__main__":
    sys.exit(main())
