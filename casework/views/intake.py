"""The intake wizard: a survivor taken in on the phone, in short steps, each saved or skipped.

Step 1 (``intake_start``) records who she is. Before a new survivor is created, survivors already
known *within the member's own scope* who may be the same person (``possible_duplicates``: keyed blind
indexes of name + birth year and of the phone number) are shown by code, birth year, commune and the
dates of their cases at this address — nothing else, and nobody outside the scope. The volunteer
chooses "the same person" (a new case for her) or "a different person".

While she decides, what was typed in step 1 waits in the session under a random token, sealed with
the field-encryption key and bound to that token, so the name never sits in clear in the session store
and is not posted back and forth in hidden fields. It is removed once used (or with the session).

Then the case is open and the steps follow in order: incident → consent → risk → support. Each has
"save and continue" (the step is recorded with ``case_intake_step_done``) and "skip for now".
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from accounts.access import Perm, requires
from accounts.requests import MemberRequest
from accounts.unsaved import bound_data, keeps_work
from casework import services
from casework.access import case_view
from casework.forms import SurvivorForm, add_service_errors
from casework.models import INTAKE_ON_CLOSED_CASE, Case, IntakeStep, Survivor
from casework.views.records import (
    Submitted,
    acting,
    consent_context,
    submit_consent,
    submit_incident,
    submit_risk,
    submit_service,
    survivor_form,
)
from core.crypto import Binding, DecryptionError, decrypt_text, encrypt_text

# The wizard's pages after step 1 (step 1, the survivor, is intake_start).
STEP_TEMPLATES: dict[str, str] = {
    IntakeStep.INCIDENT: "casework/incident_form.html",
    IntakeStep.CONSENT: "casework/consent_form.html",
    IntakeStep.RISK: "casework/risk_form.html",
    IntakeStep.SUPPORT: "casework/service_form.html",
}
STEP_HANDLERS: dict[str, Callable[[MemberRequest, Case], Submitted]] = {
    IntakeStep.INCIDENT: submit_incident,
    IntakeStep.CONSENT: submit_consent,
    IntakeStep.RISK: submit_risk,
    IntakeStep.SUPPORT: submit_service,
}

SESSION_PENDING_KEY = "intake_pending"
# Abandoned confirmations are dropped beyond this many (a volunteer rarely has more than one going).
MAX_PENDING = 3
_PENDING_BINDING = ("casework.intake", "pending")


# --- Step 1: the survivor, and the duplicate check -------------------------------------------------


# The duplicate decision posts only a token and a choice: the details it stands for were in the
# session, which the time-out ended, so it is not worth keeping.
@keeps_work(untyped={"token", "decision"})
@requires(Perm.CASE_ADD)
def intake_start(request: MemberRequest) -> HttpResponse:
    if request.method == "POST" and "token" in request.POST:
        return _confirm_duplicate(request)
    form = survivor_form(request, bound_data(request))
    if request.method == "POST" and form.is_valid():
        matches = _possible_duplicates(request, form)
        if matches:
            token = _keep_pending(request, request.POST)
            return _render_duplicates(request, form, token, matches)
        return _open_case(request, form, survivor=None)
    return _render_start(request, form)


def _possible_duplicates(request: MemberRequest, form: SurvivorForm) -> list[Survivor]:
    membership = acting(request)
    data = form.cleaned_data
    found = services.possible_duplicates(
        membership=membership, full_name=data["full_name"], birth_year=data.get("birth_year"),
        phone=data.get("phone", ""),
    )
    # Only this scope's cases of each match are listed (possible_duplicates already keeps to the scope).
    cases = Case.objects.visible_to(membership).order_by("-opened_on")
    return list(found.select_related("commune").prefetch_related(
        Prefetch("cases", queryset=cases, to_attr="cases_here")).order_by("code"))


def _confirm_duplicate(request: MemberRequest) -> HttpResponse:
    token = request.POST.get("token", "")
    data = _pending(request, token)
    if data is None:
        messages.warning(request, _("The details typed earlier are no longer kept. Please enter them again."))
        return redirect("casework:intake-start")
    form = survivor_form(request, data)
    if not form.is_valid():
        _drop_pending(request, token)
        return _render_start(request, form)
    matches = _possible_duplicates(request, form)
    decision = request.POST.get("decision", "")
    if decision == "new" or not matches:
        _drop_pending(request, token)
        return _open_case(request, form, survivor=None)
    chosen = next((s for s in matches if str(s.pk) == decision), None)
    if chosen is None:
        return _render_duplicates(request, form, token, matches,
                                  error=_("Choose whether she is one of these people or someone else."))
    _drop_pending(request, token)
    return _open_case(request, form, survivor=chosen)


def _open_case(request: MemberRequest, form: SurvivorForm, *, survivor: Survivor | None) -> HttpResponse:
    try:
        case = services.case_open(by=acting(request), survivor=survivor,
                                  survivor_fields=None if survivor else form.survivor_fields())
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _render_start(request, form)
    messages.success(request, _("Case %(code)s opened. Continue with the incident, or skip for now.")
                     % {"code": case.survivor.code})
    return redirect("casework:intake-step", case.pk, IntakeStep.after(IntakeStep.SURVIVOR))


def _render_start(request: MemberRequest, form: SurvivorForm) -> HttpResponse:
    return render(request, "casework/intake_start.html",
                  {"form": form, "intake": _progress(None, IntakeStep.SURVIVOR)})


def _render_duplicates(
    request: MemberRequest, form: SurvivorForm, token: str, matches: list[Survivor], error: str = "",
) -> HttpResponse:
    return render(request, "casework/intake_duplicates.html", {
        "form": form, "token": token, "matches": matches, "error": error,
        "intake": _progress(None, IntakeStep.SURVIVOR),
    })


# --- Pending step-1 data, sealed in the session ---------------------------------------------------


def _binding(token: str) -> Binding:
    return Binding(model_label=_PENDING_BINDING[0], field_name=_PENDING_BINDING[1], row_id=token)


def _keep_pending(request: MemberRequest, post: Any) -> str:
    token = secrets.token_urlsafe(16)
    skip = {"csrfmiddlewaretoken", "token", "decision"}
    fields = {key: post.getlist(key) for key in post if key not in skip}
    pending = dict(request.session.get(SESSION_PENDING_KEY, {}))
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))
    pending[token] = encrypt_text(json.dumps(fields), binding=_binding(token))
    request.session[SESSION_PENDING_KEY] = pending
    return token


def _pending(request: MemberRequest, token: str) -> MultiValueDict[str, str] | None:
    sealed = request.session.get(SESSION_PENDING_KEY, {}).get(token)
    if not sealed:
        return None
    try:
        fields = json.loads(decrypt_text(sealed, binding=_binding(token)))
    except (DecryptionError, ValueError):
        return None
    return MultiValueDict({str(k): [str(v) for v in values] for k, values in fields.items()})


def _drop_pending(request: MemberRequest, token: str) -> None:
    pending = dict(request.session.get(SESSION_PENDING_KEY, {}))
    pending.pop(token, None)
    request.session[SESSION_PENDING_KEY] = pending


# --- The following steps --------------------------------------------------------------------------


@keeps_work()
@case_view(Perm.CASE_CHANGE)
def intake_step(request: MemberRequest, case: Case, step: str) -> HttpResponse:
    if step not in STEP_HANDLERS:
        raise Http404
    if not case.can_continue_intake:
        messages.info(request, INTAKE_ON_CLOSED_CASE)
        return redirect("casework:case-detail", case.pk)
    result: Submitted = STEP_HANDLERS[step](request, case)
    if result.saved:
        services.case_intake_step_done(case=case, step=step, by=acting(request))
        if step == IntakeStep.INCIDENT:
            messages.success(request, _("Incident recorded. GBVIMS type: %(type)s.")
                             % {"type": result.record.get_gbv_type_display()})
        elif step == IntakeStep.SUPPORT:
            messages.success(request, _("Support recorded."))
        return redirect(_after(case, step))
    context = {"case": case, "form": result.form, "intake": _progress(case, step)}
    if step == IntakeStep.CONSENT:
        context.update(consent_context(case))
    return render(request, STEP_TEMPLATES[step], context)


def _after(case: Case, step: str) -> str:
    """Where "save and continue" or "skip for now" leads from ``step``: the next step, or the case."""
    following = IntakeStep.after(step)
    if following is not None:
        return reverse("casework:intake-step", args=[case.pk, following])
    return reverse("casework:case-detail", args=[case.pk])


def _progress(case: Case | None, step: str) -> dict[str, Any]:
    """What the step header shows: "step 2 of 5", every step's name, and where "skip" goes."""
    steps = list(IntakeStep)
    position = steps.index(IntakeStep(step))
    return {
        "step": step,
        "number": position + 1,
        "total": len(steps),
        "steps": [{"name": name, "title": name.label, "current": name == step, "done": i < position}
                  for i, name in enumerate(steps)],
        "skip_url": _after(case, step) if case is not None and step in STEP_HANDLERS else "",
        "is_last": IntakeStep.after(step) is None,
    }
