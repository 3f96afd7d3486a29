"""The case summary as a PDF document, rendered in core.pdf's closed world (no network, no local file
but the static files and the embedded fonts).

One function per use: :func:`render_case_summary`; :func:`case_summary_context` reads everything the
document shows.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core.labels import field_label
from core.pdf import render_pdf

if TYPE_CHECKING:
    from accounts.models import Membership, User
    from casework.models import Case


def display_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _display(obj: Any, name: str) -> str:
    """One field of a record as printed text ("" when empty)."""
    field = obj._meta.get_field(name)
    value = getattr(obj, f"get_{name}_display")() if field.choices else getattr(obj, name)
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, int) and name.startswith("amount"):
        return f"{value:,}".replace(",", ".") + " ₫"
    return str(value)


def _facts(obj: Any, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """(label, value) rows, labelled with the fields' own (translated) names."""
    return [(capfirst(field_label(obj, name)), _display(obj, name)) for name in names]


SURVIVOR_FIELDS = ("full_name", "other_names", "date_of_birth", "birth_year", "sex", "ethnicity",
                   "disability", "phone", "address", "national_id", "guardian_contact", "commune")
CASE_FIELDS = ("status", "opened_on", "closed_on", "closure_reason", "trusted_address", "risk_level",
               "age_band", "support_plan_due_on", "support_plan_done_on")
INCIDENT_FIELDS = ("occurred_on", "place_type", "gbv_type", "perpetrator_relationship", "perpetrator_sex",
                   "perpetrator_age", "previously_reported", "first_reported_on")
INCIDENT_FLAGS = ("domestic_violence", "intimate_partner", "trafficking", "child_marriage",
                  "consanguineous_marriage", "child_sexual_abuse")
CONSENT_FIELDS = ("scope", "given_by", "guardian_name", "given_on", "withdrawn_on")
SERVICE_FIELDS = ("kind", "provided_on", "provider", "check_in", "check_out", "nights", "amount_vnd")
LIVELIHOOD_FIELDS = ("support_type", "programme_model", "model_name", "beneficiary_group", "amount_vnd",
                     "started_on", "ended_on", "outcome", "followed_up_on")


def case_summary_context(
    case: Case, *, printed_by: Membership, printed_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Everything the case summary shows, read here (the template does no queries of its own)."""
    from casework import risk
    from casework.models import Consent, Incident, SafetyPlan

    survivor = case.survivor
    questions = {key: question for key, question, _weight in risk.QUESTIONS}
    incidents = []
    for incident in case.incidents.all():
        marks = [*incident.legal_harms,
                 *(field_label(Incident, name) for name in INCIDENT_FLAGS
                   if getattr(incident, name))]
        incidents.append({"facts": _facts(incident, INCIDENT_FIELDS), "marks": marks,
                          "text": incident.narrative})
    risk_assessments = [
        {
            "record": assessment,
            "assessor": display_name(assessment.assessor.user),
            "yes": [questions[key] for key in risk.ANSWER_KEYS if assessment.answers.get(key)],
            "text": assessment.notes,
        }
        for assessment in case.risk_assessments.select_related("assessor__user")
    ]
    safety_plan = SafetyPlan.objects.filter(case=case).select_related("updated_by__user").first()
    return {
        "case": case,
        "code": survivor.code,
        "survivor_facts": _facts(survivor, SURVIVOR_FIELDS),
        "case_facts": _facts(case, CASE_FIELDS),
        "volunteers": [display_name(m.user) for m in case.assigned_volunteers.select_related("user")],
        "incidents": incidents,
        "consent_labels": [capfirst(field_label(Consent, name)) for name in CONSENT_FIELDS],
        "consents": [[_display(c, name) for name in CONSENT_FIELDS] for c in case.consents.all()],
        "risk_assessments": risk_assessments,
        "safety_plan": safety_plan,
        "safety_items": ([SafetyPlan.Item(item).label for item in safety_plan.checklist
                          if item in SafetyPlan.Item.values] if safety_plan else []),
        "services": [{"facts": _facts(s, SERVICE_FIELDS), "text": s.notes}
                     for s in case.services.select_related("provider")],
        "livelihood": [{"facts": _facts(s, LIVELIHOOD_FIELDS), "text": s.notes}
                       for s in case.livelihood_supports.all()],
        "notes": [{"at": _display(n, "created_at"), "author": display_name(n.author.user), "text": n.text}
                  for n in case.notes.select_related("author__user")],
        "printed_at": timezone.localtime(printed_at or timezone.now()),
        "printed_by": display_name(printed_by.user),
        "printed_by_membership": printed_by,
    }


def render_case_summary(
    case: Case, *, printed_by: Membership, printed_at: dt.datetime | None = None,
) -> bytes:
    """The case summary as a PDF: the whole record, with who printed it and when.

    The caller has passed the gate and records the access (``CaseAccess.Action.PRINT_SUMMARY``).
    """
    html = render_to_string(
        "casework/pdf/case_summary.html",
        case_summary_context(case, printed_by=printed_by, printed_at=printed_at),
    )
    return render_pdf(html)
