"""The audit trail: every casework record is history-tracked, with who and why, and cannot be bypassed."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from casework import services
from casework.fields import EncryptionBypassError
from casework.models import (
    Case,
    CaseAccess,
    CaseGroupObjectPermission,
    CaseNote,
    Consent,
    Incident,
    LivelihoodSupport,
    RiskAssessment,
    SafetyPlan,
    SupportService,
    Survivor,
)
from tests.casework.builders import CANARY_NAME, case_a

TRACKED = [Survivor, Case, Incident, Consent, RiskAssessment, SafetyPlan, SupportService, LivelihoodSupport,
           CaseNote]
# Not history-tracked, on purpose: the read log is itself an append-only audit record, and the
# permission rows are django-guardian's (granted and revoked only by the services).
UNTRACKED = {CaseAccess, CaseGroupObjectPermission}


def casework_models() -> list[type[models.Model]]:
    """The app's own models, without simple-history's historical copies."""
    return [m for m in apps.get_app_config("casework").get_models() if not hasattr(m, "instance_type")]


def records_of(model: type[models.Model], case: Case) -> models.QuerySet:
    if model is Survivor:
        return Survivor.objects.filter(pk=case.survivor_id)
    if model is Case:
        return Case.objects.filter(pk=case.pk)
    return model.objects.filter(case=case)


def test_every_casework_model_is_tracked_except_the_access_log_and_guardian_rows():
    tracked = {m for m in casework_models() if getattr(m._meta, "simple_history_manager_attribute", None)}
    assert tracked == set(TRACKED)
    assert set(casework_models()) - tracked == UNTRACKED


@pytest.mark.parametrize("model", TRACKED, ids=lambda m: m.__name__)
def test_services_record_the_acting_user_and_a_reason(cast, model):
    case = case_a(cast)
    rows = model.history.filter(**{f"{model._meta.pk.attname}__in": records_of(model, case).values("pk")})
    assert rows.exists()
    for row in rows:
        assert row.history_user == cast.volunteer_a.user, (model.__name__, row.history_change_reason)
        assert row.history_change_reason, model.__name__


def test_an_edit_by_the_lead_is_recorded_as_hers_with_its_reason(cast):
    case = case_a(cast)
    survivor = Survivor.objects.get(pk=case.survivor_id)
    services.survivor_update(survivor=survivor, by=cast.lead_a, version=survivor.version, address="Thôn Mới")
    latest = survivor.history.latest()
    assert (latest.history_user, latest.history_change_reason, latest.history_type) == (
        cast.lead_a.user, "survivor updated", "~")


def _one_row(model: type[models.Model]) -> models.Model:
    return model.objects.order_by("pk").first()


def _snapshot(model: type[models.Model]) -> list[tuple[object, ...]]:
    fields = model._meta.concrete_fields
    return [tuple(getattr(o, f.attname) for f in fields) for o in model.objects.order_by("pk")]


def _plain_field(model: type[models.Model]) -> models.Field:
    return next(f for f in model._meta.concrete_fields if not f.primary_key and not f.is_relation)


@pytest.mark.parametrize("model", [*TRACKED, CaseAccess], ids=lambda m: m.__name__)
def test_update_and_bulk_update_are_refused_on_every_casework_model(cast, model):
    case = case_a(cast)
    services.access_record(case=case, by=cast.volunteer_a, action=CaseAccess.Action.VIEW_CASE)
    field = _plain_field(model)
    before = _snapshot(model)
    refused = (ValidationError, EncryptionBypassError)
    with pytest.raises(refused):
        model.objects.all().update(**{field.attname: models.F(field.attname)})
    with pytest.raises(refused):
        model.objects.filter(pk=_one_row(model).pk).update(**{field.attname: models.F(field.attname)})
    with pytest.raises(refused):
        model.objects.bulk_update(list(model.objects.all()), [field.name])
    case_fk = next((f for f in model._meta.concrete_fields if f.name == "case" and f.many_to_one), None)
    if case_fk is not None:  # through the case's related manager too (case.incidents.update(...))
        with pytest.raises(refused):
            related = getattr(case, case_fk.remote_field.get_accessor_name())
            related.update(**{field.attname: models.F(field.attname)})
    assert _snapshot(model) == before


def test_historical_rows_decrypt_to_the_value_at_that_time(cast):
    case = case_a(cast)
    survivor = Survivor.objects.get(pk=case.survivor_id)
    services.survivor_update(survivor=survivor, by=cast.lead_a, version=survivor.version,
                             full_name="Hờ Thị Đổi Tên", phone="0912 000 111", national_id="",
                             guardian_contact="Mẹ: Y Bla")
    versions = list(survivor.history.order_by("history_date"))
    assert [(v.full_name, v.phone, v.national_id, v.guardian_contact) for v in versions] == [
        (CANARY_NAME, "0987 654 321", "064190001234", ""),
        ("Hờ Thị Đổi Tên", "0912 000 111", "", "Mẹ: Y Bla"),
    ]
    # The historical row rebuilds the record as it was.
    assert versions[0].instance.full_name == CANARY_NAME

    incident = Incident.objects.get(case=case)
    services.incident_update(incident=incident, by=cast.lead_a, version=incident.version,
                             answers=incident.gbv_answers, narrative="Lần hai: anh ta dọa giết.")
    assert [h.narrative for h in incident.history.order_by("history_date")] == [
        "Anh ta đánh chị ấy.", "Lần hai: anh ta dọa giết."]

    plan = SafetyPlan.objects.get(case=case)
    services.safety_plan_save(case=case, by=cast.lead_a, version=plan.version, checklist=[],
                              plan="Kế hoạch mới.")
    assert [h.plan for h in plan.history.order_by("history_date")] == [
        "Đến nhà trưởng thôn nếu anh ta say.", "Kế hoạch mới."]

    service = SupportService.objects.get(case=case)
    services.service_update(service=service, by=cast.lead_a, version=service.version, notes="Đưa đi khám.")
    assert [h.notes for h in service.history.order_by("history_date")] == ["", "Đưa đi khám."]

    support = LivelihoodSupport.objects.get(case=case)
    services.livelihood_update(support=support, by=cast.lead_a, version=support.version,
                               notes="Nuôi hai con bò.")
    assert [h.notes for h in support.history.order_by("history_date")] == ["", "Nuôi hai con bò."]

    consent = Consent.objects.filter(case=case).first()
    services.consent_withdraw(consent=consent, by=cast.lead_a)
    assert [h.withdrawn_on is None for h in consent.history.order_by("history_date")] == [True, False]
