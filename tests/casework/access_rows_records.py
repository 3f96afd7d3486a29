"""Access-matrix rows for the intake wizard and the record forms inside a case.

Only a trusted address's own volunteers and lead record anything; every other role is refused up front
(403) and a case or record of another trusted address answers 404. Record routes are also tried with a
record of case B under case B's own id here; a record of case B under case A's id is in test_records.py.
"""

from __future__ import annotations

from collections.abc import Callable

from accounts.models import Membership, Role
from casework.models import Case, Consent, Incident, LivelihoodSupport, SupportService
from tests.access import OK, Kwargs, Row, only
from tests.casework.builders import case_a, case_b
from tests.conftest import Cast

RECORDERS = only({Role.VOLUNTEER, Role.LEAD}, status=OK)


def _case(build: Callable[[Cast], Case], **extra: object) -> Kwargs:
    def kwargs(cast: Cast, m: Membership | None) -> dict[str, object]:
        return {"pk": build(cast).pk, **extra}

    return kwargs


def _record(build: Callable[[Cast], Case], related: str) -> Kwargs:
    def kwargs(cast: Cast, m: Membership | None) -> dict[str, object]:
        case = build(cast)
        return {"pk": case.pk, "record_pk": getattr(case, related).order_by("pk").first().pk}

    return kwargs


def _case_rows() -> list[Row]:
    names = ["survivor-edit", "incident-create", "consent-create", "risk-create", "safety-plan-edit",
             "service-create", "livelihood-create", "note-create"]
    return [Row(f"casework:{name}", RECORDERS, kwargs=_case(case_a), foreign=_case(case_b)) for name in names]


def _record_rows() -> list[Row]:
    routes = {"incident-edit": "incidents", "consent-withdraw": "consents", "service-edit": "services",
              "livelihood-edit": "livelihood_supports"}
    return [Row(f"casework:{name}", RECORDERS, kwargs=_record(case_a, related),
                foreign=_record(case_b, related))
            for name, related in routes.items()]


ROWS: list[Row] = [
    Row("casework:intake-start", RECORDERS),
    Row("casework:intake-step", RECORDERS, kwargs=_case(case_a, step="incident"),
        foreign=_case(case_b, step="incident")),
    *_case_rows(),
    *_record_rows(),
]

# The record models the record routes address (kept here so the extra tests can reuse them).
RECORD_ROUTES: dict[str, type] = {
    "incident-edit": Incident, "consent-withdraw": Consent, "service-edit": SupportService,
    "livelihood-edit": LivelihoodSupport,
}
