"""Writes for casework. Keyword-only, typed, atomic; each validates with ``full_clean()``, records the
acting user and a reason in the history, and grants or revokes object permissions where access changes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import assign_perm

from accounts.access import Perm, may_open_case, require
from accounts.models import Membership
from casework import gbv, risk, signals
from casework.access import assignable_members, require_on_survivor
from casework.crypto import name_birth_year_index, phone_index
from casework.deadlines import CHILD_SUPPORT_PLAN_WORKING_DAYS, add_working_days
from casework.models import (
    INTAKE_ON_CLOSED_CASE,
    AgeBand,
    Case,
    CaseAccess,
    CaseNote,
    ChangeReason,
    Consent,
    Incident,
    IntakeStep,
    LivelihoodSupport,
    RiskAssessment,
    SafetyPlan,
    Sex,
    SupportService,
    Survivor,
    Versioned,
)
from casework.normalise import InvalidPhoneNumber
from core.history import stamp

V = TypeVar("V", bound=Versioned)

# What the trusted address's group holds on each of its cases; the role table narrows it per role.
CASE_OBJECT_PERMS = (Perm.CASE_VIEW, Perm.CASE_CHANGE, Perm.CASE_CLOSE, Perm.CASE_REASSIGN, Perm.CASE_VIEW_ACCESS_LOG)


class StaleEdit(ValidationError):
    """Someone else saved this record after the form was opened."""


def _save(obj: models.Model, *, by: Membership | None, reason: ChangeReason) -> None:
    obj.full_clean()
    stamp(obj, user=by.user if by else None, reason=reason)
    obj.save()


def _lock_current(obj: V, *, version: int | None) -> V:
    """Re-read the row under a lock and refuse the write if it changed since the form was opened."""
    current: V = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    if version is not None and current.version != version:
        raise StaleEdit(
            _("Someone else saved this record while you were editing it. Your changes were not saved; "
              "reload the page to see the latest version, then make your changes again."),
            code="stale",
        )
    return current


def _apply(obj: models.Model, fields: Mapping[str, Any]) -> None:
    for name, value in fields.items():
        setattr(obj, name, value)


# --- Survivor and blind indexes -------------------------------------------------------------------


def _refresh_indexes(survivor: Survivor) -> None:
    name, year = survivor.full_name or "", survivor.birth_year
    if not year and survivor.date_of_birth:
        year = survivor.date_of_birth.year
    survivor.name_birth_year_index = name_birth_year_index(full_name=name, birth_year=year) if name and year else ""
    try:
        survivor.phone_index = phone_index(survivor.phone) if survivor.phone else ""
    except InvalidPhoneNumber as exc:
        raise ValidationError({"phone": exc.args[0] if exc.args else _("Enter a Vietnamese phone number.")}) from None


def possible_duplicates(
    *, membership: Membership | None, full_name: str = "", birth_year: int | None = None, phone: str = "",
) -> models.QuerySet[Survivor]:
    """Survivors already known *within the membership's own scope* who may be the same person.

    Matching uses only the keyed blind indexes; survivors outside the scope are never looked at.
    """
    keys = models.Q()
    if full_name and birth_year:
        keys |= models.Q(name_birth_year_index=name_birth_year_index(full_name=full_name, birth_year=birth_year))
    if phone:
        with contextlib.suppress(InvalidPhoneNumber):  # not a phone number: nothing to match on
            keys |= models.Q(phone_index=phone_index(phone))
    if not keys:
        return Survivor.objects.none()
    return Survivor.objects.visible_to(membership).filter(keys)


@transaction.atomic
def survivor_update(*, survivor: Survivor, by: Membership, version: int | None, **fields: Any) -> Survivor:
    require_on_survivor(by, Perm.CASE_CHANGE, survivor)
    survivor = _lock_current(survivor, version=version)
    _apply(survivor, fields)
    _refresh_indexes(survivor)
    survivor.version += 1
    _save(survivor, by=by, reason=ChangeReason.SURVIVOR_UPDATED)
    return survivor


# --- Case ----------------------------------------------------------------------------------------


def _case_age_band(survivor: Survivor, on: dt.date) -> str:
    return AgeBand.for_age(survivor.age_on(on))


@transaction.atomic
def case_open(
    *, by: Membership, opened_on: dt.date | None = None, survivor: Survivor | None = None,
    survivor_fields: Mapping[str, Any] | None = None,
) -> Case:
    """Open a case at the acting member's trusted address, for a new survivor or a known one.

    A known survivor must be visible to the member (offered by ``possible_duplicates``).
    """
    if not may_open_case(by):
        raise PermissionDenied(_("Only members of a trusted address can open a case."))
    address = by.organisation
    opened_on = opened_on or timezone.localdate()
    if survivor is None:
        survivor = Survivor(**(survivor_fields or {}))
        _refresh_indexes(survivor)
        _save(survivor, by=by, reason=ChangeReason.INTAKE)
    elif not Survivor.objects.visible_to(by).filter(pk=survivor.pk).exists():
        raise ValidationError(_("This survivor is not known at your trusted address."))
    case = Case(survivor=survivor, trusted_address=address, opened_on=opened_on,
                age_band=_case_age_band(survivor, opened_on))
    if case.is_child:
        case.support_plan_due_on = add_working_days(opened_on, CHILD_SUPPORT_PLAN_WORKING_DAYS)
    _save(case, by=by, reason=ChangeReason.CASE_OPENED)
    for perm in CASE_OBJECT_PERMS:
        assign_perm(perm.value, address.group, case)
    case.assigned_volunteers.add(by)
    return case


# The intake wizard's steps, in order (IntakeStep).
INTAKE_STEPS = tuple(IntakeStep)


@transaction.atomic
def case_intake_step_done(*, case: Case, step: str, by: Membership) -> Case:
    require(by, Perm.CASE_CHANGE, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if step not in IntakeStep.values:
        raise ValidationError(_("Unknown intake step."))
    if not case.can_continue_intake:
        raise ValidationError(INTAKE_ON_CLOSED_CASE)
    # Going back to correct an earlier step does not make the intake less complete.
    if not IntakeStep.is_before(case.intake_step, step):
        return case
    case.intake_step = step
    _save(case, by=by, reason=ChangeReason.INTAKE_STEP)
    return case


@transaction.atomic
def case_close(*, case: Case, by: Membership, reason: str, on: dt.date | None = None) -> Case:
    require(by, Perm.CASE_CLOSE, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    case.transition(Case.Action.CLOSE, on=on or timezone.localdate(), reason=reason)
    case.version += 1
    _save(case, by=by, reason=ChangeReason.CLOSED)
    return case


@transaction.atomic
def case_reopen(*, case: Case, by: Membership) -> Case:
    require(by, Perm.CASE_CLOSE, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    case.transition(Case.Action.REOPEN, on=timezone.localdate())
    case.version += 1
    _save(case, by=by, reason=ChangeReason.REOPENED)
    return case


@transaction.atomic
def case_assign(
    *, case: Case, by: Membership, volunteers: Iterable[Membership], version: int | None = None,
) -> Case:
    require(by, Perm.CASE_REASSIGN, case)
    case = _lock_current(case, version=version)
    chosen = list(volunteers)
    assignable = set(assignable_members(case).values_list("pk", flat=True))
    outsiders = [m for m in chosen if m.pk not in assignable]
    if outsiders or not chosen:
        raise ValidationError(_("Choose one or more active members of this trusted address."))
    stamp(case, user=by.user, reason=ChangeReason.REASSIGNED)
    case.assigned_volunteers.set(chosen)
    case.version += 1
    _save(case, by=by, reason=ChangeReason.REASSIGNED)
    return case


@transaction.atomic
def support_plan_mark_done(*, case: Case, by: Membership, on: dt.date | None = None) -> Case:
    require(by, Perm.CASE_CHANGE, case)
    case = Case.objects.select_for_update().get(pk=case.pk)
    refusal = case.support_plan_refusal()
    if refusal is not None:
        raise ValidationError(refusal)
    on = on or timezone.localdate()
    if on > timezone.localdate() or on < case.opened_on:
        raise ValidationError({"on": _("The date must be between the case opening and today.")})
    case.support_plan_done_on = on
    case.version += 1
    _save(case, by=by, reason=ChangeReason.SUPPORT_PLAN_DONE)
    return case


# --- Incident ------------------------------------------------------------------------------------

# Vietnamese Law on Marriage and Family 2014, art. 8: women from 18, men from 20.
MARRIAGE_AGE: dict[str, int] = {Sex.FEMALE: 18, Sex.MALE: 20}


def _derive_incident(incident: Incident, answers: Mapping[str, bool]) -> None:
    """Set the GBVIMS type from the answers, and the context flags that follow from the facts."""
    incident.gbv_answers = {key: bool(answers.get(key)) for key in gbv.ANSWER_KEYS}
    incident.gbv_type = gbv.classify(incident.gbv_answers)
    survivor = incident.case.survivor
    age = survivor.age_on(incident.occurred_on) if incident.occurred_on else None
    relationship = incident.perpetrator_relationship
    if relationship in Incident.INTIMATE:
        incident.intimate_partner = True
    if relationship in Incident.FAMILY:
        incident.domestic_violence = True
    if incident.gbv_type == gbv.GBVType.FORCED_MARRIAGE and age is not None:
        incident.child_marriage = age < MARRIAGE_AGE.get(survivor.sex, 18)
    if age is not None and age < 18 and incident.gbv_type in (gbv.GBVType.RAPE, gbv.GBVType.SEXUAL_ASSAULT):
        incident.child_sexual_abuse = True
    if incident.gbv_type in (gbv.GBVType.RAPE, gbv.GBVType.SEXUAL_ASSAULT):
        incident.harm_sexual = True


@transaction.atomic
def incident_record(*, case: Case, by: Membership, answers: Mapping[str, bool], **fields: Any) -> Incident:
    require(by, Perm.CASE_CHANGE, case)
    incident = Incident(case=case, recorded_by=by, **fields)
    _derive_incident(incident, answers)
    _save(incident, by=by, reason=ChangeReason.INCIDENT_RECORDED)
    return incident


@transaction.atomic
def incident_update(
    *, incident: Incident, by: Membership, version: int | None, answers: Mapping[str, bool], **fields: Any,
) -> Incident:
    require(by, Perm.CASE_CHANGE, incident.case)
    incident = _lock_current(incident, version=version)
    _apply(incident, fields)
    _derive_incident(incident, answers)
    incident.version += 1
    _save(incident, by=by, reason=ChangeReason.INCIDENT_UPDATED)
    return incident


# --- Consent -------------------------------------------------------------------------------------


@transaction.atomic
def consent_give(
    *, case: Case, by: Membership, scope: str, given_by: str, given_on: dt.date, guardian_name: str = "",
) -> Consent:
    require(by, Perm.CASE_CHANGE, case)
    # Lock the case so two people recording the same consent at once produce one row.
    Case.objects.select_for_update().get(pk=case.pk)
    if case.consents.current().filter(scope=scope).exists():
        raise ValidationError({"scope": _("This consent is already recorded and current.")})
    consent = Consent(case=case, scope=scope, given_by=given_by, given_on=given_on,
                      guardian_name=guardian_name if given_by == Consent.GivenBy.GUARDIAN else "",
                      recorded_by=by)
    _save(consent, by=by, reason=ChangeReason.CONSENT_GIVEN)
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, by: Membership, on: dt.date | None = None) -> Consent:
    """Withdraw a consent. It takes effect at once: every use of that scope checks current consent.

    Sends :data:`casework.signals.consent_withdrawing` before the consent changes and
    :data:`casework.signals.consent_withdrawn` after, in this transaction: referrals withdraw the
    pending referrals of that scope and revoke the partners' access; indicators take her out of the
    working statistics. A receiver that fails undoes the whole withdrawal."""
    require(by, Perm.CASE_CHANGE, consent.case)
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_on is not None:
        raise ValidationError(_("This consent was already withdrawn."))
    on = on or timezone.localdate()
    if on < consent.given_on or on > timezone.localdate():
        raise ValidationError({"on": _("The withdrawal date must be between the consent date and today.")})
    signals.consent_withdrawing.send(sender=Consent, consent=consent, by=by)
    consent.withdrawn_on = on
    _save(consent, by=by, reason=ChangeReason.CONSENT_WITHDRAWN)
    signals.consent_withdrawn.send(sender=Consent, consent=consent, by=by)
    return consent


# --- Risk, safety, support, notes --------------------------------------------------------------


@transaction.atomic
def risk_assess(
    *, case: Case, by: Membership, answers: Mapping[str, bool], assessed_on: dt.date | None = None,
    raise_to: str = "", notes: str = "",
) -> RiskAssessment:
    require(by, Perm.CASE_CHANGE, case)
    assessed_on = assessed_on or timezone.localdate()
    clean_answers = {key: bool(answers.get(key)) for key in risk.ANSWER_KEYS}
    computed = risk.assess(clean_answers)
    level = computed
    if raise_to and risk.RISK_ORDER.index(risk.RiskLevel(raise_to)) > risk.RISK_ORDER.index(computed):
        level = risk.RiskLevel(raise_to)
    assessment = RiskAssessment(case=case, assessor=by, assessed_on=assessed_on, answers=clean_answers,
                                computed_level=computed, level=level, notes=notes)
    _save(assessment, by=by, reason=ChangeReason.RISK_ASSESSED)
    case = Case.objects.select_for_update().get(pk=case.pk)
    latest = case.risk_assessments.order_by("-assessed_on", "-created_at").first()
    case.risk_level = latest.level if latest else level
    _save(case, by=by, reason=ChangeReason.RISK_LEVEL_UPDATED)
    return assessment


@transaction.atomic
def safety_plan_save(
    *, case: Case, by: Membership, version: int | None, checklist: Iterable[str], plan: str,
) -> SafetyPlan:
    require(by, Perm.CASE_CHANGE, case)
    existing = SafetyPlan.objects.filter(case=case).first()
    if existing is None:
        safety_plan = SafetyPlan(case=case)
    else:
        safety_plan = _lock_current(existing, version=version)
        safety_plan.version += 1
    valid = set(SafetyPlan.Item.values)
    safety_plan.checklist = [item for item in checklist if item in valid]
    safety_plan.plan = plan
    safety_plan.updated_by = by
    _save(safety_plan, by=by, reason=ChangeReason.SAFETY_PLAN_SAVED)
    return safety_plan


@transaction.atomic
def service_record(*, case: Case, by: Membership, **fields: Any) -> SupportService:
    require(by, Perm.CASE_CHANGE, case)
    fields.setdefault("provider", case.trusted_address)
    service = SupportService(case=case, recorded_by=by, **fields)
    service.nights = service.computed_nights
    _save(service, by=by, reason=ChangeReason.SUPPORT_RECORDED)
    return service


@transaction.atomic
def service_update(*, service: SupportService, by: Membership, version: int | None, **fields: Any) -> SupportService:
    require(by, Perm.CASE_CHANGE, service.case)
    service = _lock_current(service, version=version)
    _apply(service, fields)
    service.nights = service.computed_nights
    service.version += 1
    _save(service, by=by, reason=ChangeReason.SUPPORT_UPDATED)
    return service


@transaction.atomic
def livelihood_record(*, case: Case, by: Membership, **fields: Any) -> LivelihoodSupport:
    require(by, Perm.CASE_CHANGE, case)
    support = LivelihoodSupport(case=case, recorded_by=by, **fields)
    _save(support, by=by, reason=ChangeReason.LIVELIHOOD_RECORDED)
    return support


@transaction.atomic
def livelihood_update(
    *, support: LivelihoodSupport, by: Membership, version: int | None, **fields: Any,
) -> LivelihoodSupport:
    require(by, Perm.CASE_CHANGE, support.case)
    support = _lock_current(support, version=version)
    _apply(support, fields)
    support.version += 1
    _save(support, by=by, reason=ChangeReason.LIVELIHOOD_UPDATED)
    return support


@transaction.atomic
def note_add(*, case: Case, by: Membership, text: str) -> CaseNote:
    require(by, Perm.CASE_CHANGE, case)
    note = CaseNote(case=case, author=by, text=text)
    _save(note, by=by, reason=ChangeReason.NOTE_ADDED)
    return note


# --- Read-access log -----------------------------------------------------------------------------


def access_record(
    *, case: Case, by: Membership, action: str, what: str = "", read_with: Perm = Perm.CASE_VIEW,
    on: models.Model | None = None,
) -> CaseAccess:
    """Log one read of a case. Called by every view, print or export of confidential data.

    The reader must hold ``read_with`` on what was read: the case itself, or ``on``, a record of this
    case shared with someone who never sees the case (a partner reading a referral's snapshot)."""
    if on is not None and getattr(on, "case_id", None) != case.pk:
        raise PermissionDenied
    require(by, read_with, on or case)
    return CaseAccess.objects.create(
        case=case, survivor_id=case.survivor_id, user=by.user, organisation=by.organisation, role=by.role,
        action=action, what=what[:120],
    )
