"""Forms that record or edit something inside a case: gate → form → service → redirect.

Every view is declared with ``@case_view(Perm.CASE_CHANGE)`` (records inside a case with
``@case_record_view``), which hands it the case, so a case or record of another trusted address answers
404 and a role without the permission 403.

Opening a form that shows saved confidential content counts as a read of the record and is logged
with ``access_record(action=EDIT)``: the survivor form, an incident, the safety plan, a support or a
livelihood record (their notes are confidential). Forms that show nothing saved — a new incident,
consent, risk assessment, support, livelihood or note — are not reads, and neither is the consent
withdrawal page (it shows the scope and dates only).

Every form view is also marked ``@keeps_work()`` and binds its form with ``accounts.unsaved.bound_data``:
a form posted after the idle time-out is kept and shown again, as typed, once its author signs in again.

Each "create" form is handled by a ``submit_*`` function shared with the intake wizard
(casework.views.intake): it returns the bound form and the saved record, or None while the form has
errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.access import Perm
from accounts.models import Membership
from accounts.requests import MemberRequest
from accounts.unsaved import bound_data, keeps_work
from casework import risk, services
from casework.access import case_record_view, case_view
from casework.forms import (
    ConsentForm,
    ConsentWithdrawForm,
    IncidentForm,
    LivelihoodForm,
    NoteForm,
    RiskForm,
    SafetyPlanForm,
    ServiceForm,
    SurvivorForm,
    add_service_errors,
    province_of,
)
from casework.models import (
    Case,
    CaseAccess,
    Consent,
    Incident,
    LivelihoodSupport,
    RiskAssessment,
    SafetyPlan,
    SupportService,
)


def acting(request: MemberRequest) -> Membership:
    return request.membership


def _to_case(case: Case) -> HttpResponse:
    return redirect("casework:case-detail", case.pk)


def _log_read(request: MemberRequest, case: Case, what: str) -> None:
    if request.method == "GET":
        services.access_record(case=case, by=acting(request), action=CaseAccess.Action.EDIT, what=what)


def _render(request: MemberRequest, template: str, case: Case, form: Any, **context: Any) -> HttpResponse:
    return render(request, f"casework/{template}", {"case": case, "form": form, "intake": None, **context})


def _saved(request: MemberRequest) -> None:
    messages.success(request, _("Saved."))


@dataclass
class Submitted:
    """A create form after a request: saved (``record`` set) or to show again with its errors."""

    form: Any
    record: Any = None

    @property
    def saved(self) -> bool:
        return self.record is not None


def submit(request: MemberRequest, form: Any, write: Callable[[dict[str, Any]], Any]) -> Submitted:
    """On a POST with a valid form, call ``write(cleaned_data)`` (a service); a refusal by the service
    (a rule, a stale version) becomes a form error, so everything typed is shown again."""
    if request.method == "POST" and form.is_valid():
        try:
            return Submitted(form, write(form.cleaned_data))
        except ValidationError as exc:
            add_service_errors(form, exc)
    return Submitted(form)


# --- Survivor -------------------------------------------------------------------------------------


def survivor_form(request: MemberRequest, data: Any = None, **kwargs: Any) -> SurvivorForm:
    address = acting(request).organisation
    return SurvivorForm(data, province=province_of(address.area), **kwargs)


@keeps_work()
@case_view(Perm.CASE_CHANGE)
def survivor_edit(request: MemberRequest, case: Case) -> HttpResponse:
    survivor = case.survivor
    form = survivor_form(request, bound_data(request), instance=survivor)
    result = submit(request, form, lambda data: services.survivor_update(
        survivor=survivor, by=acting(request), version=data["version"], **form.survivor_fields()))
    if result.saved:
        _saved(request)
        return _to_case(case)
    _log_read(request, case, gettext_noop("survivor form"))
    return _render(request, "survivor_form.html", case, form)


# --- Incident -------------------------------------------------------------------------------------


def submit_incident(request: MemberRequest, case: Case) -> Submitted:
    form = IncidentForm(bound_data(request))
    return submit(request, form, lambda data: services.incident_record(
        case=case, by=acting(request), answers=form.answers(), **form.record_fields()))


@keeps_work()
@case_view(Perm.CASE_CHANGE)
def incident_create(request: MemberRequest, case: Case) -> HttpResponse:
    result = submit_incident(request, case)
    if result.saved:
        messages.success(request, _("Incident recorded. GBVIMS type: %(type)s.")
                         % {"type": result.record.get_gbv_type_display()})
        return _to_case(case)
    return _render(request, "incident_form.html", case, result.form)


@keeps_work()
@case_record_view(Perm.CASE_CHANGE, Incident)
def incident_edit(request: MemberRequest, case: Case, incident: Incident) -> HttpResponse:
    saved_type = incident.get_gbv_type_display()
    form = IncidentForm(bound_data(request), instance=incident)
    result = submit(request, form, lambda data: services.incident_update(
        incident=incident, by=acting(request), version=data["version"], answers=form.answers(),
        **form.record_fields()))
    if result.saved:
        messages.success(request, _("Incident saved. GBVIMS type: %(type)s.")
                         % {"type": result.record.get_gbv_type_display()})
        return _to_case(case)
    _log_read(request, case, gettext_noop("incident form"))
    return _render(request, "incident_form.html", case, form, record=incident, gbv_type=saved_type)


# --- Consent --------------------------------------------------------------------------------------


def submit_consent(request: MemberRequest, case: Case) -> Submitted:
    """Record one Consent per ticked scope; scopes already current are skipped (and said so)."""
    form = ConsentForm(bound_data(request), case=case)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        current = set(case.consents.current().values_list("scope", flat=True))
        recorded: list[Consent] = []
        try:
            with transaction.atomic():
                for scope in data["scopes"]:
                    if scope in current:
                        continue
                    recorded.append(services.consent_give(
                        case=case, by=acting(request), scope=scope, given_by=data["given_by"],
                        given_on=data["given_on"], guardian_name=data["guardian_name"],
                    ))
        except ValidationError as exc:
            add_service_errors(form, exc)
            return Submitted(form)
        skipped = [str(Consent.Scope(s).label) for s in data["scopes"] if s in current]
        if recorded:
            messages.success(request, _("Consent recorded: %(scopes)s.")
                             % {"scopes": ", ".join(str(c.get_scope_display()) for c in recorded)})
        if skipped:
            messages.info(request, _("Already recorded and still current, not recorded again: %(scopes)s.")
                          % {"scopes": ", ".join(skipped)})
        return Submitted(form, recorded or skipped)
    return Submitted(form)


def consent_context(case: Case) -> dict[str, Any]:
    return {"current_consents": list(case.consents.current())}


@keeps_work()
@case_view(Perm.CASE_CHANGE)
def consent_create(request: MemberRequest, case: Case) -> HttpResponse:
    result = submit_consent(request, case)
    if result.saved:
        return _to_case(case)
    return _render(request, "consent_form.html", case, result.form, **consent_context(case))


@keeps_work()
@case_record_view(Perm.CASE_CHANGE, Consent)
def consent_withdraw(request: MemberRequest, case: Case, consent: Consent) -> HttpResponse:
    """Confirm, then withdraw at once: from this moment the scope counts as not consented."""
    form = ConsentWithdrawForm(bound_data(request))
    result = submit(request, form, lambda data: services.consent_withdraw(
        consent=consent, by=acting(request), on=data["withdrawn_on"]))
    if result.saved:
        messages.success(request, _("Consent withdrawn: %(scope)s. It no longer applies from now on.")
                         % {"scope": consent.get_scope_display()})
        return _to_case(case)
    return _render(request, "consent_withdraw.html", case, form, consent=consent,
                   submit_label=_("Withdraw consent"))


# --- Risk and safety ------------------------------------------------------------------------------


def submit_risk(request: MemberRequest, case: Case) -> Submitted:
    form = RiskForm(bound_data(request))
    result = submit(request, form, lambda data: services.risk_assess(
        case=case, by=acting(request), answers=form.answers(), assessed_on=data["assessed_on"],
        raise_to=data["raise_to"], notes=data["notes"]))
    if result.saved:
        _risk_messages(request, result.record, form.cleaned_data["raise_to"])
    return result


def _risk_messages(request: MemberRequest, assessment: RiskAssessment, raise_to: str) -> None:
    messages.success(request, _("Risk assessed: %(level)s.") % {"level": assessment.get_level_display()})
    computed = risk.RISK_ORDER.index(risk.RiskLevel(assessment.computed_level))
    if raise_to and risk.RISK_ORDER.index(risk.RiskLevel(raise_to)) < computed:
        messages.warning(request, _("The level stays at %(level)s: judgement can raise the level the "
                                    "answers give, never lower it.")
                         % {"level": assessment.get_computed_level_display()})


@keeps_work()
@case_view(Perm.CASE_CHANGE)
def risk_create(request: MemberRequest, case: Case) -> HttpResponse:
    result = submit_risk(request, case)
    if result.saved:
        return _to_case(case)
    return _render(request, "risk_form.html", case, result.form)


@keeps_work()
@case_view(Perm.CASE_CHANGE)
def safety_plan_edit(request: MemberRequest, case: Case) -> HttpResponse:
    plan = SafetyPlan.objects.filter(case=case).first()
    form = SafetyPlanForm(bound_data(request), plan=plan)
    result = submit(request, form, lambda data: services.safety_plan_save(
        case=case, by=acting(request), version=data["version"], checklist=data["checklist"], plan=data["plan"]))
    if result.saved:
        _saved(request)
        return _to_case(case)
    if plan is not None:
        _log_read(request, case, gettext_noop("safety plan form"))
    return _render(request, "safety_plan_form.html", case, form, record=plan)


# --- Support --------------------------------------------------------------------------------------


def submit_service(request: MemberRequest, case: Case) -> Submitted:
    form = ServiceForm(bound_data(request), address=case.trusted_address)
    return submit(request, form, lambda data: services.service_record(
        case=case, by=acting(request), **form.record_fields()))


@keeps_work()
@case_view(Perm.CASE_CHANGE)
def service_create(request: MemberRequest, case: Case) -> HttpResponse:
    result = submit_service(request, case)
    if result.saved:
        _saved(request)
        return _to_case(case)
    return _render(request, "service_form.html", case, result.form)


@keeps_work()
@case_record_view(Perm.CASE_CHANGE, SupportService)
def service_edit(request: MemberRequest, case: Case, service: SupportService) -> HttpResponse:
    form = ServiceForm(bound_data(request), instance=service, address=case.trusted_address)
    result = submit(request, form, lambda data: services.service_update(
        service=service, by=acting(request), version=data["version"], **form.record_fields()))
    if result.saved:
        _saved(request)
        return _to_case(case)
    _log_read(request, case, gettext_noop("support form"))
    return _render(request, "service_form.html", case, form, record=service)


@keeps_work()
@case_view(Perm.CASE_CHANGE)
def livelihood_create(request: MemberRequest, case: Case) -> HttpResponse:
    form = LivelihoodForm(bound_data(request))
    result = submit(request, form, lambda data: services.livelihood_record(
        case=case, by=acting(request), **form.record_fields()))
    if result.saved:
        _saved(request)
        return _to_case(case)
    return _render(request, "livelihood_form.html", case, form)


@keeps_work()
@case_record_view(Perm.CASE_CHANGE, LivelihoodSupport)
def livelihood_edit(request: MemberRequest, case: Case, support: LivelihoodSupport) -> HttpResponse:
    form = LivelihoodForm(bound_data(request), instance=support)
    result = submit(request, form, lambda data: services.livelihood_update(
        support=support, by=acting(request), version=data["version"], **form.record_fields()))
    if result.saved:
        _saved(request)
        return _to_case(case)
    _log_read(request, case, gettext_noop("livelihood form"))
    return _render(request, "livelihood_form.html", case, form, record=support)


# --- Notes ----------------------------------------------------------------------------------------


@keeps_work()
@case_view(Perm.CASE_CHANGE)
def note_create(request: MemberRequest, case: Case) -> HttpResponse:
    form = NoteForm(bound_data(request))
    if submit(request, form, lambda data: services.note_add(case=case, by=acting(request), text=data["text"])).saved:
        messages.success(request, _("Note added."))
        return _to_case(case)
    return _render(request, "note_form.html", case, form)

