"""The confidential boundary: the only module of ``indicators`` that reads casework and referrals.

Everything that leaves the confidential zone as statistics is counted from the populations below, and
they give nothing but counts, sums and medians per category — never a row, a name or a code:

* every query ends in ``.values(<categories>).annotate(<aggregates>)``: a GROUP BY in the database
  (:mod:`indicators.queryspecs` runs them; :mod:`indicators.sqlfunctions` holds their SQL);
* only the columns in :data:`READABLE` are read — analytic categories, dates, foreign keys and the
  keyed blind index used to count a person once across trusted addresses. No encrypted column and no
  survivor code is ever selected, filtered or grouped on (``tests/indicators/test_boundary.py`` reads
  the SQL of a refresh, a withdrawal and the report pages, and fails on a column not listed there, or
  listed there and never read);
* only cases whose survivor consented to anonymised statistics, and has not withdrawn that consent,
  are counted (:func:`counted_cases`); :func:`excluded_tallies` says how many were left out.

Each report section is a list of :class:`~indicators.queryspecs.Spec` (``*_specs``), counted live for
one area and period by the ``*_tallies`` functions, or for every period and area at once into the
statistics snapshot (:data:`SNAPSHOT_SECTIONS`). The module as a whole is a
:class:`~indicators.tallies.TallySource`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterator
from dataclasses import replace
from functools import partial
from typing import Any

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Coalesce

from accounts.models import AdminUnit, Organisation
from casework.ethnicity import NOT_MINORITY, Ethnicity
from casework.gbv import GBVType
from casework.models import (
    AgeBand,
    Case,
    Consent,
    Incident,
    LivelihoodSupport,
    Sex,
    SupportService,
    Survivor,
    YesNoUnknown,
)
from core.labels import field_label
from core.statements import bound_values
from indicators.periods import Period
from indicators.queryspecs import (
    TRUNC,
    Spec,
    as_date,
    bounds,
    child_bucket,
    count,
    count_one,
    group_keys,
    per_row,
    placed_in,
    snapshot_cells,
    sub_period_code,
)
from indicators.sqlfunctions import HoursBetween, Median, RecordKey, persons
from indicators.tallies import RowKey, SnapshotKey, Tallies, TallyKey
from referrals.models import Referral, Service, Status

# The columns a query over case data (any query naming a casework or referrals table) may read, per
# model, whatever the table: the SQL-capture tests fail on any other, and on one listed here that a
# refresh never reads. Nothing encrypted, no survivor code.
READABLE: dict[str, frozenset[str]] = {
    "casework.Survivor": frozenset({"id", "name_birth_year_index", "sex", "ethnicity", "disability"}),
    "casework.Case": frozenset({"id", "survivor", "trusted_address", "opened_on", "closed_on", "age_band"}),
    "casework.Consent": frozenset({"case", "scope", "withdrawn_on"}),
    "casework.Incident": frozenset(
        {
            "id",
            "case",
            "gbv_type",
            "harm_physical",
            "harm_mental",
            "harm_sexual",
            "harm_economic",
            "domestic_violence",
            "trafficking",
            "child_marriage",
            "consanguineous_marriage",
        }
    ),
    "casework.SupportService": frozenset({"id", "case", "kind", "provided_on", "nights", "amount_vnd"}),
    "casework.LivelihoodSupport": frozenset(
        {
            "case",
            "programme_model",
            "beneficiary_group",
            "model_name",
            "amount_vnd",
            "started_on",
        }
    ),
    "referrals.Referral": frozenset(
        {"id", "case", "partner", "partner_kind", "status", "sent_at", "accepted_at"}
    ),
    "referrals.ReferralService": frozenset({"referral", "service"}),
    "accounts.Organisation": frozenset(
        {"id", "kind", "area", "established_on", "programme_status", "is_active"}
    ),
    "accounts.AdminUnit": frozenset({"id", "path"}),
    # When an address was last active (trusted addresses active in a period).
    "accounts.HistoricalOrganisation": frozenset({"id", "is_active", "history_date"}),
}


# --- Vocabularies (labels come from the models' own choices) ------------------------------------------

MINORITY = "minority"
OTHER_MINORITIES = "other"  # the minority groups a report does not list one by one
# Kinh, foreign, not known: the report's own rows, in this order, around the minority groups.
NOT_MINORITY_CODES: tuple[str, ...] = tuple(str(code) for code in NOT_MINORITY)
HARMS: tuple[tuple[str, str], ...] = (
    ("physical", "harm_physical"),
    ("mental", "harm_mental"),
    ("sexual", "harm_sexual"),
    ("economic", "harm_economic"),
)
CONTEXTS: tuple[str, ...] = ("domestic_violence", "trafficking", "child_marriage", "consanguineous_marriage")
SUPPORT_KINDS = SupportService.Kind
LIVELIHOOD_MODELS = LivelihoodSupport.Model
LIVELIHOOD_GROUPS = LivelihoodSupport.Group
PARTNER_KINDS: tuple[str, ...] = tuple(str(kind) for kind in Organisation.PARTNER_KINDS)
SERVICES = Service
OUTCOMES = ("sent", "accepted", "completed", "declined", "expired", "other")
# Not accepted, not declined, not expired: still waiting, or withdrawn before anyone answered.
WAITING_OR_WITHDRAWN = Q(accepted_at__isnull=True) & ~Q(status__in=[Status.DECLINED, Status.EXPIRED])


def dimension_labels() -> dict[str, list[tuple[str, str]]]:
    """(value, label) of every category the report breaks figures down by, in display order."""
    return {
        "gbv": [(str(value), str(label)) for value, label in GBVType.choices],
        "harm": [(key, field_label(Incident, field)) for key, field in HARMS],
        "ctx": [(name, field_label(Incident, name)) for name in CONTEXTS],
        "sex": [(str(value), str(label)) for value, label in Sex.choices],
        "age": [(str(value), str(label)) for value, label in AgeBand.choices],
        "eth": [(str(value), str(label)) for value, label in Ethnicity.choices],
        "dis": [(str(value), str(label)) for value, label in YesNoUnknown.choices],
        "kind": [(str(value), str(label)) for value, label in SupportService.Kind.choices],
        "model": [(str(value), str(label)) for value, label in LivelihoodSupport.Model.choices],
        "group": [(str(value), str(label)) for value, label in LivelihoodSupport.Group.choices],
        "partner": [(kind, str(Organisation.Kind(kind).label)) for kind in PARTNER_KINDS],
        "service": [(str(value), str(label)) for value, label in Service.choices],
    }


# --- Building blocks ---------------------------------------------------------------------------------


def consented(case_ref: str = "pk") -> Exists:
    """The case (``OuterRef(case_ref)``) has a current consent to anonymised statistics."""
    return Exists(
        Consent.objects.filter(
            case_id=OuterRef(case_ref),
            scope=Consent.Scope.STATISTICS,
            withdrawn_on__isnull=True,
        )
    )


def counted_cases() -> models.QuerySet[Case]:
    """Cases that statistics may count (GBVIMS: only with consent to anonymised use)."""
    return Case.objects.filter(consented("pk"))




def statistics_case(consent: Consent) -> uuid.UUID | None:
    """The case whose consent to anonymised statistics this is; None for any other kind of consent."""
    return consent.case_id if consent.scope == Consent.Scope.STATISTICS else None


CASE_PATH = "trusted_address__area__path"


def _of_counted_cases(records: models.Manager[Any], *, date: str, row: str, measures: dict[str, Any]) -> Spec:
    """The ``records`` of counted cases (support given, livelihood support), every row of a breakdown
    counted in one scan."""
    return Spec(
        queryset=records.filter(consented("case_id")),
        date=date,
        path=f"case__{CASE_PATH}",
        row=row,
        per_row=True,
        measures=measures,
    )


# --- Survivors supported -----------------------------------------------------------------------------


def survivor_specs() -> list[Spec]:
    """People supported (with a new case in the period), in total and by each breakdown: one scan for
    every breakdown but ethnicity (filtered counts), one for ethnicity (GROUP BY)."""
    rows: dict[str, Q | None] = {"all": None}
    rows |= {str(RowKey("gbv", value)): Q(incidents__gbv_type=value) for value in GBVType.values}
    rows[str(RowKey("gbv", "none"))] = Q(incidents__isnull=True)
    rows |= {str(RowKey("harm", key)): Q(**{f"incidents__{field}": True}) for key, field in HARMS}
    rows |= {str(RowKey("ctx", name)): Q(**{f"incidents__{name}": True}) for name in CONTEXTS}
    rows |= {str(RowKey("sex", value)): Q(survivor__sex=value) for value in Sex.values}
    rows |= {str(RowKey("age", value)): Q(age_band=value) for value in AgeBand.values}
    rows |= {str(RowKey("dis", value)): Q(survivor__disability=value) for value in YesNoUnknown.values}
    rows[str(RowKey("eth", MINORITY))] = ~Q(survivor__ethnicity__in=NOT_MINORITY)
    common = partial(Spec, queryset=counted_cases(), date="opened_on", path=CASE_PATH)
    return [
        common(row="sv", per_row=True,
             measures=per_row(rows, lambda condition: persons(condition=condition))),
        common(group="survivor__ethnicity", row="eth", measures=persons()),
    ]


def survivor_tallies(area: AdminUnit, period: Period, *, children: bool) -> Tallies:
    return count(survivor_specs(), area, period, children=children)


def survivor_series(area: AdminUnit, period: Period) -> Tallies:
    """People supported in each sub-period (years of a phase, quarters of a year, months of a quarter):
    each sub-period's own total, counted as its own report counts it."""
    everyone = survivor_specs()[0]
    return {
        TallyKey(child.code, area.path):
            count_one(everyone, area, child, children=False).get(TallyKey("all", area.path), {})
        for child in period.children()
    }


def excluded_specs() -> list[Spec]:
    """New cases in the period left out because there is no current consent to statistics."""
    return [
        Spec(
            queryset=Case.objects.filter(~consented("pk")),
            date="opened_on",
            path=CASE_PATH,
            row="excluded",
            by_child=False,
            # Cases, not people (a case without consent is not matched to a person); keyed by the case.
            measures={"persons": Count("pk"),
                      "key": Sum(RecordKey(Cast("pk", output_field=models.CharField())))},
        )
    ]


def excluded_tallies(area: AdminUnit, period: Period) -> Tallies:
    return count(excluded_specs(), area, period, children=False)


# --- Support given -----------------------------------------------------------------------------------


def support_specs() -> list[Spec]:
    """Per kind of support: people, services, shelter nights and amounts, for support given in the
    period."""
    rows: dict[str, Q | None] = {"all": None}
    rows |= {str(RowKey("kind", kind)): Q(kind=kind) for kind in SupportService.Kind.values}
    rows["emergency"] = Q(kind__in=[SupportService.Kind.EMERGENCY_MATERIAL, SupportService.Kind.EMERGENCY_CASH])

    def measures(condition: Q | None) -> dict[str, Any]:
        return {
            **persons("case__", condition),
            "services": Count("pk", filter=condition),
            "nights": Coalesce(Sum("nights", filter=condition), 0),
            "amount": Coalesce(Sum("amount_vnd", filter=condition), 0),
        }

    return [_of_counted_cases(SupportService.objects, date="provided_on", row="sp", measures=per_row(rows, measures))]


def support_tallies(area: AdminUnit, period: Period, *, children: bool) -> Tallies:
    return count(support_specs(), area, period, children=children)


# --- Referrals ---------------------------------------------------------------------------------------


def _referral_measures(condition: Q | None) -> dict[str, Any]:
    """Everything counted of the referrals of one row: people, referrals sent, their outcomes, partners,
    and the median hours to acceptance."""

    def both(extra: Q) -> Q:
        return extra & condition if condition is not None else extra

    outcomes = {
        "accepted": Q(accepted_at__isnull=False),
        "completed": Q(status=Status.COMPLETED),
        "declined": Q(status=Status.DECLINED),
        "expired": Q(status=Status.EXPIRED),
        "other": WAITING_OR_WITHDRAWN,
    }
    found = {**persons("case__", condition), "sent": Count("pk", filter=condition),
             "partners": Count("partner", distinct=True, filter=condition),
             "hours": Median(HoursBetween("sent_at", "accepted_at"), filter=both(Q(accepted_at__isnull=False)))}
    for name, outcome in outcomes.items():
        found[name] = Count("pk", filter=both(outcome))
    return found


def referral_specs() -> list[Spec]:
    """People referred by partner kind (per area), and for the area as a whole the referrals, their
    outcomes, the median hours to acceptance and the number of partners; and referrals by service."""
    referrals = Referral.objects.filter(consented("case_id")).exclude(status=Status.DRAFT)
    common = partial(Spec, queryset=referrals, date="sent_at", is_datetime=True, path=f"case__{CASE_PATH}")
    rows: dict[str, Q | None] = {"all": None}
    rows |= {str(RowKey("partner", kind)): Q(partner_kind=kind) for kind in PARTNER_KINDS}

    def people(condition: Q | None) -> dict[str, Any]:
        return persons("case__", condition)

    return [
        common(row="rf", per_row=True, measures=per_row(rows, _referral_measures),
             child_measures=per_row(rows, people)),
        common(group="services__service", row="service", by_child=False,
             measures={**persons("case__"), "referrals": Count("pk", distinct=True)}),
    ]


def referral_tallies(area: AdminUnit, period: Period, *, children: bool) -> Tallies:
    return count(referral_specs(), area, period, children=children)


# --- Livelihood support ------------------------------------------------------------------------------


def livelihood_specs() -> list[Spec]:
    """Beneficiaries of livelihood support started in the period, by programme model and group; amounts;
    and the number of distinct named models."""
    rows: dict[str, Q | None] = {"all": None}
    for model in LivelihoodSupport.Model.values:
        rows[model] = Q(programme_model=model)
        for group in LivelihoodSupport.Group.values:
            rows[str(RowKey(model, group))] = Q(programme_model=model, beneficiary_group=group)
    for group in LivelihoodSupport.Group.values:
        rows[group] = Q(beneficiary_group=group)

    def measures(condition: Q | None) -> dict[str, Any]:
        named = Q(~Q(model_name=""), condition) if condition else ~Q(model_name="")
        return {
            **persons("case__", condition),
            "amount": Coalesce(Sum("amount_vnd", filter=condition), 0),
            "models": Count("model_name", distinct=True, filter=named),
        }

    return [_of_counted_cases(LivelihoodSupport.objects, date="started_on", row="lv", measures=per_row(rows, measures))]


def livelihood_tallies(area: AdminUnit, period: Period, *, children: bool) -> Tallies:
    return count(livelihood_specs(), area, period, children=children)


# What the statistics snapshot stores, per report section.
SNAPSHOT_SECTIONS: dict[str, Callable[[], list[Spec]]] = {
    "survivors": survivor_specs,
    "excluded": excluded_specs,
    "support": support_specs,
    "referrals": referral_specs,
    "livelihood": livelihood_specs,
}


# --- One person's cells (a withdrawal of consent) -------------------------------------------------------

def of_person(spec: Spec, case_id: Any) -> Spec:
    """The spec limited to the rows of one person, as :func:`person` counts people: every survivor
    with the keyed blind index of the case's survivor, or that survivor alone when she has none.

    Written as subqueries (found by index, on the survivor key and the blind index), so that nothing
    about her leaves the database but the counts of the cells she is in. Used to take her out of the
    statistics snapshot when she withdraws her consent (:func:`indicators.services.snapshot_correct`).
    """
    # One row: unordered, so the Meta ordering's created_at is not read (READABLE lists no such column).
    hers = Case.objects.filter(pk=case_id).order_by()
    index = Subquery(hers.values("survivor__name_birth_year_index")[:1])
    survivors = Survivor.objects.filter(
        Q(pk=Subquery(hers.values("survivor_id")[:1])) | (Q(name_birth_year_index=index) & ~Q(name_birth_year_index=""))
    )
    prefix = "" if spec.queryset.model is Case else "case__"
    return replace(spec, queryset=spec.queryset.filter(**{f"{prefix}survivor__in": survivors}))



# No case has this id (ids are random, version 4): it stands for the case in a compiled statement.
NO_CASE = uuid.UUID(int=0)


def person_grouped(
    spec: Spec, *, case_id: Any, kind: str, depth: int, statement: Hashable
) -> Iterator[tuple[SnapshotKey, dict[str, Any]]]:
    """:func:`~indicators.queryspecs.grouped` for the rows of one person (:func:`of_person`), without the
    measures of the largest trusted address. Its SQL is the same for every person but for her case's id,
    so it is compiled once (per connection) under the name ``statement``, which must stand for ``spec``,
    ``kind`` and ``depth`` (:func:`core.statements.bound_values`)."""
    keys = group_keys(spec)

    def build(case: Any) -> models.QuerySet[Any]:
        placed = placed_in(of_person(spec, case), kind=kind, depth=depth)
        rows: models.QuerySet[Any] = placed.values(*keys).annotate(**spec.measures).order_by()
        return rows

    rows = bound_values(statement, build, case_id, field=Case._meta.pk, placeholder=NO_CASE)
    yield from snapshot_cells(spec, kind, keys, rows, {})


# --- Trusted addresses -------------------------------------------------------------------------------


def _existing_addresses(period: Period) -> models.QuerySet[Organisation]:
    """Trusted addresses working at some time in the period: established by its end, and active now or
    deactivated (per the organisation's history) after it started."""
    history = Organisation.history.model
    start, _end = bounds(period)
    last_active = Subquery(
        history.objects.filter(id=OuterRef("pk"), is_active=True)
        .order_by("-history_date")
        .values("history_date")[:1]
    )
    return (
        Organisation.objects.trusted_addresses()
        .filter(established_on__lte=period.end)
        .annotate(last_active=last_active)
        .annotate(
            deactivated=Subquery(
                history.objects.filter(
                    id=OuterRef("pk"), is_active=False, history_date__gt=OuterRef("last_active")
                )
                .order_by("history_date")
                .values("history_date")[:1]
            )
        )
        .filter(Q(is_active=True) | Q(last_active__isnull=False, deactivated__gte=start))
    )


def address_tallies(area: AdminUnit, period: Period, *, children: bool) -> Tallies:
    """Trusted addresses (not people: shown exact): working in the period, newly established in it,
    consolidated, and active (a counted case open, or support given, in the period)."""
    open_case = (
        counted_cases()
        .filter(trusted_address=OuterRef("pk"), opened_on__lte=period.end)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=period.start))
    )
    # The addresses that gave support in the period, as one set (not a subquery per address): inside a
    # COUNT's FILTER PostgreSQL cannot turn a correlated EXISTS into a join, and it scanned the period's
    # services once per address — 39 s for a quarter without cases at a million cases, against 1 s.
    served = SupportService.objects.filter(
        consented("case_id"),
        case__trusted_address__area__path__startswith=area.path,
        provided_on__gte=period.start,
        provided_on__lte=period.end,
    ).values("case__trusted_address")
    existing = _existing_addresses(period)
    new = Q(programme_status=Organisation.ProgrammeStatus.NEW, established_on__gte=period.start)
    measures = {
        "total": Count("pk"),
        "new": Count("pk", filter=new),
        "consolidated": Count("pk", filter=Q(programme_status=Organisation.ProgrammeStatus.CONSOLIDATED)),
        "active": Count("pk", filter=Q(Exists(open_case)) | Q(pk__in=served)),
    }
    spec = Spec(queryset=existing, date=None, path="area__path", measures=measures, row="ta")
    flat = count_one(spec, area, period, children=children)
    return {
        TallyKey(name, column): {"count": values[name]}
        for (_row, column), values in flat.items()
        for name in measures
    }


def address_series(area: AdminUnit, period: Period) -> Tallies:
    """Newly established trusted addresses in each sub-period."""
    kind = period.child_kind
    if kind is None:
        return {}
    rows = (
        Organisation.objects.trusted_addresses()
        .filter(
            area__path__startswith=area.path,
            programme_status=Organisation.ProgrammeStatus.NEW,
            established_on__gte=period.start,
            established_on__lte=period.end,
        )
        .annotate(slot=TRUNC[kind]("established_on"))
        .values("slot")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {TallyKey(sub_period_code(as_date(r["slot"]), kind), area.path): {"count": r["count"]} for r in rows}


def areas_with_addresses(area: AdminUnit) -> set[str]:
    """Paths of the child units of ``area`` that have (or had) a trusted address."""
    rows = (
        Organisation.objects.trusted_addresses()
        .filter(area__path__startswith=area.path)
        .annotate(bucket=child_bucket(area, "area__path"))
        .values_list("bucket", flat=True)
        .distinct()
    )
    return {path for path in rows if path != area.path}
