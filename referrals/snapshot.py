"""The fields a volunteer may choose to share with a partner, and how each is read from the case.

The partner sees only the chosen fields, copied at sending time: later edits to the case do not flow
to the partner, and nothing outside this list can ever be shared (no narrative, no notes, no other
incidents or referrals).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from casework.models import Case, Incident


@dataclass(frozen=True)
class Shareable:
    key: str
    label: str | Promise
    read: Callable[[Case], str]
    identifying: bool = False


def _latest_incident(case: Case) -> Incident | None:
    return case.incidents.order_by("-occurred_on", "-created_at").first()


def _incident_type(case: Case) -> str:
    incident = _latest_incident(case)
    return str(incident.get_gbv_type_display()) if incident else ""


def _incident_date(case: Case) -> str:
    incident = _latest_incident(case)
    return formats.date_format(incident.occurred_on, "SHORT_DATE_FORMAT") if incident else ""


def _harms(case: Case) -> str:
    incident = _latest_incident(case)
    return ", ".join(incident.legal_harms) if incident else ""


def _age(case: Case) -> str:
    age = case.survivor.age_on(case.opened_on)
    return "" if age is None else str(age)


SHAREABLE: tuple[Shareable, ...] = (
    Shareable("code", _("Code"), lambda c: c.survivor.code),
    Shareable("sex", _("Sex"), lambda c: str(c.survivor.get_sex_display())),
    Shareable("age_band", _("Age band"), lambda c: str(c.get_age_band_display())),
    Shareable("age", _("Age"), _age),
    Shareable("ethnicity", _("Ethnicity"), lambda c: str(c.survivor.get_ethnicity_display())),
    Shareable("disability", _("Disability"), lambda c: str(c.survivor.get_disability_display())),
    Shareable("commune", _("Commune of residence"), lambda c: c.survivor.commune.name if c.survivor.commune else ""),
    Shareable("full_name", _("Full name"), lambda c: c.survivor.full_name, identifying=True),
    Shareable("phone", _("Phone"), lambda c: c.survivor.phone, identifying=True),
    Shareable("address", _("Address"), lambda c: c.survivor.address, identifying=True),
    Shareable("guardian_contact", _("Guardian or contact person"), lambda c: c.survivor.guardian_contact,
              identifying=True),
    Shareable("incident_type", _("Type of incident"), _incident_type),
    Shareable("incident_date", _("Date of incident"), _incident_date),
    Shareable("injuries", _("Harm suffered"), _harms),
    Shareable("risk_level", _("Current risk level"), lambda c: str(c.get_risk_level_display())),
)
SHAREABLE_BY_KEY = {s.key: s for s in SHAREABLE}
DEFAULT_SHARED = ("code", "sex", "age_band", "commune", "incident_type", "risk_level")


def take_snapshot(case: Case, keys: list[str]) -> dict[str, str]:
    """The chosen fields' current values, in the canonical order, unknown keys ignored."""
    chosen = set(keys)
    return {s.key: s.read(case) for s in SHAREABLE if s.key in chosen}


def labelled(snapshot: dict[str, str]) -> list[tuple[str, str]]:
    return [(str(SHAREABLE_BY_KEY[k].label), v) for k, v in snapshot.items() if k in SHAREABLE_BY_KEY]
